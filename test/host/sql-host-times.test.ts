import { createHash, randomBytes } from 'node:crypto'
import t from 'tap'
import { loadManifest } from '../../demo-host/plugins.ts'
import { getDialect } from '../../plugin/db/index.ts'
import { type HostMapping, sqlHost } from '../../plugin/host/sql-host.ts'
import { services } from '../helpers/given.ts'

// A host that keeps its times as datetimes (docs/features.md#host-seam), on both databases:
// sessions expire when the host says, and what the plugin writes into the host's tables is
// in the host's own format.

t.test('sqlHost with times: datetime', async (t) => {
  const s = await services(t)
  const { knex } = s
  const dialect = getDialect(knex)
  // The demo desk keeps epoch milliseconds; these tables are a desk that keeps datetimes.
  await knex.schema.createTable('dt_sessions', (table) => {
    table.string('token_hash', 64).primary()
    table.integer('user_id').notNullable()
    table.datetime('expires_at').notNullable()
  })
  await knex.schema.createTable('dt_tickets', (table) => {
    table.increments('id')
    table.string('ref', 32)
    table.string('kind', 16)
    table.string('summary', 255)
    table.text('description')
    table.string('status', 32)
    table.string('status_reason', 255).nullable()
    table.integer('requester_id').nullable()
    table.integer('assignee_id').nullable()
    table.integer('chat_id').nullable()
    table.datetime('created_at')
    table.datetime('updated_at')
  })
  await knex.schema.createTable('dt_activity', (table) => {
    table.increments('id')
    table.integer('ticket_id')
    table.text('text')
    table.integer('author_id').nullable()
    table.datetime('created_at')
  })
  const demo = (await loadManifest()).host as unknown as HostMapping
  // Search is not asked of this desk: its full-text and resolution names stay unused.
  const { fields: _fields, templateId: _template, requesterName: _name, requesterEmail: _email, channel: _channel, ...tickets } = demo.tickets
  const host = sqlHost(knex, {
    ...demo,
    times: 'datetime',
    sessions: { ...demo.sessions, table: 'dt_sessions' },
    tickets: { ...tickets, table: 'dt_tickets' },
    ticketActivity: { ...demo.ticketActivity, table: 'dt_activity' }
  })
  /** A datetime as this desk writes it: text on SQLite, a DATETIME on MySQL. */
  const stored = (at: number): string | Date => dialect === 'sqlite' ? new Date(at).toISOString().slice(0, 19).replace('T', ' ') : new Date(at)
  const dana = await s.user('dana')

  t.test('a session is accepted until its expiry, and refused after it', async (t) => {
    const session = async (expiresAt: number): Promise<string> => {
      const token = randomBytes(32).toString('base64url')
      await knex('dt_sessions').insert({ token_hash: createHash('sha256').update(token).digest('hex'), user_id: Number(dana.id), expires_at: stored(expiresAt) })
      return token
    }
    const live = await session(Date.now() + 3_600_000)
    const expired = await session(Date.now() - 3_600_000)
    t.match(await host.currentUser({ headers: { cookie: `hd_session=${live}` } }), { username: 'dana' })
    t.equal(await host.currentUser({ headers: { cookie: `hd_session=${expired}` } }), null, 'an hour past its expiry: nobody')
  })

  t.test('what the plugin writes is a datetime the host can read, and reads back as the right moment', async (t) => {
    const before = Date.now() - 1000
    const ticket = await host.createTicket({ kind: 'incident', summary: 'VPN fails', description: 'transcript', requesterId: dana.id, assigneeId: null, chatId: 7 })
    await host.setTicketStatus(ticket.ref, 'Cancelled', 'Abandoned chat')
    await host.addTicketActivity(ticket.ref, 'note')
    const row = await knex('dt_tickets').where({ ref: ticket.ref }).first()
    const activity = await knex('dt_activity').orderBy('id', 'desc').first()
    for (const [what, value] of [['created_at', row.created_at], ['updated_at', row.updated_at], ['activity', activity.created_at]] as const) {
      if (dialect === 'sqlite') t.match(value, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, `${what}: text in the host's format, not epoch milliseconds`)
      else t.ok(value instanceof Date, `${what}: a DATETIME`)
    }
    const read = await host.getTicket(ticket.ref)
    t.ok(read?.createdAt !== undefined && read.createdAt >= before && read.createdAt <= Date.now() + 1000, 'read back as UTC, not as the server\'s local time')
  })
})
