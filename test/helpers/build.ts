import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { Knex } from 'knex'
import WebSocket from 'ws'
import { buildDemoHost } from '../../demo-host/app.ts'
import { preparedDatabase } from './db.ts'

interface Teardown { teardown: (fn: () => unknown) => void }

export interface Built {
  app: FastifyInstance
  knex: Knex
  dialect: 'mysql' | 'sqlite'
}

/**
 * The demo host with the plugin installed exactly as in production, on a private migrated
 * and seeded database. Jobs are off unless a test turns them on.
 */
export async function build (t: Teardown, opts: { listen?: boolean, pluginOptions?: Record<string, unknown>, online?: boolean } = {}): Promise<Built & { url: string }> {
  const { knex, dialect, drop } = await preparedDatabase()
  if (opts.online !== false) await standBy(knex, 'bob')
  const app = await buildDemoHost({ knex, logger: false, pluginOptions: { jobs: false, settings: { chatStartsPerMinute: 1000, messagesPerMinute: 10000 }, ...opts.pluginOptions } })
  const url = await started(t, app, drop, opts.listen)
  return { app, knex, dialect, url }
}

/** Readies `app`, or starts it on a loopback port with `listen`; when `t` ends, closes it and drops its database. Its URL. */
export async function started (t: Teardown, app: FastifyInstance, drop: () => Promise<void>, listen = false): Promise<string> {
  t.teardown(async () => { await app.close(); await drop() })
  if (!listen) {
    await app.ready()
    return 'http://localhost'
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
}

/**
 * Keeps an agent available with a heartbeat far in the future, as if their console were
 * open all along: Support L1 is then online, so the portal takes chats. Tests about the
 * offline portal build with `online: false`.
 */
export async function standBy (knex: Knex, username: string): Promise<void> {
  const user = await knex('users').where({ username }).first('id')
  const at = Date.now()
  await knex('lc_agent_presence').insert({ agent_id: String(user.id), status: 'available', max_chats: 4, heartbeat_at: at + 365 * 86_400_000, updated_at: at })
    .onConflict('agent_id').merge()
}

/** `name=value` pairs of a response's Set-Cookie headers, ready for a Cookie header. */
export function cookiesOf (res: { headers: Record<string, unknown> }): string {
  const raw = res.headers['set-cookie']
  const list = Array.isArray(raw) ? raw : raw ? [raw] : []
  return list.map((c: string) => c.split(';')[0]).join('; ')
}

export function joinCookies (...parts: string[]): string {
  return parts.filter(Boolean).join('; ')
}

/** Signs in on the host's own login form and returns the session cookie. */
export async function login (app: FastifyInstance, username: string, password = 'demo'): Promise<string> {
  const res = await app.inject({
    method: 'POST', url: '/login', headers: { origin: 'http://localhost' }, payload: { username, password }
  })
  if (res.statusCode !== 303) throw new Error(`login as ${username} failed: ${res.statusCode}`)
  return cookiesOf(res)
}

/** A CSRF token and its cookie, read from a plugin page the way the browser gets them. */
export async function csrf (app: FastifyInstance, cookie: string, path = '/livechat/start'): Promise<{ token: string, cookie: string }> {
  const res = await app.inject({ method: 'GET', url: path, headers: { cookie } })
  const token = /name="lc-csrf" content="([^"]+)"/.exec(res.body)?.[1]
  if (!token) throw new Error(`no CSRF token on ${path} (${res.statusCode})`)
  return { token, cookie: joinCookies(cookie, cookiesOf(res)) }
}

export const sameOrigin = { origin: 'http://localhost' }

/**
 * Signed-in clients posting a plugin form as their browsers do, htmx-style: the CSRF token
 * and its cookie are read once from `page` as the administrator sees it (a token belongs to
 * its cookie, not to a user), and `client(username)` adds that user's own session (none
 * without a username). A post's `headers` go last, so a test can drop or forge the token.
 */
export async function formClients (app: FastifyInstance, page: string) {
  const adminSession = await login(app, 'admin')
  const { token, cookie } = await csrf(app, adminSession, page)
  const csrfCookie = cookie.slice(adminSession.length + 2)
  async function client (username?: string) {
    const cookie = joinCookies(username ? await login(app, username) : '', csrfCookie)
    return {
      cookie,
      get: async (url: string): Promise<LightMyRequestResponse> => await app.inject({ url, headers: { cookie } }),
      post: async (url: string, payload: object = {}, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> => await app.inject({
        method: 'POST', url, payload, headers: { cookie, 'x-csrf-token': token, 'hx-request': 'true', ...sameOrigin, ...headers }
      })
    }
  }
  return { client, adminSession, csrfCookie, token }
}

/** Starts a chat through the pre-chat form; returns its id and the customer's cookie. */
export async function startChat (app: FastifyInstance, fields: { name?: string, email?: string, question?: string } = {}, asCookie = ''): Promise<{ chatId: number, cookie: string }> {
  const c = await csrf(app, asCookie)
  const payload = { name: 'Dana Doyle', email: 'dana@customer.example', question: 'My VPN will not connect', ...fields, _csrf: c.token }
  let res = await app.inject({ method: 'POST', url: '/livechat/start', headers: { cookie: c.cookie, ...sameOrigin }, payload })
  // A question the knowledge base has articles for is shown them first: continue to chat.
  if (res.statusCode === 200 && res.body.includes('id="lc-suggestions"')) {
    res = await app.inject({ method: 'POST', url: '/livechat/start/continue', headers: { cookie: c.cookie, ...sameOrigin }, payload })
  }
  if (res.statusCode !== 303) throw new Error(`start chat failed: ${res.statusCode} ${res.body.slice(0, 500)}`)
  const chatId = Number(/\/chat\/(\d+)$/.exec(String(res.headers.location))?.[1])
  return { chatId, cookie: joinCookies(c.cookie, cookiesOf(res)) }
}

/** An agent signed in with a CSRF token for the console's POSTs. */
export async function agentSession (app: FastifyInstance, username: string): Promise<{ cookie: string, token: string, post: (url: string, payload?: object) => Promise<LightMyRequestResponse> }> {
  const session = await login(app, username)
  const c = await csrf(app, session, '/livechat/console')
  return {
    cookie: c.cookie,
    token: c.token,
    post: async (url, payload = {}) => await app.inject({
      method: 'POST', url, payload, headers: { cookie: c.cookie, 'x-csrf-token': c.token, 'hx-request': 'true', ...sameOrigin }
    })
  }
}

/** A real WebSocket client that records every frame it receives. */
export interface SocketClient {
  ws: WebSocket
  frames: string[]
  closed: Promise<{ code: number, reason: string }>
  /** Resolves once a received frame matches, looking at frames already received too. */
  waitFor: (match: RegExp, timeoutMs?: number) => Promise<string>
  send: (frame: object) => void
  close: () => Promise<void>
}

export async function openSocket (baseUrl: string, path: string, headers: Record<string, string>, options: WebSocket.ClientOptions = {}): Promise<SocketClient> {
  const ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + path, { ...options, headers })
  const frames: string[] = []
  const waiters: Array<{ match: RegExp, resolve: (f: string) => void }> = []
  ws.on('message', (data) => {
    const text = data.toString()
    frames.push(text)
    for (const w of [...waiters]) {
      if (w.match.test(text)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(text) }
    }
  })
  ws.on('error', () => {})
  const closed = new Promise<{ code: number, reason: string }>((resolve) => {
    ws.on('close', (code, reason) => { resolve({ code, reason: reason.toString() }) })
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => { resolve() })
    ws.once('unexpected-response', (_req, res) => { reject(new Error(`upgrade refused: ${res.statusCode}`)) })
    ws.once('error', reject)
  })
  return {
    ws,
    frames,
    closed,
    waitFor (match, timeoutMs = 5000) {
      const seen = frames.find((f) => match.test(f))
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { reject(new Error(`no frame matching ${String(match)} in ${timeoutMs} ms; got ${frames.length} frames`)) }, timeoutMs)
        waiters.push({ match, resolve: (f) => { clearTimeout(timer); resolve(f) } })
      })
    },
    send (frame) { ws.send(JSON.stringify(frame)) },
    async close () {
      if (ws.readyState === WebSocket.CLOSED) return
      ws.close()
      await closed
    }
  }
}

/** The seq numbers of the message fragments in a frame, in order. */
export function seqsIn (frame: string): number[] {
  return [...frame.matchAll(/data-seq="(\d+)"/g)].map((m) => Number(m[1]))
}
