import { connect, type Socket } from 'node:net'
import t from 'tap'
import { agentSession, build, openSocket } from '../helpers/build.ts'

// The plugin's WebSocket server takes only the upgrades under its prefix (docs/features.md#shutdown):
// one to a host page is answered 404 and closed, so nothing is left open for the host's close to wait on.

/** Sends a WebSocket upgrade request for `path` on a raw connection; resolves with the connection. */
async function rawUpgrade (url: string, path: string): Promise<{ socket: Socket, received: () => string, ended: Promise<void> }> {
  const { hostname, port } = new URL(url)
  const socket = connect(Number(port), hostname)
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  let data = ''
  socket.on('data', (chunk) => { data += chunk.toString() })
  socket.on('error', () => {})
  const ended = new Promise<void>((resolve) => { socket.once('close', () => { resolve() }) })
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
  return { socket, received: () => data, ended }
}

/** Resolves with what `work` gives, or rejects once `ms` have passed, naming `what`. */
async function within<T> (ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`${what} did not finish within ${ms / 1000} s`)) }, ms) })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}

t.test('an upgrade to a host page is answered 404 and closed', async (t) => {
  const { url } = await build(t, { listen: true })
  const raw = await rawUpgrade(url, '/portal')
  await within(5000, 'the refused upgrade', raw.ended)
  t.match(raw.received(), /^HTTP\/1\.1 404 Not Found\r\n/)
})

t.test('closing finishes with sockets open, jobs running and an upgrade to a host path pending', async (t) => {
  const { app, url } = await build(t, { listen: true, pluginOptions: { jobs: true } })
  const alice = await agentSession(app, 'alice')
  const consoleSocket = await openSocket(url, '/livechat/ws/console', { cookie: alice.cookie, origin: url })
  await consoleSocket.waitFor(/lc-/)
  const raw = await rawUpgrade(url, '/kb')
  t.teardown(() => { raw.socket.destroy() })
  await within(10_000, 'app.close()', app.close())
  t.equal((await within(5000, 'the console socket closing', consoleSocket.closed)).code, 1012, 'the console is told to reconnect elsewhere')
  await within(5000, 'the host-path upgrade closing', raw.ended)
  t.pass('closed')
})
