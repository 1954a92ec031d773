import Fastify, { type FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import liveChat from '../../plugin/index.ts'
import { memoryBus } from '../../plugin/realtime/bus.ts'
import { createRoutingService } from '../../plugin/routing/service.ts'
import { started } from './build.ts'
import { preparedDatabase } from './db.ts'
import { createThreadDesk } from './thread-desk.ts'
import { threadHostAdapter } from './thread-host-adapter.ts'

/**
 * The second test host (docs/hosts.md, "The second test host"): a whole thread-based desk shaped like osTicket, in
 * the test database beside the demo desk's tables. On top of the thread desk's people and sessions
 * (thread-desk.ts): tickets numbered by the desk (number varchar(20)), the subject in a side table, the
 * description and activity as entries of a thread per ticket, status ids in a status table, a FAQ without a
 * full-text index (HTML answers, published and internal flags), NOT NULL columns without defaults, and, on
 * MariaDB, utf8mb3 tables that take no emoji. Its mapping and adapter: thread-host-adapter.ts.
 */

export const threadHostFaqs = [
  { faq_id: 1, question: 'Reset your desk password', answer: '<p>Open <b>Forgot password</b> on the sign-in page; the reset link lasts one hour.</p>', ispublished: 1, internal: 0 },
  { faq_id: 2, question: 'Unlock a locked password account (staff)', answer: '<p>Staff only: unlock the password account in the directory after a callback.</p>', ispublished: 1, internal: 1 },
  { faq_id: 3, question: 'Password rules for the new portal', answer: '<p>Draft: the new password rules are not final.</p>', ispublished: 0, internal: 0 }
]

export const threadHostStatuses = [{ id: 1, name: 'Open' }, { id: 2, name: 'Resolved' }, { id: 3, name: 'Closed' }, { id: 4, name: 'Archived' }]

/** Creates the thread host's tables in `knex`'s database and fills them; its agents' and customers' sign-ins. */
export async function createThreadHost (knex: Knex, dialect: 'mysql' | 'sqlite') {
  const desk = await createThreadDesk(knex, dialect)
  await knex.schema.createTable('ost_ticket_status', (table) => {
    table.integer('id').primary()
    table.string('name', 60).notNullable()
  })
  // The desk's code fills every column on its own inserts, so few have defaults (host.tickets.defaults covers them).
  await knex.schema.createTable('ost_ticket', (table) => {
    table.increments('ticket_id')
    table.string('number', 20).notNullable()
    table.integer('user_id').notNullable()
    table.integer('status_id').notNullable()
    table.integer('dept_id').notNullable()
    table.integer('topic_id').notNullable()
    // NOT NULL with 0 for nobody, as osTicket keeps it (host.tickets.nobody).
    table.integer('staff_id').notNullable()
    table.string('source', 32).notNullable()
    table.string('ip_address', 64).notNullable()
    table.datetime('created').notNullable()
    table.datetime('updated').notNullable()
    table.index(['number'])
  })
  await knex.schema.createTable('ost_ticket__cdata', (table) => {
    table.integer('ticket_id').primary()
    table.string('subject', 255).notNullable()
  })
  await knex.schema.createTable('ost_thread', (table) => {
    table.increments('id')
    table.integer('object_id').notNullable()
    table.string('object_type', 1).notNullable()
    table.text('extra').nullable()
    table.datetime('created').notNullable()
  })
  await knex.schema.createTable('ost_thread_entry', (table) => {
    table.increments('id')
    table.integer('thread_id').notNullable()
    table.integer('staff_id').notNullable()
    table.integer('user_id').notNullable()
    table.string('type', 1).notNullable()
    table.string('poster', 128).notNullable()
    table.text('body').notNullable()
    table.string('format', 16).notNullable()
    table.datetime('created').notNullable()
  })
  await knex.schema.createTable('ost_help_topic', (table) => {
    table.increments('topic_id')
    table.string('kind', 16).notNullable()
    table.string('topic', 128).notNullable()
    table.string('subject', 255).notNullable()
    table.text('notes').notNullable()
  })
  await knex.schema.createTable('ost_faq', (table) => {
    table.increments('faq_id')
    table.string('question', 255).notNullable()
    table.text('answer').notNullable()
    table.tinyint('ispublished').notNullable()
    table.tinyint('internal').notNullable()
  })
  if (dialect === 'mysql') {
    // The desk's tables as an older MySQL install keeps them: 3 bytes a character, so no emoji.
    const [rows] = await knex.raw("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'ost\\_%'") as [Array<{ name: string }>]
    for (const { name } of rows) await knex.raw('ALTER TABLE ?? CONVERT TO CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci', [name])
  }
  await knex('ost_ticket_status').insert(threadHostStatuses)
  await knex('ost_faq').insert(threadHostFaqs)
  return {
    ...desk,
    /** The desk's session cookie of staff member `staffId` signed in. */
    agentCookie: async (staffId: number): Promise<string> => `OSTSESSID=${await desk.session(`csrf|"x";_auth|{"staff":{"id":${staffId}}}`)}`,
    /** The desk's session cookie of customer `userId` signed in to the portal. */
    customerCookie: async (userId: number): Promise<string> => `OSTSESSID=${await desk.session(`_auth|{"user":{"id":${userId}}}`)}`
  }
}

/**
 * The thread host with live chat installed as its author would: a private prepared database (live chat's tables
 * migrated), the desk's tables made, its staff member Amy Archer (a:1) working Support L1 and available, and the
 * plugin registered with the desk's adapter.
 */
export async function buildThreadHost (t: { teardown: (fn: () => unknown) => void }, opts: { listen?: boolean } = {}) {
  const { knex, dialect, drop } = await preparedDatabase()
  const desk = await createThreadHost(knex, dialect)
  const routing = createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 60 } })
  const l1 = await knex('lc_groups').where({ name: 'Support L1' }).first('id')
  await routing.setMember(Number(l1.id), 'a:1')
  const at = Date.now()
  await knex('lc_agent_presence').insert({ agent_id: 'a:1', status: 'available', max_chats: 4, heartbeat_at: at + 365 * 86_400_000, updated_at: at })
  const app: FastifyInstance = Fastify({ logger: false })
  await app.register(liveChat, { prefix: '/livechat', knex, host: threadHostAdapter(knex), jobs: false, settings: { chatStartsPerMinute: 1000, messagesPerMinute: 10000 } })
  const url = await started(t, app, drop, opts.listen)
  return { app, knex, dialect, url, desk }
}
