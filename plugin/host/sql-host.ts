import { createHash } from 'node:crypto'
import type { Knex } from 'knex'
import type { HostAdapter, HostTicket, HostUser, KnowledgeHit, NewTicket, RequestLike, TicketKind, TicketTemplate } from './adapter.ts'

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
    newStatus: string
  }
  ticketActivity: { table: string, ticketId: string, text: string, authorId: string, createdAt: string }
  ticketTemplates: { table: string, id: string, kind: string, name: string, summary: string, description: string }
  knowledge: { table: string, id: string, title: string, body: string, url: string }
  /** How the host stores times: epoch milliseconds or SQL datetimes. */
  times: 'epoch_ms' | 'datetime'
}

type Row = Record<string, unknown>

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

function excerpt (body: string, terms: string[], length = 200): string {
  const text = body.replace(/\s+/g, ' ').trim()
  const lower = text.toLowerCase()
  const at = terms.map((t) => lower.indexOf(t)).filter((i) => i >= 0).sort((a, b) => a - b)[0] ?? 0
  const start = Math.max(0, at - 60)
  const slice = text.slice(start, start + length)
  return (start > 0 ? '…' : '') + slice + (start + length < text.length ? '…' : '')
}

/**
 * The default HostAdapter: reads and writes the host's own tables through the knex
 * connection the host gave the plugin, with names taken from the manifest's mapping.
 */
export function sqlHost (knex: Knex, map: HostMapping): HostAdapter {
  const u = map.users
  const t = map.tickets
  const now = (): number | Date => map.times === 'epoch_ms' ? Date.now() : new Date()

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
    const createdAt = opened === null || opened === undefined ? undefined : map.times === 'epoch_ms' ? Number(opened) : new Date(opened as string | Date).getTime()
    return { ref, url: ticketUrl(ref), status: String(row[t.status]), kind: row[t.kind] as TicketKind, summary: String(row[t.summary] ?? ''), createdAt }
  }

  async function ticketId (ref: string): Promise<unknown> {
    const row = await knex(t.table).select(t.id).where(t.ref, ref).first()
    return row?.[t.id]
  }

  return {
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

    async userTickets (userId) {
      const rows = await knex(t.table).where(t.requesterId, userId).orderBy(t.createdAt, 'desc').limit(100)
      return rows.map(toTicket)
    },

    async createTicket (ticket: NewTicket) {
      return await knex.transaction(async (trx) => {
        const at = now()
        const [id] = await trx(t.table).insert({
          [t.ref]: `pending-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`,
          [t.kind]: ticket.kind,
          [t.summary]: ticket.summary.slice(0, 255),
          [t.description]: ticket.description,
          [t.status]: t.newStatus,
          [t.requesterId]: ticket.requesterId,
          [t.assigneeId]: ticket.assigneeId,
          [t.chatId]: ticket.chatId,
          [t.createdAt]: at,
          [t.updatedAt]: at
        })
        const ref = `${t.refPrefix[ticket.kind]}${String(id).padStart(6, '0')}`
        await trx(t.table).where(t.id, id).update({ [t.ref]: ref })
        return { ref, url: ticketUrl(ref), status: t.newStatus, kind: ticket.kind, summary: ticket.summary }
      })
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
        id: String(r[m.id]), kind: r[m.kind] as TicketKind, name: String(r[m.name]), summary: String(r[m.summary] ?? ''), description: String(r[m.description] ?? '')
      }))
    },

    // Word matching over title and body, title hits first. Ranked full-text search
    // (FULLTEXT / FTS5) replaces this with the knowledge-base capability.
    async searchKnowledge (query, limit) {
      const k = map.knowledge
      const terms = query.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 2).slice(0, 8)
      if (terms.length === 0) return []
      const escape = (w: string): string => `%${w.replace(/[\\%_]/g, (c) => '\\' + c)}%`
      const rows: Row[] = await knex(k.table)
        .where((q) => { for (const w of terms) q.orWhere(k.title, 'like', escape(w)).orWhere(k.body, 'like', escape(w)) })
        .limit(200)
      const score = (r: Row): number => terms.reduce((n, w) =>
        n + (String(r[k.title]).toLowerCase().includes(w) ? 3 : 0) + (String(r[k.body]).toLowerCase().includes(w) ? 1 : 0), 0)
      return rows
        .map((r) => ({ r, s: score(r) }))
        .sort((a, b) => b.s - a.s)
        .slice(0, limit)
        .map(({ r }): KnowledgeHit => ({
          id: String(r[k.id]), title: String(r[k.title]), excerpt: excerpt(String(r[k.body]), terms), url: k.url.replace('{id}', String(r[k.id]))
        }))
    }
  }
}
