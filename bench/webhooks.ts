/**
 * Webhooks benchmark (docs/webhooks.md, docs/design.md §9): what recording events in the
 * outbox costs the message path, and how fast the webhooks job delivers them, on the database
 * DATABASE_URL names (SQLite in a temp file, WAL, when it is unset).
 *
 * The plugin's own services on a migrated, seeded database, in one process: BENCH_CHATS chats,
 * and customers posting messages to them in a closed loop (BENCH_CONCURRENCY at once) for
 * BENCH_SECONDS with webhooks off (no endpoint), then as long again with one endpoint that
 * wants every event (each message then writes its event and delivery in its transaction),
 * then off once more. Then the webhooks job delivers the outbox, exactly as the job does
 * (claims, signatures, the address check, attempts recorded), to a receiver on loopback that
 * answers 200, until nothing is pending. Every figure is printed as `label: value unit`; the
 * run exits 1 when an event was not received exactly once.
 *
 * Environment: DATABASE_URL, BENCH_CHATS (20), BENCH_SECONDS per phase (5), BENCH_CONCURRENCY
 * (8), BENCH_TIMEOUT hard limit for the whole run in seconds (default from the others).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { prepareDatabase } from '../demo-host/setup.ts'
import { createChatService } from '../plugin/chats/service.ts'
import { sqlHost } from '../plugin/host/sql-host.ts'
import { loadManifest } from '../plugin/manifest.ts'
import { memoryBus } from '../plugin/realtime/bus.ts'
import { createRoutingService } from '../plugin/routing/service.ts'
import { resolveSettings } from '../plugin/settings.ts'
import { createWebhookOutbox } from '../plugin/webhooks/outbox.ts'
import { createWebhookService } from '../plugin/webhooks/service.ts'
import { fmt, freshDatabase, guardRun, numberFromEnv } from './common.ts'

const CHATS = Math.floor(numberFromEnv('BENCH_CHATS', 20, 1))
const SECONDS = numberFromEnv('BENCH_SECONDS', 5, 0.5)
const CONCURRENCY = Math.floor(numberFromEnv('BENCH_CONCURRENCY', 8, 1))
const TIMEOUT_MS = numberFromEnv('BENCH_TIMEOUT', 120 + 10 * SECONDS, 10) * 1000

const run = guardRun({ timeoutMs: TIMEOUT_MS })
const log = { info: () => {}, warn: (o: object, m: string) => { console.error(m, o) }, error: (o: object, m: string) => { console.error(m, o) } }

await run.finish(async () => {
  const manifest = loadManifest()
  const db = await freshDatabase('webhooks')
  run.cleanups.push(db.drop)
  await prepareDatabase(db.knex)
  console.log(`database: ${db.describe}`)

  // A receiver as a customer of webhooks would run: it answers 200 and keeps each event id.
  const received = new Map<string, number>()
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const id = String(req.headers['x-livechat-event-id'])
      received.set(id, (received.get(id) ?? 0) + 1)
      res.writeHead(200).end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  run.cleanups.push(async () => { server.closeAllConnections(); await new Promise((resolve) => server.close(resolve)) })
  const receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`

  const settings = { ...resolveSettings(manifest, {}), webhookAllowedHosts: ['127.0.0.1'] }
  const bus = memoryBus()
  const outbox = createWebhookOutbox({})
  const routing = createRoutingService({ db: db.knex, bus, settings, webhooks: outbox })
  const chats = createChatService({ db: db.knex, bus, host: sqlHost(db.knex, manifest.host), routing, settings, webhooks: outbox })
  const webhooks = createWebhookService({ db: db.knex, settings, host: {}, outbox, log, instanceName: 'bench' } as never)

  const ids: number[] = []
  for (let i = 0; i < CHATS; i++) {
    const { chat } = await chats.startChat({ name: `Bench ${i}`, email: `bench${i}@customer.example`, question: 'How fast are webhooks?', customer: null })
    ids.push(chat.id)
  }

  let seq = 0
  /** Customers post for `seconds`, CONCURRENCY at once, each to the next chat: messages per second. */
  async function messages (seconds: number): Promise<number> {
    let done = 0
    const until = performance.now() + seconds * 1000
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until && !run.halted()) {
        const n = seq++
        const chatId = ids[n % ids.length]!
        await chats.postMessage(chatId, { kind: 'customer', id: null, name: 'Bench' }, `Message ${n} about a VPN that drops`, `bench-${n}`)
        done++
      }
    }))
    return done / seconds
  }

  const off1 = await messages(SECONDS)
  const { endpoint } = await webhooks.create({ url: receiverUrl, description: 'bench', events: ['message.created', 'chat.queued', 'chat.assigned', 'chat.ended'] },
    { id: '1', name: 'Bench' })
  const on = await messages(SECONDS)
  await webhooks.setEnabled(endpoint.id, false)
  const off2 = await messages(SECONDS)
  await webhooks.setEnabled(endpoint.id, true)
  const off = (off1 + off2) / 2
  console.log(`messages posted, webhooks off: ${fmt(off)} msg/s`)
  console.log(`messages posted, webhooks on: ${fmt(on)} msg/s`)
  console.log(`message path cost of webhooks: ${fmt((1 - on / off) * 100)} %`)

  const pending = Number((await db.knex('lc_webhook_deliveries').where({ state: 'pending' }).count({ n: '*' }).first())!.n)
  const t0 = performance.now()
  let delivered = 0
  while (!run.halted()) {
    const outcome = await webhooks.deliver(async () => true)
    delivered += outcome.rows
    if (outcome.rows === 0) break
  }
  const seconds = (performance.now() - t0) / 1000
  console.log(`events in the outbox: ${pending} events`)
  console.log(`events delivered: ${fmt(delivered / seconds)} events/s`)
  console.log(`delivery time: ${fmt(seconds, 2)} s`)
  const twice = [...received.values()].filter((n) => n > 1).length
  console.log(`events received more than once: ${twice} events`)
  if (delivered !== pending || received.size !== pending || twice > 0) {
    console.error(`expected ${pending} events each received once; delivered ${delivered}, received ${received.size} distinct`)
    return 1
  }
  return 0
})
