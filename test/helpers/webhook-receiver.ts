import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request a receiver got, as it came. */
export interface Received {
  headers: IncomingHttpHeaders
  body: string
  /** What the receiver answered (0: it held the request past the sender's timeout). */
  answered: number
}

/**
 * A real webhook receiver on loopback, as docs/webhooks.md tells one to be written: it
 * records every request, and answers what `mode` says (a test makes it fail for a while).
 */
export async function webhookReceiver () {
  const received: Received[] = []
  const state: { mode: 'ok' | 'fail' | 'hang-once', status: number, delayMs: number } = { mode: 'ok', status: 503, delayMs: 0 }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const entry: Received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered: 0 }
      received.push(entry)
      if (state.mode === 'hang-once') {
        // Got it, but the answer never comes in time: the sender counts it failed and sends it again.
        state.mode = 'ok'
        setTimeout(() => { res.destroy() }, 3000).unref()
        return
      }
      entry.answered = state.mode === 'fail' ? state.status : 200
      setTimeout(() => {
        res.writeHead(entry.answered, { 'content-type': 'text/plain' })
        res.end(state.mode === 'fail' ? 'receiver is down for maintenance' : 'thanks')
      }, state.delayMs)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    state,
    async close () {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
    }
  }
}

/** Checks a request's signature the way docs/webhooks.md shows: HMAC-SHA256 of `timestamp.body` with the secret. */
export function signatureValid (secret: string, r: Received): boolean {
  const timestamp = String(r.headers['x-livechat-timestamp'])
  const given = Buffer.from(String(r.headers['x-livechat-signature']))
  const expected = Buffer.from('sha256=' + createHmac('sha256', secret).update(`${timestamp}.${r.body}`).digest('hex'))
  return given.length === expected.length && timingSafeEqual(given, expected)
}
