import type { Knex } from 'knex'
import type { Settings } from '../settings.ts'
import { inParallel } from '../workers.ts'
import { allowedHosts, type Lookup } from './address.ts'
import { type Attempt, send } from './send.ts'
import * as store from './store.ts'

/*
 * Delivery (docs/webhooks.md#retries, docs/design.md §7): the `webhooks` job sends what is
 * due, each delivery claimed by one conditional UPDATE first so two instances (or the job and
 * a Redeliver) never send the same one at once. At least once: a delivery is marked delivered
 * only after its 2xx, so a crash between the two sends it again, with the same event id.
 */

/** The first retry waits 15 seconds; each failure after doubles it, up to an hour. */
export const firstRetryMs = 15_000
export const longestRetryMs = 3_600_000

export function retryDelay (attempts: number): number {
  return Math.min(firstRetryMs * 2 ** Math.max(0, attempts - 1), longestRetryMs)
}

/** How many deliveries of different chats go out at once in one run. */
const parallel = 8
/** How many pending deliveries one pass reads. */
const batch = 1000
/** How long the delivery log keeps a delivery once it is delivered or given up (docs/webhooks.md#retries-and-turning-off). */
export const keepFinishedMs = 30 * 86_400_000
/** Finished deliveries removed per run, so a run after a long pause does not hold the database for long. */
const pruneBatch = 500

/** How long one run goes on sending before it lets the next run (and its new lease) take over. */
const runBudgetMs = 20_000

interface Log {
  info: (obj: object, msg: string) => void
  warn: (obj: object, msg: string) => void
}

export interface DeliveryDeps {
  db: Knex
  settings: Pick<Settings, 'webhookAllowedHosts' | 'webhookTimeoutSeconds' | 'webhookRetryHours' | 'webhookDisableAfterFailures'>
  clock: () => number
  log: Log
  owner: string
  userAgent: string
  /** Resolves host names (tests point it at their own answers); the system's resolver by default. */
  lookup?: Lookup
  /** Told when an endpoint was turned off for failing: it tells the administrators. */
  disabled: (endpointId: number, reason: string) => Promise<void>
}

export type Trigger = 'job' | 'redeliver' | 'test'

export interface Delivery {
  /** One run of the job: sends what is due until nothing is, the budget is spent or the lease is lost. */
  run (stillOurs: () => Promise<boolean>): Promise<{ rows: number, summary: string, error?: string }>
  /** Sends one delivery now, whatever its state (Redeliver, Send test event); null when another instance holds it. */
  sendNow (delivery: store.DueDelivery, trigger: Trigger): Promise<Attempt | null>
}

export function createDelivery (deps: DeliveryDeps): Delivery {
  const { db, settings, clock, log, owner } = deps
  const timeoutMs = (): number => settings.webhookTimeoutSeconds * 1000
  const windowMs = (): number => settings.webhookRetryHours * 3_600_000

  /** The request body: the stored data is already JSON, so it is placed as it is, not parsed and written again. */
  function body (d: store.DueDelivery): string {
    return `{"id":${JSON.stringify(d.uid)},"type":${JSON.stringify(d.type)},"createdAt":${JSON.stringify(new Date(d.eventAt).toISOString())},"data":${d.data}}`
  }

  /** Sends a claimed delivery and records the attempt and what follows from it. */
  async function attempt (d: store.DueDelivery, trigger: Trigger): Promise<Attempt> {
    const secret = await store.endpointSecret(db, d.endpointId) ?? ''
    const allowed = allowedHosts(settings.webhookAllowedHosts)
    const tried = await send(d.url, secret, d, body(d), { timeoutMs: timeoutMs(), allowed, lookup: deps.lookup, userAgent: deps.userAgent }, clock)
    const at = clock()
    await store.insertAttempt(db, {
      delivery_id: d.id,
      endpoint_id: d.endpointId,
      ok: tried.ok,
      status: tried.status,
      duration_ms: tried.durationMs,
      excerpt: tried.excerpt?.slice(0, 500) ?? null,
      error: tried.error?.slice(0, 500) ?? null,
      instance: owner,
      trigger,
      at
    })
    const attempts = d.attempts + 1
    if (tried.ok) {
      await store.settle(db, d.id, owner, { state: 'delivered', attempts, next_attempt_at: at, delivered_at: at })
      await store.countSuccess(db, d.endpointId)
      return tried
    }
    // A Redeliver of a pending delivery starts a fresh retry window; the job's retries keep the one they have.
    // One of a delivery that was delivered or given up keeps that state: retried, it would hold up the chat's later events.
    const retryFrom = trigger === 'job' ? d.retryFrom : at
    const next = at + retryDelay(attempts)
    const state = d.state !== 'pending' ? d.state : next > retryFrom + windowMs() ? 'failed' : 'pending'
    await store.settle(db, d.id, owner, { state, attempts, next_attempt_at: next, retry_from: retryFrom })
    const inRow = await store.countFailure(db, d.endpointId)
    if (inRow >= settings.webhookDisableAfterFailures) {
      const reason = `Turned off after ${inRow} failed deliveries in a row; the last: ${tried.error ?? 'no answer'}`
      if (await store.autoDisable(db, d.endpointId, reason, at) === 1) {
        log.warn({ endpointId: d.endpointId, failures: inRow }, 'live chat webhook endpoint turned off after repeated failures')
        await deps.disabled(d.endpointId, reason)
      }
    }
    return tried
  }

  async function sendNow (d: store.DueDelivery, trigger: Trigger): Promise<Attempt | null> {
    const now = clock()
    if (!await store.claim(db, d.id, owner, now, now + timeoutMs() + 30_000, false)) return null
    return await attempt(d, trigger)
  }

  return {
    sendNow,

    async run (stillOurs) {
      const started = clock()
      let sent = 0
      let failed = 0
      // An endpoint that failed is not tried again in the same run: its other deliveries keep their turn.
      const failing = new Set<number>()
      while (clock() - started < runBudgetMs) {
        // Each order key's deliveries in event order, one key at a time per worker: a later event goes only
        // after the earlier was delivered, and the key stops at its first delivery not due, claimed or failed.
        const streams = new Map<string, store.PendingDelivery[]>()
        for (const d of await store.pendingDeliveries(db, batch)) {
          const key = `${d.endpointId}:${d.orderKey ?? `#${d.id}`}`
          streams.set(key, [...(streams.get(key) ?? []), d])
        }
        const queue = [...streams.values()]
        const sentBefore = sent
        await inParallel(queue, parallel, async (stream) => {
          for (const d of stream) {
            const now = clock()
            if (failing.has(d.endpointId) || d.nextAttemptAt > now || (d.claimedUntil !== null && d.claimedUntil >= now)) break
            if (!await store.claim(db, d.id, owner, now, now + timeoutMs() + 30_000, true)) break
            const tried = await attempt(d, 'job')
            if (!tried.ok) { failed++; failing.add(d.endpointId); break }
            sent++
          }
        })
        if (sent === sentBefore || !await stillOurs()) break
      }
      const pruned = await store.pruneFinished(db, clock() - keepFinishedMs, pruneBatch)
      const summary = `Delivered ${sent} webhook event${sent === 1 ? '' : 's'}` + (failed > 0 ? `; ${failed} failed and will be retried` : '') +
        (pruned > 0 ? `; removed ${pruned} finished more than 30 days ago from the log` : '')
      return failed > 0 ? { rows: sent, summary, error: `${failed} deliver${failed === 1 ? 'y' : 'ies'} failed; see the delivery log on the Webhooks page` } : { rows: sent, summary }
    }
  }
}
