import type { Knex } from 'knex'
import { shortCache } from '../cache.ts'
import { LC_ERR_BLOCK_EXISTS, LC_ERR_BLOCK_NOT_FOUND, LC_ERR_BLOCKED } from '../errors.ts'
import type { Bus } from '../realtime/bus-events.ts'
import { clientAddress, type Family, matcher, readRange } from './ranges.ts'
import * as store from './store.ts'
import type { AuditService } from '../audit/service.ts'
import type { BlockEntry } from './store.ts'

export type { BlockEntry } from './store.ts'

/** How long an instance trusts the list it read: a change made elsewhere reaches it over the bus at once, or after this when the bus lost it. */
export const listTtlMs = 10_000
/** How many entries the history goes back. */
export const historyLength = 200

/** An entry to add: the range in its canonical spelling (see ranges.ts) and how long it blocks (null: until removed). */
export interface NewBlock {
  range: string
  reason: string
  expiresInMs: number | null
}

/** Who changes the list: the administrator's host user id and name, and the address they act from (the audit log). */
export interface Changer { id: string, name: string, ip?: string | null }

/** One line of the history: an entry added, removed or run out. */
export interface BlockEvent {
  at: number
  action: 'added' | 'removed' | 'expired'
  entry: BlockEntry
  /** Null for an entry that ran out. */
  by: { id: string, name: string } | null
}

/**
 * The block list (docs/features.md#block-list): addresses and CIDR ranges customers may not
 * chat from, kept in the database so every instance applies the same list, and read through a
 * short cache that a change clears on every instance over the bus.
 */
export interface BlocklistService {
  /** The entry blocking a client's address (request.ip), or null; an address that is not one is never blocked. */
  blocking (ip: string): Promise<BlockEntry | null>
  /** Throws LC_ERR_BLOCKED when the client's address is on the list. */
  refuse (ip: string): Promise<void>
  /** The entries blocking now, oldest first. */
  current (): Promise<BlockEntry[]>
  /** Every addition, removal and expiry of the latest entries, newest first. */
  history (): Promise<BlockEvent[]>
  /** Adds an entry; throws LC_ERR_BLOCK_EXISTS when the range is on the list already. */
  add (block: NewBlock, by: Changer): Promise<BlockEntry>
  /** Takes an entry off the list; throws LC_ERR_BLOCK_NOT_FOUND when it is not on it (any more). */
  remove (id: number, by: Changer): Promise<BlockEntry>
  /** Stops listening to the bus. */
  close (): void
}

export interface BlocklistServiceDeps {
  db: Knex
  bus: Pick<Bus, 'publish' | 'subscribe'>
  clock: () => number
  /** The audit log: each entry added or removed is recorded in its transaction (docs/features.md#audit-log). */
  audit?: Pick<AuditService, 'record'>
}

/** An entry with what matches it, as the cache holds it. */
interface Matcher { entry: BlockEntry, matches: (client: { address: string, family: Family }) => boolean }

export function createBlocklistService ({ db, bus, clock, audit }: BlocklistServiceDeps): BlocklistService {
  // Entries with an expiry are read too and judged at each check, so one runs out on time
  // whatever the cache holds.
  const list = shortCache(async (): Promise<Matcher[]> => {
    const entries = await store.current(db, clock())
    return entries.map((entry) => ({ entry, matches: matcher(readRange(entry.range)) }))
  }, listTtlMs, clock)
  const unsubscribe = bus.subscribe((event) => { if (event.type === 'blocklist.changed') list.clear() })

  async function changed (): Promise<void> {
    list.clear()
    await bus.publish({ type: 'blocklist.changed' })
  }

  const service: BlocklistService = {
    async blocking (ip) {
      const client = clientAddress(ip)
      if (!client) return null
      const now = clock()
      const found = (await list.get()).find((m) => (m.entry.expiresAt === null || m.entry.expiresAt > now) && m.matches(client))
      return found?.entry ?? null
    },

    async refuse (ip) {
      if (await service.blocking(ip)) throw new LC_ERR_BLOCKED()
    },

    async current () {
      return await store.current(db, clock())
    },

    async history () {
      const now = clock()
      const events: BlockEvent[] = []
      for (const entry of await store.latest(db, historyLength)) {
        events.push({ at: entry.addedAt, action: 'added', entry, by: entry.addedBy })
        if (entry.removedAt !== null) events.push({ at: entry.removedAt, action: 'removed', entry, by: entry.removedBy })
        else if (entry.expiresAt !== null && entry.expiresAt <= now) events.push({ at: entry.expiresAt, action: 'expired', entry, by: null })
      }
      return events.sort((a, b) => b.at - a.at || b.entry.id - a.entry.id)
    },

    async add (block, by) {
      const now = clock()
      // Checked and written in one transaction; two administrators adding the same range in
      // the same instant may both succeed, which blocks no differently.
      const entry = await db.transaction(async (trx) => {
        const existing = await store.currentFor(trx, block.range, now)
        if (existing) throw new LC_ERR_BLOCK_EXISTS(block.range, existing.addedBy.name)
        const id = await store.insert(trx, {
          range: block.range,
          reason: block.reason,
          expires_at: block.expiresInMs === null ? null : now + block.expiresInMs,
          added_by: by.id.slice(0, 64),
          added_by_name: by.name.slice(0, 120),
          added_at: now
        })
        const added = (await store.get(trx, id))!
        await audit?.record(trx, by, { action: 'block.added', subject: `Address ${added.range}`, subjectId: id, after: blockState(added) })
        return added
      })
      await changed()
      return entry
    },

    async remove (id, by) {
      const now = clock()
      const entry = await db.transaction(async (trx) => {
        const removed = await store.remove(trx, id, { id: by.id.slice(0, 64), name: by.name.slice(0, 120) }, now)
        if (removed === 0) throw new LC_ERR_BLOCK_NOT_FOUND()
        const gone = (await store.get(trx, id))!
        await audit?.record(trx, by, { action: 'block.removed', subject: `Address ${gone.range}`, subjectId: id, before: blockState(gone), after: null })
        return gone
      })
      await changed()
      return entry
    },

    close () { unsubscribe() }
  }
  return service
}

/** What the audit log keeps of an entry. */
function blockState (e: BlockEntry) {
  return { range: e.range, reason: e.reason, expiresAt: e.expiresAt === null ? null : new Date(e.expiresAt).toISOString() }
}

/**
 * The onRequest hook of every customer route (docs/features.md#block-list): a client on the
 * list is refused before anything is read or stored. `request.ip` is the client's own behind
 * a proxy the host trusts (its trustProxy), the same address the rate limits count.
 */
export function refuseBlocked (blocklist: Pick<BlocklistService, 'refuse'>) {
  return async (request: { ip: string }): Promise<void> => { await blocklist.refuse(request.ip) }
}
