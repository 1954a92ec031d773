/**
 * The consoles of bench/fanout.ts, in a thread of their own: as browsers, they read their frames
 * beside the server, not in its event loop, so the bench times what the server does.
 *
 * Messages in: `{ open: cookies }` opens one console per cookie, 25 at a time, each waiting for
 * its first queue push, and answers `{ opened: n }`; `{ watch: text, ms }` answers `{ pending: n }`,
 * the consoles that were not pushed a frame holding `text` within `ms`.
 */
import { parentPort, workerData } from 'node:worker_threads'
import WebSocket from 'ws'

const { wsBase, origin } = workerData as { wsBase: string, origin: string }
const consoles: Array<{ ws: WebSocket, frames: string[] }> = []

async function openConsole (cookie: string): Promise<void> {
  const ws = new WebSocket(`${wsBase}/livechat/ws/console`, { headers: { cookie, origin }, perMessageDeflate: false })
  const frames: string[] = []
  ws.on('error', (err) => { console.error(`console socket: ${err.message}`) })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('a console had no queue push in 60 s')) }, 60_000)
    ws.once('unexpected-response', (_req, res) => { clearTimeout(timer); reject(new Error(`console upgrade refused (${res.statusCode})`)) })
    ws.on('message', (data) => {
      const text = data.toString()
      // Only the last few frames matter (the newest queue), and 250 consoles must not hoard them.
      frames.push(text)
      if (frames.length > 4) frames.shift()
      if (text.includes('hx-target="#lc-queue"') || text.includes('id="lc-queue"')) { clearTimeout(timer); resolve() }
    })
  })
  consoles.push({ ws, frames })
}

parentPort!.on('message', (msg: { open?: string[], watch?: string, ms?: number, close?: true }) => {
  void (async () => {
    if (msg.open) {
      for (let i = 0; i < msg.open.length; i += 25) await Promise.all(msg.open.slice(i, i + 25).map(openConsole))
      parentPort!.postMessage({ opened: consoles.length })
    }
    if (msg.watch !== undefined) {
      const until = Date.now() + (msg.ms ?? 60_000)
      const pending = new Set(consoles)
      while (pending.size > 0 && Date.now() < until) {
        for (const c of [...pending]) if (c.frames.some((f) => f.includes(msg.watch!))) pending.delete(c)
        if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 20))
      }
      parentPort!.postMessage({ pending: pending.size })
    }
    if (msg.close) {
      for (const c of consoles) c.ws.terminate()
      parentPort!.postMessage({ closed: true })
    }
  })().catch((err: unknown) => { parentPort!.postMessage({ error: (err as Error).message }) })
})
