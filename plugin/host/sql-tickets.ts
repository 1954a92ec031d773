import { randomBytes } from 'node:crypto'
import type { Knex } from 'knex'
import { excerptAround, type FullTextIndex, fullTextMatch, type FullTextMatch, likeMatch } from '../db/fulltext.ts'
import type { HostAdapter, HostTicket, HostWrite, NewTicket, ResolvedTicketHit, TemplateField, TicketKind, TicketTemplate } from './adapter.ts'
import type { HostMapping, StatusLookup } from './mapping.ts'
import { sqlGuests } from './sql-identity.ts'
import { clampLimit, clipText, columnFit, fitCharset, hostClock, hostTime, hostTimeMs, isTransaction, type Row } from './sql-kit.ts'
import { sqlThreads } from './sql-threads.ts'

type Tickets = Pick<HostAdapter, 'ticketKinds' | 'cancelledStatus' | 'userTickets' | 'createTicket' | 'getTicket' | 'setTicketStatus' |
'addTicketActivity' | 'ticketTemplates' | 'searchResolvedTickets'>

const allKinds: TicketKind[] = ['incident', 'work_order', 'ticket']

/**
 * The ref a new ticket holds until its id is known: unique (48 random bits) and 20
 * characters, so it fits a VARCHAR(20) ref column (the start-up check asks that much).
 */
export const pendingRef = (): string => `pending-${randomBytes(6).toString('hex')}`
export const pendingRefLength = 20

/** How many refs a desk's generator is asked for before a ticket is refused: each one taken is asked again. */
export const refTries = 5

/**
 * A desk that numbers its own tickets (osTicket's random six digits): `newRef` makes a ticket's ref before it is
 * inserted, on the creating transaction, and `refLength` says how long its refs are at most, for the start-up check
 * to compare with the ref column. Without them, the plugin writes refPrefix and the padded id.
 */
export interface TicketOptions {
  newRef?: (kind: TicketKind, db: Knex.Transaction) => string | Promise<string>
  refLength?: number
}

/** A template's fields as the host stored them; anything not shaped like a field is left out rather than trusted. */
function templateFields (raw: unknown): TemplateField[] {
  let list: unknown
  try {
    list = typeof raw === 'string' && raw.trim() !== '' ? JSON.parse(raw) : []
  } catch {
    return []
  }
  if (!Array.isArray(list)) return []
  return list.flatMap((f: Record<string, unknown>): TemplateField[] => {
    // A name travels as a form field (f_<name>), so it keeps to letters, digits and _.-
    if (!f || typeof f !== 'object' || typeof f.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(f.name)) return []
    const options = Array.isArray(f.options) ? f.options.filter((o): o is string => typeof o === 'string') : undefined
    return [{
      name: f.name,
      label: typeof f.label === 'string' && f.label !== '' ? f.label : f.name,
      required: f.required === true,
      value: typeof f.value === 'string' ? f.value : '',
      ...(options && options.length > 0 ? { options } : {})
    }]
  })
}

/** Status names and the ids the desk stores for them (host.tickets.statuses). */
export interface Statuses { name: (id: unknown) => string, id: (name: string) => string | number, has: (name: string) => boolean }

/** The desk's status table, read now; the start-up check asks it too, so both match a name alike. */
export async function readStatuses (db: Knex | Knex.Transaction, lookup: StatusLookup): Promise<Statuses> {
  const rows: Row[] = await db(lookup.table).select(lookup.id, lookup.name)
  const names = new Map(rows.map((r): [string, string] => [String(r[lookup.id]), String(r[lookup.name])]))
  // The name as written, else the one name equal to it ignoring case and spaces around.
  const find = (name: string): Row | undefined => rows.find((r) => String(r[lookup.name]) === name) ??
    rows.find((r) => String(r[lookup.name]).trim().toLowerCase() === name.trim().toLowerCase())
  return {
    name: (id) => id === null || id === undefined ? '' : names.get(String(id)) ?? String(id),
    has: (name) => find(name) !== undefined,
    id (name) {
      const row = find(name)
      if (row === undefined) {
        throw new Error(`host.tickets.statuses: the help desk has no status "${name}" in ${lookup.table}; its statuses are ${[...names.values()].join(', ') || 'none'}`)
      }
      return row[lookup.id] as string | number
    }
  }
}

/** The desk's tickets, their activity and templates, and its solved tickets searched by words. */
export function sqlTickets (knex: Knex, map: HostMapping, options: TicketOptions = {}): Tickets {
  const t = map.tickets
  const a = map.ticketActivity
  const { newRef } = options
  if (newRef !== undefined && (typeof newRef !== 'function' || !Number.isInteger(options.refLength) || options.refLength! < 1)) {
    throw new Error('sqlHost options: newRef must be a function, given with refLength, the most characters its refs have')
  }
  if (t.description === undefined && a.id === undefined) {
    throw new Error('host.ticketActivity.id is required where host.tickets.description is left out: the description is the ticket\'s first entry')
  }
  const now = hostClock(knex, map.times)
  const unknownKind = (t.kinds ?? []).find((k) => !(allKinds as string[]).includes(k))
  if (unknownKind !== undefined) throw new Error(`host.tickets.kinds: "${unknownKind}" is not a ticket kind; use ${allKinds.join(', ')}`)

  /**
   * The desk's own key for a user id the plugin holds. With agents and customers in two tables
   * the id carries its table's prefix ("c:5", "a:3") and the ticket's columns hold the bare key:
   * a requester is a customer, an assignee or author an agent; an id of the other table (or of
   * no table) is no user of that column, so null (a guest's contact is still filed).
   */
  function deskKey (id: string | null | undefined, side: 'agents' | 'customers'): string | null {
    if (id === null || id === undefined) return null
    const table = map[side]
    if (!map.agents || !map.customers || !table) return id
    const prefix = table.idPrefix
    return id.startsWith(prefix) ? id.slice(prefix.length) : null
  }

  /** A ticket's links (docs/hosts.md, "Ticket links"): the agents' page, and the customer's where the desk has its own. */
  function ticketLinks (ref: string, id: unknown): Pick<HostTicket, 'url' | 'customerUrl'> {
    const link = (pattern: string): string =>
      pattern.replaceAll('{ref}', encodeURIComponent(ref)).replaceAll('{id}', encodeURIComponent(String(id)))
    return { url: link(t.url), ...(t.customerUrl ? { customerUrl: link(t.customerUrl) } : {}) }
  }

  /**
   * A ticket's kind: its column's, or, where the desk keeps none, the kind whose refPrefix the
   * ref is followed by digits of (a ref the plugin made); undefined when that says nothing.
   */
  function kindOf (row: Row): TicketKind | undefined {
    if (t.kind) return row[t.kind] as TicketKind
    const ref = String(row[t.ref])
    const kinds = allKinds.filter((k) => {
      const prefix = t.refPrefix[k]
      return prefix !== undefined && ref.startsWith(prefix) && /^\d+$/.test(ref.slice(prefix.length))
    })
    return kinds.length === 1 ? kinds[0] : undefined
  }

  /**
   * The desk's statuses, read on each call, so a status added in the desk counts at once; null
   * where the status column holds names. Read on `db`, the caller's transaction when in one.
   */
  async function statusLookup (db: Knex | Knex.Transaction = knex): Promise<Statuses | null> {
    return t.statuses ? await readStatuses(db, t.statuses) : null
  }

  function toTicket (row: Row, statuses: Statuses | null): HostTicket {
    const ref = String(row[t.ref])
    const createdAt = hostTimeMs(row[t.createdAt], map.times)
    const status = statuses ? statuses.name(row[t.status]) : String(row[t.status])
    return { ref, ...ticketLinks(ref, row[t.id]), status, kind: kindOf(row), summary: String(row.lc_summary ?? ''), createdAt }
  }

  const { textColumns, fitRow } = columnFit(knex)
  const fileGuest = sqlGuests(knex, map, fitRow)
  const { entriesKey, addEntry, joinFirstEntry } = sqlThreads(knex, map, fitRow)

  /**
   * The tickets as `tk`, with `lc_summary` and `lc_description` wherever the desk keeps them: columns of the ticket,
   * a side table's row (`sd`), the ticket's first activity entry.
   */
  function ticketRows (db: Knex | Knex.Transaction = knex, withDescription = false): Knex.QueryBuilder {
    const q = db(`${t.table} as tk`).select('tk.*')
    if (t.summaryTable) {
      q.leftJoin(`${t.summaryTable.table} as sd`, `sd.${t.summaryTable.ticketId}`, `tk.${t.id}`).select({ lc_summary: `sd.${t.summary}` })
    } else {
      q.select({ lc_summary: `tk.${t.summary}` })
    }
    if (!withDescription) return q
    return q.select({ lc_description: t.description !== undefined ? `tk.${t.description}` : joinFirstEntry(q, 'tk') })
  }

  /** A ref from the desk's own generator that no ticket has yet; refused after a few taken ones (a full number range, or a generator that repeats). */
  async function freshRef (trx: Knex.Transaction, kind: TicketKind): Promise<string> {
    const taken: string[] = []
    for (let i = 0; i < refTries; i++) {
      const ref = String(await newRef!(kind, trx))
      if (ref === '' || ref.length > options.refLength!) throw new Error(`sqlHost newRef made "${ref}", which is not a ref of 1 to ${options.refLength!} characters (refLength)`)
      if (await trx(t.table).where(t.ref, ref).first(t.id) === undefined) return ref
      taken.push(ref)
    }
    throw new Error(`sqlHost newRef made ${refTries} refs that tickets in ${t.table}.${t.ref} already have (${taken.join(', ')}); the ticket was not created. Make newRef draw from a wider range, then try again`)
  }

  /**
   * A description longer than the desk's column holds is cut to fit, with a note saying so,
   * rather than refused: a chat whose customer wrote a great deal must still become a ticket.
   * The bytes counted are those of the text as the column's charset keeps it.
   */
  async function fitDescription (table: string, columnName: string, ticket: NewTicket): Promise<string> {
    const column = (await textColumns(table)).get(columnName.toLowerCase())
    const text = fitCharset(ticket.description, column?.charset)
    const capacity = column?.bytes ?? null
    if (capacity === null || Buffer.byteLength(text, 'utf8') <= capacity) return text
    const where = ticket.chatId === null ? '' : `; all of it is in live chat #${ticket.chatId}`
    const note = (left: number): string => `\n\n[Cut to fit this ticket: the last ${left.toLocaleString('en-US')} characters are left out${where}]`
    const fits = (keep: number): boolean => Buffer.byteLength(text.slice(0, keep) + note(text.length - keep), 'utf8') <= capacity
    // The most characters that fit with the note: a character is one to four bytes.
    let low = 0
    let high = Math.min(text.length, capacity)
    while (low < high) {
      const mid = Math.ceil((low + high) / 2)
      if (fits(mid)) low = mid
      else high = mid - 1
    }
    const kept = clipText(text, low)
    return kept + note(text.length - kept.length)
  }

  /**
   * A guest's name and email head the description where the desk has no columns for them (host.tickets.requesterName
   * and requesterEmail), so a ticket without a requester still says whom to answer.
   */
  function withContact (ticket: NewTicket): NewTicket {
    const r = ticket.requester
    if (ticket.requesterId !== null || !r || (t.requesterName && t.requesterEmail)) return ticket
    return { ...ticket, description: `Requester (not a user of this desk): ${r.name} <${r.email}>\n\n${ticket.description}` }
  }

  async function ticketId (ref: string): Promise<unknown> {
    const row = await knex(t.table).select(t.id).where(t.ref, ref).first()
    return row?.[t.id]
  }

  /** The match of a question with the solved tickets: the full-text index where it covers the ticket's own columns, else LIKE per word. */
  function resolvedMatch (query: string): FullTextMatch | null {
    if (t.fullTextIndex && !t.summaryTable && t.description !== undefined) {
      const index: FullTextIndex = {
        table: t.table,
        key: t.id,
        columns: t.resolution ? [t.summary, t.description, t.resolution] : [t.summary, t.description],
        name: t.fullTextIndex,
        weights: t.resolution ? [10, 1, 3] : [10, 1],
        ...(t.summaryFullTextIndex ? { boost: { name: t.summaryFullTextIndex, weight: 10 } } : {})
      }
      return fullTextMatch(knex, index, query, { mode: 'any', alias: 'tk' })
    }
    const columns = [
      t.summaryTable ? { name: t.summary, weight: 10, alias: 'sd' } : { name: t.summary, weight: 10 },
      // Without a column, the first entry's text, joined as `de` (sqlThreads.joinFirstEntry).
      t.description !== undefined ? { name: t.description, weight: 1 } : { name: a.text, weight: 1, alias: 'de' },
      ...(t.resolution ? [{ name: t.resolution, weight: 3 }] : [])
    ]
    return likeMatch(knex, { columns }, query, { mode: 'any', alias: 'tk' })
  }

  return {
    ticketKinds: t.kinds && t.kinds.length > 0 ? t.kinds as TicketKind[] : undefined,
    cancelledStatus: t.cancelledStatus ? { status: t.cancelledStatus, reason: t.cancelledReason ?? 'Abandoned chat' } : undefined,

    async userTickets (userId) {
      const key = deskKey(userId, 'customers')
      if (key === null) return []
      const rows = await ticketRows().where(`tk.${t.requesterId}`, key).orderBy(`tk.${t.createdAt}`, 'desc').limit(100)
      const statuses = await statusLookup()
      return rows.map((row: Row) => toTicket(row, statuses))
    },

    // In the caller's transaction when given one (host and plugin share the database, so
    // the chat's related-item row commits with the ticket), else in one of its own.
    async createTicket (asked: NewTicket, write?: HostWrite) {
      const ticket = { ...asked, requesterId: deskKey(asked.requesterId, 'customers'), assigneeId: deskKey(asked.assigneeId, 'agents') }
      const outer = write?.transaction
      if (outer !== undefined && !isTransaction(outer)) throw new TypeError('createTicket: write.transaction must be a knex transaction on the adapter\'s own connection')
      const insert = async (trx: Knex.Transaction): Promise<HostTicket> => {
        const at = now()
        const fields = ticket.fields && Object.keys(ticket.fields).length > 0 ? ticket.fields : null
        const statuses = await statusLookup(trx)
        // A guest is filed as the desk's customer where it needs one for every ticket (host.customers.guests).
        if (asked.requesterId === null && ticket.requester && fileGuest) ticket.requesterId = await fileGuest(trx, ticket.requester)
        const described = withContact(ticket)
        const made = newRef ? await freshRef(trx, ticket.kind) : null
        const [id] = await trx(t.table).insert(await fitRow(t.table, {
          // The desk's own values for columns the plugin knows nothing of; the mapped columns win.
          ...t.defaults,
          [t.ref]: made ?? pendingRef(),
          ...(t.kind ? { [t.kind]: ticket.kind } : {}),
          ...(t.summaryTable ? {} : { [t.summary]: clipText(ticket.summary, 255) }),
          ...(t.description !== undefined ? { [t.description]: await fitDescription(t.table, t.description, described) } : {}),
          [t.status]: statuses ? statuses.id(t.newStatus) : t.newStatus,
          [t.requesterId]: ticket.requesterId,
          [t.assigneeId]: ticket.assigneeId ?? t.nobody ?? null,
          ...(t.chatId ? { [t.chatId]: ticket.chatId } : {}),
          [t.createdAt]: at,
          [t.updatedAt]: at,
          ...(t.fields ? { [t.fields]: fields ? JSON.stringify(fields) : null } : {}),
          ...(t.templateId ? { [t.templateId]: ticket.templateId ?? null } : {}),
          // The contact as filed, guest or user: the form keeps both under 255 characters.
          ...(t.requesterName ? { [t.requesterName]: ticket.requester?.name ?? null } : {}),
          ...(t.requesterEmail ? { [t.requesterEmail]: ticket.requester?.email ?? null } : {}),
          ...(t.channel ? { [t.channel]: ticket.channel ?? 'livechat' } : {})
        }))
        const ref = made ?? `${t.refPrefix[ticket.kind]}${String(id).padStart(6, '0')}`
        if (!made) await trx(t.table).where(t.id, id).update({ [t.ref]: ref })
        if (t.summaryTable) {
          await trx(t.summaryTable.table).insert(await fitRow(t.summaryTable.table, { [t.summaryTable.ticketId]: id, [t.summary]: clipText(ticket.summary, 255) }))
        }
        const key = await entriesKey(trx, id, at)
        // The description as the ticket's first entry, the customer's message that opens it, where the desk keeps it so.
        if (t.description === undefined) {
          const text = await fitDescription(a.table, a.text, described)
          await addEntry(trx, key, { text, author: 'customer', agentKey: null, userKey: ticket.requesterId, name: ticket.requester?.name ?? '', at })
        }
        // Then the chat, one entry per message, at the message's own time, where the desk tells messages apart.
        if (a.types && ticket.transcript) {
          for (const m of ticket.transcript) {
            await addEntry(trx, key, {
              text: m.body,
              author: m.author,
              agentKey: m.author === 'agent' ? deskKey(m.authorId, 'agents') : null,
              userKey: m.author === 'customer' ? (deskKey(m.authorId, 'customers') ?? ticket.requesterId) : null,
              name: m.authorName,
              at: hostTime(knex, map.times, m.at)
            })
          }
        }
        // The desk's own log says where the ticket came from, as it would for any channel.
        if (ticket.chatId !== null) await addEntry(trx, key, { text: `Created from live chat #${ticket.chatId}`, author: 'note', agentKey: ticket.assigneeId, at })
        return { ref, ...ticketLinks(ref, id), status: t.newStatus, kind: ticket.kind, summary: ticket.summary }
      }
      return outer ? await insert(outer) : await knex.transaction(insert)
    },

    async getTicket (ref) {
      const row = await ticketRows().where(`tk.${t.ref}`, ref).first()
      return row ? toTicket(row, await statusLookup()) : null
    },

    // By name: where the desk keeps ids, a name it does not have is refused, naming those it has.
    async setTicketStatus (ref, status, reason) {
      const statuses = await statusLookup()
      await knex(t.table).where(t.ref, ref).update(await fitRow(t.table, {
        [t.status]: statuses ? statuses.id(status) : status,
        ...(t.statusReason ? { [t.statusReason]: reason ?? null } : {}),
        [t.updatedAt]: now()
      }))
    },

    async addTicketActivity (ref, text, authorId) {
      const id = await ticketId(ref)
      if (id === undefined) return
      const at = now()
      await knex.transaction(async (trx) => {
        await addEntry(trx, await entriesKey(trx, id, at), { text, author: 'note', agentKey: deskKey(authorId, 'agents'), at })
      })
    },

    async ticketTemplates (kind) {
      const m = map.ticketTemplates
      const rows = await knex(m.table).where(m.kind, kind).orderBy(m.name)
      return rows.map((r: Row): TicketTemplate => ({
        id: String(r[m.id]),
        kind: r[m.kind] as TicketKind,
        name: String(r[m.name]),
        summary: String(r[m.summary] ?? ''),
        description: String(r[m.description] ?? ''),
        ...(m.fields ? { fields: templateFields(r[m.fields]) } : {})
      }))
    },

    // Solved tickets whose summary, description or resolution (where the desk has one) share
    // words with the question, best first: the Resources panel's resolved tickets. The index
    // covers those columns in that order.
    async searchResolvedTickets (query, limit) {
      const match = resolvedMatch(query)
      if (!match || t.resolvedStatuses.length === 0) return []
      const statuses = await statusLookup()
      // Where the desk keeps ids, the resolved statuses it has; a name it lacks matches nothing.
      const resolved: Array<string | number> = statuses ? t.resolvedStatuses.filter((s) => statuses.has(s)).map((s) => statuses.id(s)) : t.resolvedStatuses
      if (resolved.length === 0) return []
      const rows: Row[] = await match.apply(ticketRows(knex, true))
        .whereIn(`tk.${t.status}`, resolved)
        .orderBy('ft_score', 'desc').orderBy(`tk.${t.id}`, 'desc').limit(clampLimit(limit))
      return rows.map((r): ResolvedTicketHit => {
        const ref = String(r[t.ref])
        const resolution = t.resolution ? String(r[t.resolution] ?? '').trim() : ''
        const status = statuses ? statuses.name(r[t.status]) : String(r[t.status])
        return { ref, url: ticketLinks(ref, r[t.id]).url, summary: String(r.lc_summary ?? ''), excerpt: excerptAround(resolution || String(r.lc_description ?? ''), match.words), status }
      })
    }
  }
}
