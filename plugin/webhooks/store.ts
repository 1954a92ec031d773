import type { Knex } from 'knex'
import { affected, toMs } from '../db/index.ts'

/*
 * The webhook tables (migrations 034, 035; docs/webhooks.md): endpoints, the outbox of
 * events, one delivery per event and endpoint, and every attempt for the delivery log.
 */

type Db = Knex | Knex.Transaction

export interface LcWebhookEndpointRow {
  id: number
  url: string
  description: string
  events: string
  secret: string
  enabled: number | boolean
  failures_in_row: number
  disabled_at: number | string | null
  disabled_reason: string | null
  created_by: string
  created_by_name: string
  created_at: number | string
  deleted_at: number | string | null
}

/** An endpoint as the service and the page know it; the secret is never part of it. */
export interface WebhookEndpoint {
  id: number
  url: string
  description: string
  events: string[]
  enabled: boolean
  failuresInRow: number
  disabledAt: number | null
  /** Why it was turned off by itself (repeated failures); null otherwise. */
  disabledReason: string | null
  createdBy: { id: string, name: string }
  createdAt: number
}

function toEndpoint (row: LcWebhookEndpointRow): WebhookEndpoint {
  return {
    id: Number(row.id),
    url: row.url,
    description: row.description,
    events: row.events === '' ? [] : row.events.split(','),
    enabled: Boolean(row.enabled),
    failuresInRow: Number(row.failures_in_row),
    disabledAt: toMs(row.disabled_at),
    disabledReason: row.disabled_reason,
    createdBy: { id: row.created_by, name: row.created_by_name },
    createdAt: toMs(row.created_at)!
  }
}

const endpoints = 'lc_webhook_endpoints'
const events = 'lc_webhook_events'
const deliveries = 'lc_webhook_deliveries'
const attempts = 'lc_webhook_attempts'

export async function insertEndpoint (db: Db, row: Omit<LcWebhookEndpointRow, 'id' | 'failures_in_row' | 'disabled_at' | 'disabled_reason' | 'deleted_at'>): Promise<number> {
  const [id] = await db(endpoints).insert({ ...row, failures_in_row: 0 })
  return Number(id)
}

export async function listEndpoints (db: Db): Promise<WebhookEndpoint[]> {
  const rows = await db<LcWebhookEndpointRow>(endpoints).whereNull('deleted_at').orderBy('id')
  return rows.map(toEndpoint)
}

export async function getEndpoint (db: Db, id: number): Promise<WebhookEndpoint | undefined> {
  const row = await db<LcWebhookEndpointRow>(endpoints).where({ id }).whereNull('deleted_at').first()
  return row ? toEndpoint(row) : undefined
}

/** What the outbox needs to fan an event out: the endpoints turned on, and the events each wants. */
export async function subscriptions (db: Db): Promise<Array<{ id: number, events: string[] }>> {
  const rows = await db(endpoints).where({ enabled: true }).whereNull('deleted_at').select('id', 'events')
  return rows.map((r: { id: number, events: string }) => ({ id: Number(r.id), events: r.events.split(',') }))
}

/** The secret, for signing (and for the creation answer that shows it once). */
export async function endpointSecret (db: Db, id: number): Promise<string | undefined> {
  const row = await db(endpoints).where({ id }).first('secret')
  return row ? String(row.secret) : undefined
}

/** Turns an endpoint on or off if it is not already; 0 when it was (someone else got there). */
export async function setEnabled (db: Db, id: number, enabled: boolean, at: number): Promise<number> {
  return affected(await db(endpoints).where({ id, enabled: !enabled }).whereNull('deleted_at')
    .update(enabled ? { enabled, failures_in_row: 0, disabled_at: null, disabled_reason: null } : { enabled, disabled_at: at, disabled_reason: null }))
}

export async function markEndpointDeleted (db: Db, id: number, at: number): Promise<number> {
  return affected(await db(endpoints).where({ id }).whereNull('deleted_at').update({ deleted_at: at, enabled: false }))
}

/** One more failure in a row; the count after it. */
export async function countFailure (db: Db, id: number): Promise<number> {
  await db(endpoints).where({ id }).increment('failures_in_row', 1)
  const row = await db(endpoints).where({ id }).first('failures_in_row')
  return Number(row?.failures_in_row ?? 0)
}

export async function countSuccess (db: Db, id: number): Promise<void> {
  await db(endpoints).where({ id }).where('failures_in_row', '>', 0).update({ failures_in_row: 0 })
}

/** Turns a failing endpoint off, once: 0 when it was off already (another instance did it). */
export async function autoDisable (db: Db, id: number, reason: string, at: number): Promise<number> {
  return affected(await db(endpoints).where({ id, enabled: true }).update({ enabled: false, disabled_at: at, disabled_reason: reason.slice(0, 500) }))
}

export async function insertEvent (db: Db, row: { uid: string, type: string, data: string, created_at: number }): Promise<number> {
  const [id] = await db(events).insert(row)
  return Number(id)
}

export async function insertDeliveries (db: Db, eventId: number, endpointIds: number[], orderKey: string | null, at: number): Promise<void> {
  if (endpointIds.length === 0) return
  await db(deliveries).insert(endpointIds.map((endpointId) => ({
    event_id: eventId, endpoint_id: endpointId, order_key: orderKey, state: 'pending', attempts: 0, next_attempt_at: at, retry_from: at, created_at: at
  })))
}

/** The delivery of an event to one endpoint. */
export async function deliveryOf (db: Db, eventId: number, endpointId: number): Promise<number | undefined> {
  const row = await db(deliveries).where({ event_id: eventId, endpoint_id: endpointId }).first('id')
  return row ? Number(row.id) : undefined
}

/** A delivery with what sending it needs. */
export interface DueDelivery {
  id: number
  endpointId: number
  eventId: number
  attempts: number
  retryFrom: number
  state: string
  url: string
  uid: string
  type: string
  data: string
  eventAt: number
}

const dueColumns = ['d.id', 'd.endpoint_id', 'd.event_id', 'd.attempts', 'd.retry_from', 'd.state', 'p.url', 'e.uid', 'e.type', 'e.data', 'e.created_at as event_at']

function toDue (r: Record<string, unknown>): DueDelivery {
  return {
    id: Number(r.id),
    endpointId: Number(r.endpoint_id),
    eventId: Number(r.event_id),
    attempts: Number(r.attempts),
    retryFrom: toMs(r.retry_from)!,
    state: String(r.state),
    url: String(r.url),
    uid: String(r.uid),
    type: String(r.type),
    data: String(r.data),
    eventAt: toMs(r.event_at)!
  }
}

/** A pending delivery as a run of the job sees it: whether it is due and free comes with it. */
export interface PendingDelivery extends DueDelivery {
  orderKey: string | null
  nextAttemptAt: number
  claimedUntil: number | null
}

/**
 * The oldest pending deliveries to endpoints turned on, due or not, in event order: a run
 * sends each order key's in this order and stops at one not due or claimed, so a chat's later
 * event waits for its earlier one. Ordered globally by event, a later delivery of a key is
 * never read without the earlier ones.
 */
export async function pendingDeliveries (db: Db, limit: number): Promise<PendingDelivery[]> {
  const rows = await db(`${deliveries} as d`)
    .join(`${events} as e`, 'e.id', 'd.event_id')
    .join(`${endpoints} as p`, 'p.id', 'd.endpoint_id')
    .where('d.state', 'pending')
    .where('p.enabled', true)
    .whereNull('p.deleted_at')
    .orderBy('d.event_id')
    .limit(limit)
    .select([...dueColumns, 'd.order_key', 'd.next_attempt_at', 'd.claimed_until'])
  return rows.map((r: Record<string, unknown>) => ({
    ...toDue(r), orderKey: (r.order_key as string | null) ?? null, nextAttemptAt: toMs(r.next_attempt_at)!, claimedUntil: toMs(r.claimed_until)
  }))
}

export async function getDelivery (db: Db, id: number): Promise<(DueDelivery & { claimedBy: string | null, claimedUntil: number | null }) | undefined> {
  const row = await db(`${deliveries} as d`).join(`${events} as e`, 'e.id', 'd.event_id').join(`${endpoints} as p`, 'p.id', 'd.endpoint_id')
    .where('d.id', id).first([...dueColumns, 'd.claimed_by', 'd.claimed_until'])
  return row ? { ...toDue(row), claimedBy: row.claimed_by ?? null, claimedUntil: toMs(row.claimed_until) } : undefined
}

/**
 * Claims a delivery for `owner` until `until` (the send's timeout and a margin): one
 * conditional UPDATE, so of two instances (or a job and a Redeliver) one sends it. With
 * `pendingOnly` (the job), only a pending delivery whose wait is over.
 */
export async function claim (db: Db, id: number, owner: string, now: number, until: number, pendingOnly: boolean): Promise<boolean> {
  const q = db(deliveries).where({ id }).where((w) => { void w.whereNull('claimed_until').orWhere('claimed_until', '<', now) })
  // The job's claim holds to the backoff too: a run that read the delivery before another instance's failed attempt waits.
  if (pendingOnly) void q.where({ state: 'pending' }).where('next_attempt_at', '<=', now)
  return affected(await q.update({ claimed_by: owner, claimed_until: until })) === 1
}

/** Lets a claimed delivery go with what its attempt came to. */
export async function settle (db: Db, id: number, owner: string, patch: { state: string, attempts: number, next_attempt_at: number, delivered_at?: number | null, retry_from?: number }): Promise<void> {
  await db(deliveries).where({ id, claimed_by: owner }).update({ ...patch, claimed_by: null, claimed_until: null })
}

export async function insertAttempt (db: Db, row: {
  delivery_id: number,
  endpoint_id: number,
  ok: boolean,
  status: number | null,
  duration_ms: number,
  excerpt: string | null,
  error: string | null,
  instance: string,
  trigger: string,
  at: number
}): Promise<void> {
  await db(attempts).insert(row)
}

/** One attempt, as the delivery log shows it. */
export interface DeliveryAttempt {
  id: number
  deliveryId: number
  ok: boolean
  status: number | null
  durationMs: number
  excerpt: string | null
  error: string | null
  instance: string
  trigger: string
  at: number
}

/** A delivery in the log, with its attempts, newest first. */
export interface DeliveryLogEntry {
  id: number
  eventUid: string
  type: string
  state: string
  attempts: number
  nextAttemptAt: number
  deliveredAt: number | null
  createdAt: number
  tries: DeliveryAttempt[]
}

/** An endpoint's latest deliveries and each one's attempts. */
export async function deliveryLog (db: Db, endpointId: number, limit: number): Promise<DeliveryLogEntry[]> {
  const rows = await db(`${deliveries} as d`).join(`${events} as e`, 'e.id', 'd.event_id').where('d.endpoint_id', endpointId)
    .orderBy('d.id', 'desc').limit(limit)
    .select('d.id', 'e.uid', 'e.type', 'd.state', 'd.attempts', 'd.next_attempt_at', 'd.delivered_at', 'd.created_at')
  const ids = rows.map((r: { id: number }) => Number(r.id))
  const tries = ids.length === 0 ? [] : await db(attempts).whereIn('delivery_id', ids).orderBy('id', 'desc')
  return rows.map((r: Record<string, unknown>) => ({
    id: Number(r.id),
    eventUid: String(r.uid),
    type: String(r.type),
    state: String(r.state),
    attempts: Number(r.attempts),
    nextAttemptAt: toMs(r.next_attempt_at)!,
    deliveredAt: toMs(r.delivered_at),
    createdAt: toMs(r.created_at)!,
    tries: tries.filter((a: { delivery_id: number }) => Number(a.delivery_id) === Number(r.id)).map((a: Record<string, unknown>) => ({
      id: Number(a.id),
      deliveryId: Number(a.delivery_id),
      ok: Boolean(a.ok),
      status: a.status === null ? null : Number(a.status),
      durationMs: Number(a.duration_ms),
      excerpt: (a.excerpt as string | null) ?? null,
      error: (a.error as string | null) ?? null,
      instance: String(a.instance),
      trigger: String(a.trigger),
      at: toMs(a.at)!
    }))
  }))
}

/** How many deliveries of each state an endpoint has (the page's line under it). */
export async function deliveryCounts (db: Db): Promise<Map<number, Record<string, number>>> {
  const rows = await db(deliveries).groupBy('endpoint_id', 'state').select('endpoint_id', 'state').count({ n: '*' })
  const out = new Map<number, Record<string, number>>()
  for (const r of rows as Array<{ endpoint_id: number, state: string, n: number | string }>) {
    const id = Number(r.endpoint_id)
    out.set(id, { ...out.get(id), [r.state]: Number(r.n) })
  }
  return out
}

/**
 * Removes up to `limit` deliveries finished (delivered or given up) before `before`, with their
 * attempts, and the events no delivery needs any more; how many deliveries went.
 */
export async function pruneFinished (db: Db, before: number, limit: number): Promise<number> {
  const old = await db(deliveries).whereNot('state', 'pending').where('created_at', '<', before).orderBy('id').limit(limit).select('id', 'event_id')
  if (old.length === 0) return 0
  const ids = old.map((r: { id: number }) => Number(r.id))
  const eventIds = [...new Set(old.map((r: { event_id: number }) => Number(r.event_id)))]
  await db(attempts).whereIn('delivery_id', ids).delete()
  await db(deliveries).whereIn('id', ids).delete()
  const kept = new Set((await db(deliveries).whereIn('event_id', eventIds).distinct('event_id')).map((r: { event_id: number }) => Number(r.event_id)))
  const gone = eventIds.filter((id) => !kept.has(id))
  if (gone.length > 0) await db(events).whereIn('id', gone).delete()
  return ids.length
}
