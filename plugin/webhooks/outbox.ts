import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import type { NewWebhookEvent } from './events.ts'
import * as store from './store.ts'

/**
 * What a capability records its events with (docs/webhooks.md, docs/design.md §7): the
 * event goes into the outbox inside the transaction of the change it tells of, so it is
 * written exactly when the change is, and the job runner delivers it after. Nothing is sent
 * here, and nothing is written when no endpoint wants the event.
 */
export interface WebhookOutbox {
  /** Records `event` in `trx`, with one delivery for each endpoint turned on that wants its type. */
  record (trx: Knex.Transaction, event: NewWebhookEvent): Promise<void>
  /** Forgets what endpoints want, after the Webhooks page changed them (this instance reads them again at once). */
  forget (): void
  /** Whether an endpoint wants events of `type`, as read within the last 2 s; undefined when that read is older (record reads again). */
  wants (type: string): boolean | undefined
}

/** How long an instance trusts what it read of the endpoints: another instance's change reaches it within this. */
export const subscriptionsTtlMs = 2000

export function createWebhookOutbox ({ clock = Date.now }: { clock?: () => number }): WebhookOutbox {
  let known: { at: number, list: Array<{ id: number, events: string[] }> } | undefined

  const fresh = (now: number): boolean => known !== undefined && now - known.at <= subscriptionsTtlMs && now >= known.at

  return {
    async record (trx, event) {
      const now = clock()
      // Read through the change's own transaction: on SQLite a second connection would wait for it.
      const list = fresh(now) ? known!.list : (known = { at: now, list: await store.subscriptions(trx) }).list
      const wanted = list.filter((e) => e.events.includes(event.type)).map((e) => e.id)
      if (wanted.length === 0) return
      const id = await store.insertEvent(trx, { uid: randomUUID(), type: event.type, data: JSON.stringify(event.data), created_at: now })
      await store.insertDeliveries(trx, id, wanted, event.key, now)
    },
    forget () { known = undefined },
    wants (type) {
      return fresh(clock()) ? known!.list.some((e) => e.events.includes(type)) : undefined
    }
  }
}
