import type { Knex } from 'knex'
import type { TicketTranscriptEntry } from './adapter.ts'
import type { HostMapping } from './mapping.ts'
import { clipText, type Row } from './sql-kit.ts'

/** One activity entry: live chat's own note, or a message of the chat as its author wrote it. */
export interface ThreadEntry {
  text: string
  author: TicketTranscriptEntry['author'] | 'note'
  /** The agents' and customers' bare keys, where the author is one. */
  agentKey: string | null
  userKey?: string | null
  name?: string
  /** In the desk's own time format. */
  at: unknown
}

export interface Threads {
  /** The key a ticket's entries hang off: its thread's (made now when `at` is given and it has none), else the ticket's own. */
  entriesKey: (db: Knex | Knex.Transaction, ticketId: unknown, at?: unknown) => Promise<unknown>
  addEntry: (db: Knex | Knex.Transaction, key: unknown, entry: ThreadEntry) => Promise<void>
  /** Joins a ticket's first entry to `q` (which reads the tickets as `ticketAlias`) as `de`; returns its text column. */
  joinFirstEntry: (q: Knex.QueryBuilder, ticketAlias: string) => string
}

/**
 * A ticket's activity as the desk keeps it (docs/hosts.md, "Tickets of a thread-based desk"): entries keyed by the
 * ticket, or by a thread per ticket (host.ticketActivity.thread), typed by author where the desk tells them apart.
 */
export function sqlThreads (knex: Knex, map: HostMapping, fitRow: (table: string, row: Row) => Promise<Row>): Threads {
  const a = map.ticketActivity
  const thread = a.thread
  const ticketKey = map.tickets.id
  const nobody = map.tickets.nobody ?? null
  return {
    async entriesKey (db, ticketId, at) {
      if (!thread) return ticketId
      const q = db(thread.table).select(thread.id).where(thread.objectId, ticketId as Knex.Value)
      if (thread.objectType) q.where(thread.objectType.column, thread.objectType.value)
      const found: Row | undefined = await q.orderBy(thread.id).first()
      if (found) return found[thread.id]
      if (at === undefined) return undefined
      const [made] = await db(thread.table).insert(await fitRow(thread.table, {
        ...thread.defaults,
        [thread.objectId]: ticketId,
        ...(thread.objectType ? { [thread.objectType.column]: thread.objectType.value } : {}),
        ...(thread.createdAt ? { [thread.createdAt]: at } : {})
      }))
      return made
    },

    async addEntry (db, key, e) {
      await db(a.table).insert(await fitRow(a.table, {
        ...a.defaults,
        [a.ticketId]: key,
        [a.text]: e.text,
        // A desk whose user columns are NOT NULL keeps a value for nobody (host.tickets.nobody).
        [a.authorId]: e.agentKey ?? nobody,
        ...(a.userId ? { [a.userId]: e.userKey ?? nobody } : {}),
        ...(a.posterName ? { [a.posterName]: clipText(e.name ?? '', 128) } : {}),
        ...(a.types ? { [a.types.column]: a.types[e.author] } : {}),
        [a.createdAt]: e.at
      }))
    },

    joinFirstEntry (q, alias) {
      let owner = `${alias}.${ticketKey}`
      if (thread) {
        q.leftJoin(`${thread.table} as th`, function () {
          this.on(`th.${thread.objectId}`, `${alias}.${ticketKey}`)
          if (thread.objectType) this.andOn(`th.${thread.objectType.column}`, knex.raw('?', [thread.objectType.value]))
        })
        owner = `th.${thread.id}`
      }
      // The first is the entry of the lowest key (host.ticketActivity.id, required for this).
      q.leftJoin(`${a.table} as de`, function () {
        this.on(`de.${a.ticketId}`, owner)
          .andOn(`de.${a.id!}`, knex.raw('(SELECT MIN(??) FROM ?? WHERE ?? = ??)', [`e1.${a.id!}`, `${a.table} as e1`, `e1.${a.ticketId}`, owner]))
      })
      return `de.${a.text}`
    }
  }
}
