import { createHash } from 'node:crypto'
import type { Knex } from 'knex'
import { excerptAround, type FullTextIndex, fullTextMatch } from '../db/fulltext.ts'
import type { HostAdapter, HostTicket, HostUser, HostWrite, KnowledgeHit, NewTicket, RequestLike, ResolvedTicketHit, TemplateField, TicketKind, TicketTemplate } from './adapter.ts'

/** Table and column names of the host's own tables; the `host` section of manifest.json. */
export interface HostMapping {
  sessions: { cookie: string, table: string, tokenHash: string, userId: string, expiresAt: string }
  users: { table: string, id: string, username: string, name: string, email: string, roles: string }
  tickets: {
    table: string,
    id: string,
    ref: string,
    kind: string,
    summary: string,
    description: string,
    status: string,
    statusReason: string,
    requesterId: string,
    assigneeId: string,
    chatId: string,
    createdAt: string,
    updatedAt: string,
    url: string,
    refPrefix: Record<TicketKind, string>,
    /** The kinds the host offers for tickets made from a chat, in menu order; all three when left out. */
    kinds?: string[],
    /** A text column for the values of the template's own fields, as JSON by field name; not stored when left out. */
    fields?: string,
    /** The template a ticket was made from; not stored when left out. */
    templateId?: string,
    /** The status and reason an abandoned chat's tickets get; Cancelled / Abandoned chat when left out. */
    cancelledStatus?: string,
    cancelledReason?: string,
    newStatus: string,
    /** The text saying how a ticket was solved, searched with its summary and description. */
    resolution: string,
    /** Statuses of a solved ticket: only these are suggested for a new question. */
    resolvedStatuses: string[],
    /** The full-text index over summary, description and resolution (plugin/db/fulltext.ts). */
    fullTextIndex: string,
    /** MySQL/MariaDB, optional: a FULLTEXT index on the summary alone, so summary words count ten times (FullTextIndex.boost). */
    summaryFullTextIndex?: string
  }
  ticketActivity: { table: string, ticketId: string, text: string, authorId: string, createdAt: string }
  /** `fields`: a text column holding the template's own fields as a JSON array of TemplateField; none when left out. */
  ticketTemplates: { table: string, id: string, kind: string, name: string, summary: string, description: string, fields?: string }
  /**
   * `id` is an integer key; `fullTextIndex` is the full-text index over title and body
   * (plugin/db/fulltext.ts); on MySQL/MariaDB, the optional `titleFullTextIndex` over the
   * title alone makes title words count ten times, as they do on SQLite.
   */
  knowledge: { table: string, id: string, title: string, body: string, url: string, fullTextIndex: string, titleFullTextIndex?: string }
  /** How the host stores times: epoch milliseconds or SQL datetimes. */
  times: 'epoch_ms' | 'datetime'
}

type Row = Record<string, unknown>

/** A time as SQLite's CURRENT_TIMESTAMP writes it: UTC, to the second. */
function sqliteDatetime (at: Date): string {
  return at.toISOString().slice(0, 19).replace('T', ' ')
}

/** A host datetime read back: a Date from MySQL, or text with no zone, which is UTC (not the server's local time). */
function datetimeMs (value: string | Date): number {
  if (value instanceof Date) return value.getTime()
  const text = value.includes('T') ? value : value.replace(' ', 'T')
  return new Date(/(Z|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`).getTime()
}

function cookieFrom (request: RequestLike, name: string): string | undefined {
  if (request.cookies) return request.cookies[name]
  const header = request.headers.cookie
  const raw = Array.isArray(header) ? header.join('; ') : header
  for (const part of (raw ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim())
  }
  return undefined
}

/** A caller's limit kept to what a page of suggestions can show. */
const clampLimit = (limit: number): number => Math.max(1, Math.min(50, Math.floor(limit) || 1))

const allKinds: TicketKind[] = ['incident', 'work_order', 'ticket']

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

function isTransaction (value: unknown): value is Knex.Transaction {
  return typeof value === 'function' && (value as Knex.Transaction).isTransaction === true
}

/**
 * The default HostAdapter: reads and writes the host's own tables through the knex
 * connection the host gave the plugin, with names taken from the manifest's mapping.
 */
export function sqlHost (knex: Knex, map: HostMapping): HostAdapter {
  const u = map.users
  const t = map.tickets
  const sqlite = !String(knex.client.config.client).startsWith('mysql')
  // The host's own time format, written and compared as the host does: epoch milliseconds,
  // or a datetime. SQLite has no datetime type: a host keeps text there ('YYYY-MM-DD
  // HH:MM:SS', UTC, as CURRENT_TIMESTAMP writes it), and a number compared with text is
  // always smaller, so an expired session would pass. MySQL's DATETIME takes a Date (in UTC:
  // the connection's time zone is Z).
  const now = (): number | Date | string => map.times === 'epoch_ms' ? Date.now() : sqlite ? sqliteDatetime(new Date()) : new Date()
  const unknownKind = (t.kinds ?? []).find((k) => !(allKinds as string[]).includes(k))
  if (unknownKind !== undefined) throw new Error(`host.tickets.kinds: "${unknownKind}" is not a ticket kind; use ${allKinds.join(', ')}`)

  function toUser (row: Row | undefined): HostUser | null {
    if (!row) return null
    return {
      id: String(row[u.id]),
      username: String(row[u.username] ?? ''),
      name: String(row[u.name] ?? ''),
      email: String(row[u.email] ?? ''),
      roles: String(row[u.roles] ?? '').split(/[\s,]+/).filter(Boolean)
    }
  }

  function ticketUrl (ref: string): string {
    return t.url.replace('{ref}', encodeURIComponent(ref))
  }

  function toTicket (row: Row): HostTicket {
    const ref = String(row[t.ref])
    const opened = row[t.createdAt]
    const createdAt = opened === null || opened === undefined ? undefined : map.times === 'epoch_ms' ? Number(opened) : datetimeMs(opened as string | Date)
    return { ref, url: ticketUrl(ref), status: String(row[t.status]), kind: row[t.kind] as TicketKind, summary: String(row[t.summary] ?? ''), createdAt }
  }

  // The bytes the desk's description column holds (a MySQL TEXT: 65,535), read once; null
  // where there is no limit to meet (SQLite's TEXT).
  let descriptionBytes: Promise<number | null> | undefined
  async function descriptionCapacity (): Promise<number | null> {
    if (!String(knex.client.config.client).startsWith('mysql')) return null
    descriptionBytes ??= knex.raw(
      'SELECT CHARACTER_OCTET_LENGTH AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?',
      [t.table, t.description]
    ).then(([rows]: [Array<{ n: number | string | null }>]) => rows[0]?.n == null ? null : Number(rows[0].n))
      .catch(() => { descriptionBytes = undefined; return null })
    return await descriptionBytes
  }

  /**
   * A description longer than the desk's column holds is cut to fit, with a note saying so,
   * rather than refused: a chat whose customer wrote a great deal must still become a ticket.
   */
  async function fitDescription (ticket: NewTicket): Promise<string> {
    const text = ticket.description
    const capacity = await descriptionCapacity()
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
    // Never split a surrogate pair.
    const keep = low > 0 && /[\uD800-\uDBFF]/.test(text[low - 1]!) ? low - 1 : low
    return text.slice(0, keep) + note(text.length - keep)
  }

  async function ticketId (ref: string): Promise<unknown> {
    const row = await knex(t.table).select(t.id).where(t.ref, ref).first()
    return row?.[t.id]
  }

  return {
    ticketKinds: t.kinds && t.kinds.length > 0 ? t.kinds as TicketKind[] : undefined,
    cancelledStatus: t.cancelledStatus ? { status: t.cancelledStatus, reason: t.cancelledReason ?? 'Abandoned chat' } : undefined,
    // The plugin's own knex, handed back: only then may createTicket write in the plugin's transaction.
    sharesDatabase: (db: unknown): boolean => db === knex,

    async currentUser (request) {
      const s = map.sessions
      const token = cookieFrom(request, s.cookie)
      if (!token || token.length > 512) return null
      const hash = createHash('sha256').update(token).digest('hex')
      const row = await knex(s.table)
        .join(u.table, `${u.table}.${u.id}`, `${s.table}.${s.userId}`)
        .select(`${u.table}.*`)
        .where(`${s.table}.${s.tokenHash}`, hash)
        .andWhere(`${s.table}.${s.expiresAt}`, '>', now())
        .first()
      return toUser(row)
    },

    async getUser (id) {
      return toUser(await knex(u.table).where(u.id, id).first())
    },

    async findUsers (query, limit = 20) {
      const like = `%${query.replace(/[\\%_]/g, (c) => '\\' + c)}%`
      const rows = await knex(u.table)
        .where((q) => { q.where(u.name, 'like', like).orWhere(u.email, 'like', like).orWhere(u.username, 'like', like) })
        .orderBy(u.name).limit(limit)
      return rows.map((r: Row) => toUser(r) as HostUser)
    },

    // Roles are one text column of names ("agent, supervisor"): LIKE narrows the rows (a
    // wildcard stands for any % or backslash, so the match is only ever wider), and the exact
    // names are compared after splitting, so "agent" never matches "agents".
    async usersWithRoles (roles, limit) {
      const wanted = new Set(roles)
      if (wanted.size === 0) return []
      const out: HostUser[] = []
      const page = 500
      for (let offset = 0; out.length < limit; offset += page) {
        const rows = await knex(u.table)
          .where((q) => { for (const role of wanted) q.orWhere(u.roles, 'like', `%${role.replace(/[\\%]/g, '_')}%`) })
          .orderBy(u.name).orderBy(u.id).limit(page).offset(offset)
        for (const row of rows as Row[]) {
          const user = toUser(row)!
          if (user.roles.some((r) => wanted.has(r))) out.push(user)
          if (out.length === limit) break
        }
        if (rows.length < page) break
      }
      return out
    },

    async userTickets (userId) {
      const rows = await knex(t.table).where(t.requesterId, userId).orderBy(t.createdAt, 'desc').limit(100)
      return rows.map(toTicket)
    },

    // In the caller's transaction when given one (host and plugin share the database, so
    // the chat's related-item row commits with the ticket), else in one of its own.
    async createTicket (ticket: NewTicket, write?: HostWrite) {
      const outer = write?.transaction
      if (outer !== undefined && !isTransaction(outer)) throw new TypeError('createTicket: write.transaction must be a knex transaction on the adapter\'s own connection')
      const insert = async (trx: Knex.Transaction): Promise<HostTicket> => {
        const at = now()
        const fields = ticket.fields && Object.keys(ticket.fields).length > 0 ? ticket.fields : null
        const [id] = await trx(t.table).insert({
          [t.ref]: `pending-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`,
          [t.kind]: ticket.kind,
          [t.summary]: ticket.summary.slice(0, 255),
          [t.description]: await fitDescription(ticket),
          [t.status]: t.newStatus,
          [t.requesterId]: ticket.requesterId,
          [t.assigneeId]: ticket.assigneeId,
          [t.chatId]: ticket.chatId,
          [t.createdAt]: at,
          [t.updatedAt]: at,
          ...(t.fields ? { [t.fields]: fields ? JSON.stringify(fields) : null } : {}),
          ...(t.templateId ? { [t.templateId]: ticket.templateId ?? null } : {})
        })
        const ref = `${t.refPrefix[ticket.kind]}${String(id).padStart(6, '0')}`
        await trx(t.table).where(t.id, id).update({ [t.ref]: ref })
        if (ticket.chatId !== null) {
          // The desk's own log says where the ticket came from, as it would for any channel.
          const a = map.ticketActivity
          await trx(a.table).insert({ [a.ticketId]: id, [a.text]: `Created from live chat #${ticket.chatId}`, [a.authorId]: ticket.assigneeId, [a.createdAt]: at })
        }
        return { ref, url: ticketUrl(ref), status: t.newStatus, kind: ticket.kind, summary: ticket.summary }
      }
      return outer ? await insert(outer) : await knex.transaction(insert)
    },

    async getTicket (ref) {
      const row = await knex(t.table).where(t.ref, ref).first()
      return row ? toTicket(row) : null
    },

    async setTicketStatus (ref, status, reason) {
      await knex(t.table).where(t.ref, ref).update({ [t.status]: status, [t.statusReason]: reason ?? null, [t.updatedAt]: now() })
    },

    async addTicketActivity (ref, text, authorId) {
      const a = map.ticketActivity
      const id = await ticketId(ref)
      if (id === undefined) return
      await knex(a.table).insert({ [a.ticketId]: id, [a.text]: text, [a.authorId]: authorId ?? null, [a.createdAt]: now() })
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

    // Ranked full-text search (FULLTEXT on MySQL, FTS5 on SQLite) over title and body; a
    // title hit counts ten times a body hit (on MySQL, given the title-only index).
    async searchKnowledge (query, limit) {
      const k = map.knowledge
      const index: FullTextIndex = {
        table: k.table,
        key: k.id,
        columns: [k.title, k.body],
        name: k.fullTextIndex,
        weights: [10, 1],
        ...(k.titleFullTextIndex ? { boost: { name: k.titleFullTextIndex, weight: 10 } } : {})
      }
      const match = fullTextMatch(knex, index, query, { mode: 'any', alias: 'kb' })
      if (!match) return []
      const rows: Row[] = await match.apply(knex(`${k.table} as kb`).select(`kb.${k.id}`, `kb.${k.title}`, `kb.${k.body}`))
        .orderBy('ft_score', 'desc').orderBy(`kb.${k.id}`).limit(clampLimit(limit))
      return rows.map((r): KnowledgeHit => ({
        id: String(r[k.id]), title: String(r[k.title]), excerpt: excerptAround(String(r[k.body] ?? ''), match.words), url: k.url.replace('{id}', String(r[k.id]))
      }))
    },

    async knowledgeArticle (id) {
      const k = map.knowledge
      // The key is an integer (the FTS5 rowid): anything else is no article, and MySQL
      // never gets to read "12abc" as 12.
      if (!/^[0-9]{1,15}$/.test(id)) return null
      const row: Row | undefined = await knex(k.table).select(k.id, k.title, k.body).where(k.id, Number(id)).first()
      if (!row) return null
      return { id: String(row[k.id]), title: String(row[k.title]), excerpt: excerptAround(String(row[k.body] ?? ''), []), url: k.url.replace('{id}', String(row[k.id])) }
    },

    // Solved tickets whose summary, description or resolution share words with the
    // question, best first: the Resources panel's resolved tickets.
    async searchResolvedTickets (query, limit) {
      const index: FullTextIndex = {
        table: t.table,
        key: t.id,
        columns: [t.summary, t.description, t.resolution],
        name: t.fullTextIndex,
        weights: [10, 1, 3],
        ...(t.summaryFullTextIndex ? { boost: { name: t.summaryFullTextIndex, weight: 10 } } : {})
      }
      const match = fullTextMatch(knex, index, query, { mode: 'any', alias: 'tk' })
      if (!match || t.resolvedStatuses.length === 0) return []
      const rows: Row[] = await match.apply(knex(`${t.table} as tk`).select(`tk.${t.id}`, `tk.${t.ref}`, `tk.${t.summary}`, `tk.${t.description}`, `tk.${t.resolution}`, `tk.${t.status}`))
        .whereIn(`tk.${t.status}`, t.resolvedStatuses)
        .orderBy('ft_score', 'desc').orderBy(`tk.${t.id}`, 'desc').limit(clampLimit(limit))
      return rows.map((r): ResolvedTicketHit => {
        const ref = String(r[t.ref])
        const resolution = String(r[t.resolution] ?? '').trim()
        return { ref, url: ticketUrl(ref), summary: String(r[t.summary] ?? ''), excerpt: excerptAround(resolution || String(r[t.description] ?? ''), match.words), status: String(r[t.status]) }
      })
    }
  }
}
