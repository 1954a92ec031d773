import { createHmac } from 'node:crypto'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { type AllowedHosts, hostOf, type Lookup, resolveTarget } from './address.ts'

/** The headers every delivery carries (docs/webhooks.md#headers). */
export const headerNames = {
  id: 'x-livechat-event-id',
  type: 'x-livechat-event-type',
  timestamp: 'x-livechat-timestamp',
  signature: 'x-livechat-signature'
} as const

/**
 * The signature of a delivery: `sha256=` and the hex HMAC-SHA256, keyed with the endpoint's
 * secret, of the timestamp (Unix seconds, as in its header), a dot, and the body exactly as
 * sent. The timestamp is signed so a receiver can refuse an old request replayed.
 */
export function sign (secret: string, timestamp: number, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
}

/** How one attempt went, as the delivery log keeps it. */
export interface Attempt {
  ok: boolean
  status: number | null
  durationMs: number
  excerpt: string | null
  error: string | null
}

export interface SendOptions {
  timeoutMs: number
  allowed: AllowedHosts
  lookup?: Lookup
  userAgent: string
}

/** What of the answer is read: enough for the log's excerpt; the rest is left unread. */
const readLimit = 4096
export const excerptLength = 500

/**
 * POSTs one event, signed, to `url`: the host resolved and every address checked
 * (address.ts), the connection made to a checked address only, no redirect followed (a 3xx
 * is a failure like any other not-2xx), and the whole exchange bounded by `timeoutMs`.
 * Never throws: what went wrong is the attempt's `error`.
 */
export async function send (url: string, secret: string, event: { uid: string, type: string }, body: string, opts: SendOptions, now: () => number = Date.now): Promise<Attempt> {
  const began = performance.now()
  const took = (): number => Math.round(performance.now() - began)
  let target: URL
  try {
    target = new URL(url)
    const addresses = await resolveTarget(target, opts.allowed, opts.lookup)
    const timestamp = Math.floor(now() / 1000)
    const pinned: LookupFunction = (_host, options, callback) => {
      // Node asks for all addresses when it tries several (autoSelectFamily); it gets the checked ones only.
      if ((options as { all?: boolean }).all === true) callback(null, addresses)
      else callback(null, addresses[0]!.address, addresses[0]!.family)
    }
    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': opts.userAgent,
      [headerNames.id]: event.uid,
      [headerNames.type]: event.type,
      [headerNames.timestamp]: String(timestamp),
      [headerNames.signature]: sign(secret, timestamp, body)
    }
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest
    const answer = await new Promise<{ status: number, text: string }>((resolve, reject) => {
      const host = hostOf(target)
      const req = request(target, { method: 'POST', headers, lookup: pinned, servername: host, signal: AbortSignal.timeout(opts.timeoutMs) }, (res: IncomingMessage) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          if (size < readLimit) chunks.push(chunk)
          size += chunk.length
          if (size >= readLimit) res.destroy()
        })
        const done = (): void => { resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8').slice(0, excerptLength) }) }
        res.on('end', done)
        res.on('close', done)
        res.on('error', done)
      })
      req.on('error', reject)
      req.end(body)
    })
    const ok = answer.status >= 200 && answer.status < 300
    return { ok, status: answer.status, durationMs: took(), excerpt: answer.text || null, error: ok ? null : `The receiver answered ${answer.status}` }
  } catch (err) {
    return { ok: false, status: null, durationMs: took(), excerpt: null, error: reason(err, opts.timeoutMs) }
  }
}

/** Why no answer came, as an administrator reads it in the delivery log. */
function reason (err: unknown, timeoutMs: number): string {
  const e = err as { name?: string, code?: string, message?: string }
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `No answer within ${timeoutMs / 1000} s (webhookTimeoutSeconds)`
  if (typeof e.code === 'string' && e.code.startsWith('LC_ERR_')) return `${e.code}: ${e.message ?? ''}`
  if (e.code === 'ECONNREFUSED') return 'Connection refused: nothing listens at that address and port'
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return 'The host name could not be resolved'
  return `${e.code ?? 'Error'}: ${e.message ?? String(err)}`.slice(0, 500)
}
