import websocket from '@fastify/websocket'
import Fastify from 'fastify'
import type { FromSchema } from 'json-schema-to-ts'
import t from 'tap'
import { LC_ERR_CHAT_NOT_FOUND, LC_ERR_UNAUTHENTICATED } from '../../plugin/errors.ts'
import { memoryBus } from '../../plugin/realtime/bus.ts'
import { fragment } from '../../plugin/realtime/fragments.ts'
import { type Client, createHub } from '../../plugin/realtime/hub.ts'
import { type Audience, closeCodes, createSocketServer, type Identified, type Live } from '../../plugin/realtime/socket-server.ts'
import { notice } from '../../plugin/web/answers.ts'
import { openSocket } from '../helpers/build.ts'

// The socket server on its own (docs/design.md §6): a bare Fastify with @fastify/websocket,
// the real hub over an in-process bus, a small audience of its own, and real ws clients.
// What the console and the customer do with their frames is tested beside them.

const settle = async (ms = 150): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

const frames = {
  $id: 'lc/test/socket-frame',
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['type', 'text'], properties: { type: { const: 'echo' }, text: { type: 'string', maxLength: 20 } } },
    { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: 'count' } } },
    { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: 'refuse' } } },
    { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: 'crash' } } },
    { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: 'throw' } } }
  ]
} as const
type Frame = FromSchema<typeof frames>

/**
 * A server with one socket route, /ws. `?gate=1` holds the identify step until `open()` is
 * called; `?refuse=coded` and `?refuse=crash` make it fail with a coded or a plain error.
 */
async function rig (t: { teardown: (fn: () => unknown) => void }, opts: { maxBufferedBytes?: number, messagesPerMinute?: number, logs?: string[] } = {}) {
  const logs = opts.logs
  const app = Fastify({ logger: logs ? { level: 'info', stream: { write: (line: string) => { logs.push(line) } } } : false })
  await app.register(websocket)
  const bus = memoryBus()
  const hub = createHub({ bus, messagesBetween: async () => [], renderMessages: () => '', customerSees: () => true, log: app.log, maxBufferedBytes: opts.maxBufferedBytes })
  const sockets = createSocketServer({ hub, log: app.log, settings: { messagesPerMinute: opts.messagesPerMinute ?? 100 }, notice })
  const gate: { open: () => void, wait: Promise<void> } = { open: () => {}, wait: Promise.resolve() }
  gate.wait = new Promise((resolve) => { gate.open = resolve })
  const clients: Client[] = []

  const audience: Audience<Identified, Frame> = {
    frames,
    async identify (socket, request) {
      const query = request.query as { gate?: string, refuse?: string }
      if (query.refuse === 'coded') throw new LC_ERR_UNAUTHENTICATED()
      if (query.refuse === 'crash') throw new Error('the host is down')
      if (query.gate) await gate.wait
      const client: Client = { socket, kind: 'agent', userId: '7', chatId: null, topics: new Set(['everyone']), seqs: new Map(), streams: new Map(), chain: Promise.resolve() }
      clients.push(client)
      return { client }
    },
    async start (_id, socket) {
      await socket.send([fragment('lc-hello', 'innerHTML', 'hello')])
    },
    handlers: {
      async echo (frame, socket) { await socket.send([fragment('lc-echo', 'beforeend', `<p>echo:${frame.text}</p>`)]) },
      async count (_frame, socket) { await socket.send([fragment('lc-count', 'innerHTML', `allowed:${String(socket.allowed())}`)]) },
      async refuse (_frame, socket) { await socket.refuse(new LC_ERR_CHAT_NOT_FOUND('7')) },
      async crash () { throw new Error('boom') },
      async throw () { throw new LC_ERR_CHAT_NOT_FOUND('8') }
    }
  }
  app.get('/ws', { websocket: true }, sockets.serve(audience))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  t.teardown(async () => { await hub.close(); await app.close(); await bus.close() })
  const open = async (query = '', options = {}) => {
    const socket = await openSocket(url, `/ws${query}`, { origin: url }, options)
    t.teardown(async () => { await socket.close() })
    return socket
  }
  return { app, hub, sockets, gate, clients, open }
}

t.test('socket server: identify', async (t) => {
  t.test('frames wait until the socket is identified; nothing is sent before, nothing is lost', async (t) => {
    const r = await rig(t)
    const socket = await r.open('?gate=1')
    socket.send({ type: 'echo', text: 'one' })
    socket.send({ type: 'nonsense' })
    socket.send({ type: 'echo', text: 'two' })
    await settle()
    t.same(socket.frames, [], 'not even an error frame before the identify step passed')
    r.gate.open()
    await socket.waitFor(/echo:two/)
    t.same(socket.frames.map((f) => /lc-(hello|echo|notice)/.exec(f)?.[0]), ['lc-hello', 'lc-echo', 'lc-notice', 'lc-echo'], 'what start sends first, then each frame in the order sent')
    t.match(socket.frames[1], /echo:one/)
  })

  t.test('refused: the upgrade is accepted, then closed with 1008 and the code, and nothing is sent', async (t) => {
    const r = await rig(t)
    const coded = await r.open('?refuse=coded')
    t.same(await coded.closed, { code: 1008, reason: 'LC_ERR_UNAUTHENTICATED' })
    t.same(coded.frames, [])
    const crashed = await r.open('?refuse=crash')
    t.same(await crashed.closed, { code: 1008, reason: 'LC_ERR_INTERNAL' }, 'an error that is not ours is not told')
    t.equal(closeCodes.refused, 1008)
  })

  t.test('a socket gone while it was identified is never attached to the hub', async (t) => {
    const r = await rig(t)
    const socket = await r.open('?gate=1')
    await socket.close()
    r.gate.open()
    await settle()
    t.equal(r.clients.length, 1, 'identified')
    t.same(r.hub.clients('everyone'), [], 'but not attached')
  })
})

t.test('socket server: frames', async (t) => {
  t.test('each frame goes to its type\'s handler', async (t) => {
    const r = await rig(t)
    const socket = await r.open()
    socket.send({ type: 'echo', text: 'hi' })
    t.match(await socket.waitFor(/echo:hi/), /<hx-partial hx-target="#lc-echo" hx-swap="beforeend">/)
  })

  t.test('refusals answer with an error in the notice area and keep the socket open', async (t) => {
    const r = await rig(t)
    const socket = await r.open()
    socket.ws.send(Buffer.from([1, 2, 3]))
    const binary = await socket.waitFor(/binary frames/)
    t.match(binary, /<hx-partial hx-target="#lc-notice" hx-swap="innerHTML">/)
    t.match(binary, /data-code="LC_ERR_BAD_FRAME"[^]*That message could not be read: binary frames are not accepted/)
    socket.ws.send('{ not json')
    await socket.waitFor(/That message could not be read: it is not JSON/)
    socket.send({ type: 'shout' })
    await socket.waitFor(/type must be one of: echo, count, refuse, crash, throw</)
    socket.ws.send('null')
    socket.send({ type: 'echo', text: 'after null' })
    await socket.waitFor(/echo:after null/)
    t.equal(socket.frames.filter((f) => /type must be one of/.test(f)).length, 2, 'a frame that is not an object is told the types too')
    socket.send({ type: 'echo' })
    await socket.waitFor(/text is required/)
    socket.send({ type: 'echo', text: 'x'.repeat(21) })
    await socket.waitFor(/text can be at most 20 characters/)
    socket.send({ type: 'refuse' })
    t.match(await socket.waitFor(/LC_ERR_CHAT_NOT_FOUND/), /Chat 7 does not exist/)
    socket.send({ type: 'throw' })
    t.match(await socket.waitFor(/Chat 8 does not exist/), /data-code="LC_ERR_CHAT_NOT_FOUND"/, 'a refusal a handler throws is told as it is')
    socket.send({ type: 'crash' })
    const crash = await socket.waitFor(/LC_ERR_UNAVAILABLE/)
    t.match(crash, /Live chat could not do that just now; try again in a moment/, 'a fault of ours does not blame the frame')
    t.notMatch(crash, /could not be read/)
    socket.send({ type: 'echo', text: 'still here' })
    await socket.waitFor(/echo:still here/)
    t.equal(socket.ws.readyState, socket.ws.OPEN)
  })

  t.test('logging: refused frames are warnings without a stack, at most one a minute per socket', async (t) => {
    const logs: string[] = []
    const r = await rig(t, { logs })
    const socket = await r.open()
    for (let i = 0; i < 50; i++) socket.ws.send('{ not json')
    socket.send({ type: 'echo', text: 'done' })
    await socket.waitFor(/echo:done/)
    const refused = logs.map((l) => JSON.parse(l) as { level: number, msg: string, code?: string, err?: unknown }).filter((l) => l.msg === 'live chat socket frame refused')
    t.equal(refused.length, 1, 'fifty bad frames, one line')
    t.equal(refused[0]!.level, 40, 'at warn')
    t.equal(refused[0]!.code, 'LC_ERR_BAD_FRAME')
    t.equal(refused[0]!.err, undefined, 'no error object, so no stack')
    t.equal(socket.frames.filter((f) => /it is not JSON/.test(f)).length, 50, 'the sender is still told each time')
    socket.send({ type: 'crash' })
    socket.send({ type: 'crash' })
    socket.send({ type: 'echo', text: 'again' })
    await socket.waitFor(/echo:again/)
    const failed = logs.map((l) => JSON.parse(l) as { level: number, msg: string, err?: { message: string } }).filter((l) => l.msg === 'live chat socket message failed')
    t.equal(failed.length, 1, 'a fault of ours is an error line, once a minute however often it happens')
    t.equal(failed[0]!.level, 50)
    t.equal(failed[0]!.err?.message, 'boom')
  })

  t.test('rate limit: a fixed window of messagesPerMinute per socket', async (t) => {
    const r = await rig(t, { messagesPerMinute: 2 })
    const first = await r.open()
    for (let i = 0; i < 3; i++) first.send({ type: 'count' })
    await first.waitFor(/allowed:false/)
    t.same(first.frames.flatMap((f) => /allowed:(\w+)/.exec(f)?.[1] ?? []), ['true', 'true', 'false'])
    const second = await r.open()
    second.send({ type: 'count' })
    await second.waitFor(/allowed:true/, 2000)
    t.pass('another socket has its own window')
  })
})

t.test('socket server: liveness', async (t) => {
  t.test('a socket that stops answering pings is terminated; one that answers stays and is live', async (t) => {
    const r = await rig(t)
    const seen: Live[] = []
    const stop = r.sockets.onTick(100, (live) => { seen.push(live) })
    t.teardown(stop)
    const silent = await r.open('', { autoPong: false })
    const healthy = await r.open()
    await healthy.waitFor(/hello/)
    const closed = await silent.closed
    t.equal(closed.code, 1006, 'terminated, not closed politely')
    t.equal(healthy.ws.readyState, healthy.ws.OPEN)
    const [healthyClient] = r.clients.filter((c) => c.socket.readyState === 1)
    t.ok(seen.at(-1)!.has(healthyClient!.socket), 'the listener is told which sockets answered')
  })

  t.test('a pong that comes after the next ping keeps the socket: it is cut off only when it answers none of the last two', async (t) => {
    // On a busy server (or with a busy browser) a pong is read a little after the next tick
    // was due; cutting such a socket off closed live consoles at 18,000 windows.
    const r = await rig(t)
    const live: Live[] = []
    const stop = r.sockets.onTick(100, (l) => { live.push(l) })
    t.teardown(stop)
    const late = await r.open('', { autoPong: false })
    late.ws.on('ping', () => { setTimeout(() => { if (late.ws.readyState === late.ws.OPEN) late.ws.pong() }, 150) })
    const silent = await r.open('', { autoPong: false })
    await late.waitFor(/hello/)
    t.equal((await silent.closed).code, 1006, 'a socket that answers nothing is still cut off')
    await settle(600)
    t.equal(late.ws.readyState, late.ws.OPEN, 'every pong half a period late, six periods long: still open')
    const [lateClient] = r.clients.filter((c) => c.socket.readyState === 1)
    t.ok(live.at(-1)!.has(lateClient!.socket), 'and the listeners are told it is live')
  })

  t.test('one tick, at the shortest period asked for, for every listener; none once nobody listens', async (t) => {
    const r = await rig(t)
    const calls = { slow: 0, fast: 0 }
    const stopSlow = r.sockets.onTick(10_000, () => { calls.slow++ })
    const stopFast = r.sockets.onTick(50, () => { calls.fast++ })
    await settle(400)
    t.ok(calls.fast >= 3, `ticks every 50 ms (${calls.fast})`)
    t.equal(calls.slow, calls.fast, 'every listener on every tick')
    stopFast()
    const before = calls.slow
    await settle(300)
    t.equal(calls.slow, before, 'back to the slower period')
    stopSlow()
    const silent = await r.open('', { autoPong: false })
    await settle(300)
    t.equal(silent.ws.readyState, silent.ws.OPEN, 'nobody listens: no tick, no ping')
  })
})

t.test('socket server: close codes', async (t) => {
  t.test('1012 when the instance shuts down: the hub closes every socket', async (t) => {
    const r = await rig(t)
    const socket = await r.open()
    await socket.waitFor(/hello/)
    await r.hub.close()
    t.same(await socket.closed, { code: closeCodes.restarting, reason: 'Server restarting' })
    t.equal(closeCodes.restarting, 1012)
  })

  t.test('1013 when a socket is too far behind', async (t) => {
    // Any unsent byte is too many: the first send finds the socket behind.
    const r = await rig(t, { maxBufferedBytes: -1 })
    const socket = await r.open()
    t.same(await socket.closed, { code: closeCodes.behind, reason: 'Too far behind; reconnect' })
    t.same(socket.frames, [])
    t.equal(closeCodes.behind, 1013)
  })
})
