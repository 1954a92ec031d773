/**
 * Operations benchmark (docs/features.md#metrics, docs/features.md#health-and-readiness):
 * what the Prometheus metrics cost on the message path, and how fast the probes answer.
 *
 * 1. The message path with metrics on and off, in the same run: chat.message events through
 *    the in-process bus to one subscriber, raw and wrapped by the metrics (which count each
 *    event and look for a first response), in alternating rounds so both see the same machine.
 * 2. `/ready` and `/metrics` latency: the demo host with the plugin on a fresh database
 *    (DATABASE_URL, else SQLite in a temp file), asked one request after another over loopback.
 * 3. Settings: the message path with and without the settings service listening on the bus
 *    (it looks at every event for settings.changed), alternating as in 1; and how soon a
 *    change saved on one instance applies on another: two settings services on the same
 *    database and one bus, as two instances have.
 *
 * Every figure is printed as `label: value unit`. Bounded to about 20 s.
 * Environment: DATABASE_URL, BENCH_SECONDS per measured part (4), BENCH_TIMEOUT hard limit in seconds (60).
 */
import { performance } from 'node:perf_hooks'
import { buildDemoHost } from '../demo-host/app.ts'
import { prepareDatabase } from '../demo-host/setup.ts'
import type { Message } from '../plugin/chats/types.ts'
import { memoryBus } from '../plugin/realtime/bus.ts'
import type { Bus } from '../plugin/realtime/bus-events.ts'
import { createMetrics } from '../plugin/ops/metrics.ts'
import { createSettingsService } from '../plugin/admin/settings-service.ts'
import { loadManifest } from '../plugin/manifest.ts'
import { liveSettings, resolveSettings } from '../plugin/settings.ts'
import { fmt, freshDatabase, guardRun, numberFromEnv, percentile } from './common.ts'

const SECONDS = numberFromEnv('BENCH_SECONDS', 4, 0.5)
const TIMEOUT_MS = numberFromEnv('BENCH_TIMEOUT', 60, 5) * 1000
const ROUNDS = 4
const token = 'bench-metrics-token-0123456789abcdef'

const run = guardRun({ timeoutMs: TIMEOUT_MS })
const { cleanups } = run

/** Events a second through `bus` for `ms`: published in batches, each batch waited for at its subscriber. */
async function throughput (bus: Bus, ms: number): Promise<number> {
  let received = 0
  let target = 0
  let done: (() => void) | undefined
  const unsubscribe = bus.subscribe(() => {
    received++
    if (received >= target && done) { done(); done = undefined }
  })
  const message: Message = {
    id: 1, chatId: 1, seq: 1, kind: 'text', authorKind: 'agent', authorId: '2', authorName: 'Alice', body: 'Hello', clientMsgId: null, createdAt: Date.now()
  }
  const batch = 200
  const began = performance.now()
  while (performance.now() - began < ms && !run.halted()) {
    target = received + batch
    const arrived = new Promise<void>((resolve) => { done = resolve })
    for (let i = 0; i < batch; i++) await bus.publish({ type: 'chat.message', chatId: 1 + (i % 50), message: { ...message, seq: received + i } })
    await arrived
  }
  const elapsed = (performance.now() - began) / 1000
  unsubscribe()
  return received / elapsed
}

/** Latencies (ms, sorted) of one GET after another for `ms`. */
async function latencies (url: string, headers: Record<string, string>, ms: number): Promise<number[]> {
  const out: number[] = []
  const began = performance.now()
  while (performance.now() - began < ms && !run.halted()) {
    const t0 = performance.now()
    const res = await fetch(url, { headers })
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`)
    out.push(performance.now() - t0)
  }
  return out.sort((a, b) => a - b)
}

async function main (): Promise<number> {
  const began = performance.now()
  console.log(`setup: ${SECONDS} s per measured part, Node ${process.version}`)

  // 1. The message path, metrics off and on, alternating.
  const off: number[] = []
  const on: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const raw = memoryBus()
    off.push(await throughput(raw, (SECONDS * 1000) / ROUNDS))
    await raw.close()
    const metrics = createMetrics({ clock: Date.now })
    const watched = metrics.watch(memoryBus())
    on.push(await throughput(watched, (SECONDS * 1000) / ROUNDS))
    metrics.close()
    await watched.close()
  }
  const best = (xs: number[]): number => Math.max(...xs)
  console.log(`bus message path, metrics off: ${fmt(best(off), 0)} events/s`)
  console.log(`bus message path, metrics on: ${fmt(best(on), 0)} events/s`)
  console.log(`bus message path ratio (on/off): ${fmt(best(on) / best(off), 3)} x`)

  // 2. The probes and the scrape, over loopback.
  const db = await freshDatabase('ops')
  cleanups.push(db.drop)
  await prepareDatabase(db.knex)
  console.log(`database: ${db.describe}`)
  const app = await buildDemoHost({
    knex: db.knex,
    logger: { level: 'warn', stream: process.stderr },
    pluginOptions: { jobs: false, settings: { metricsToken: token } }
  })
  cleanups.push(async () => { await app.close() })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/livechat`
  await latencies(`${base}/ready`, {}, 300)
  const ready = await latencies(`${base}/ready`, {}, (SECONDS * 1000) / 2)
  console.log(`ready requests: ${ready.length} requests`)
  console.log(`ready p50: ${fmt(percentile(ready, 0.5), 2)} ms`)
  console.log(`ready p99: ${fmt(percentile(ready, 0.99), 2)} ms`)
  const scrape = await latencies(`${base}/metrics`, { authorization: `Bearer ${token}` }, (SECONDS * 1000) / 2)
  console.log(`metrics scrape p50: ${fmt(percentile(scrape, 0.5), 2)} ms`)
  console.log(`metrics scrape p99: ${fmt(percentile(scrape, 0.99), 2)} ms`)

  // 3. Settings on the message path, and a change reaching another instance.
  const manifest = loadManifest()
  const quiet = { warn: () => {}, error: () => {} }
  const instance = (bus: Bus) => {
    const live = liveSettings(resolveSettings(manifest, {}))
    return { live, service: createSettingsService({ db: db.knex, bus, log: quiet, manifest, live, fixed: {} }) }
  }
  const without: number[] = []
  const listening: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const raw = memoryBus()
    without.push(await throughput(raw, (SECONDS * 1000) / ROUNDS / 2))
    await raw.close()
    const bus = memoryBus()
    instance(bus)
    listening.push(await throughput(bus, (SECONDS * 1000) / ROUNDS / 2))
    await bus.close()
  }
  console.log(`bus message path, settings not listening: ${fmt(best(without), 0)} events/s`)
  console.log(`bus message path, settings listening: ${fmt(best(listening), 0)} events/s`)
  console.log(`bus message path ratio (listening/not): ${fmt(best(listening) / best(without), 3)} x`)
  const shared = memoryBus()
  const [one, other] = [instance(shared), instance(shared)]
  const applied: number[] = []
  const admin = { id: 'bench', name: 'Bench' }
  for (let i = 0; i < 50 && !run.halted(); i++) {
    const want = 5000 + i
    const t0 = performance.now()
    const seen = new Promise<void>((resolve) => {
      const stop = other.live.onChange(() => { if (other.live.settings.maxMessageLength === want) { stop(); resolve() } })
    })
    await one.service.save({ maxMessageLength: want }, admin)
    await seen
    applied.push(performance.now() - t0)
  }
  applied.sort((a, b) => a - b)
  console.log(`settings change applied on another instance p50: ${fmt(percentile(applied, 0.5), 2)} ms`)
  console.log(`settings change applied on another instance p99: ${fmt(percentile(applied, 0.99), 2)} ms`)
  await shared.close()
  console.log(`run time: ${fmt((performance.now() - began) / 1000)} s`)
  return 0
}

await run.finish(main)
