import t from 'tap'
import type { Knex } from 'knex'
import { buildDemoHost } from '../../demo-host/app.ts'
import { checkHostMapping, type HostMappingProblem } from '../../plugin/host/check.ts'
import type { HostMapping } from '../../plugin/host/mapping.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { loadManifest, validateManifest } from '../../plugin/manifest.ts'
import { preparedDatabase } from '../helpers/db.ts'
import { demoTicketColumns } from '../helpers/host-tables.ts'
import { createThreadDesk } from '../helpers/thread-desk.ts'

// The start-up check of a table mapping against the live schema (docs/hosts.md), on both
// databases: a mapping that does not fit stops the plugin before it serves anything.

const named = (problems: HostMappingProblem[]): string[] => problems.map((p) => `${p.table}.${p.column ?? ''}`)

t.test('checkHostMapping', async (t) => {
  const { knex, drop } = await preparedDatabase()
  t.teardown(drop)
  const demo = loadManifest().host!

  /** A tickets table like the demo's, with the ref column `refLength` long and whatever `extra` adds. */
  async function ticketsTable (name: string, refLength: number, extra?: (table: Knex.CreateTableBuilder) => void): Promise<HostMapping> {
    await knex.schema.createTable(name, (table) => {
      demoTicketColumns(table, refLength)
      extra?.(table)
    })
    // Search is not asked of these desks: their full-text index names point at the demo's tables.
    return { ...demo, tickets: { ...demo.tickets, table: name } }
  }
  const onlyTable = (problems: HostMappingProblem[], table: string): HostMappingProblem[] =>
    problems.filter((p) => p.table === table && !/FTS5|FULLTEXT/.test(p.message))

  t.test('the demo mapping fits the demo schema', async (t) => {
    t.same(await checkHostMapping(knex, demo), [])
    await sqlHost(knex, demo).check!()
  })

  t.test('a column that does not exist is named with its table and mapping key', async (t) => {
    const problems = await checkHostMapping(knex, { ...demo, users: { ...demo.users!, email: 'mail' }, knowledge: { ...demo.knowledge, body: 'content' } })
    t.same(named(problems), ['users.mail', 'kb_articles.content'])
    t.match(problems[0]!.message, /users\.mail \(host\.users\.email\) does not exist/)
    const hidden = await checkHostMapping(knex, { ...demo, knowledge: { ...demo.knowledge, internal: { column: 'audience', values: ['staff'] } } })
    t.same(named(hidden), ['kb_articles.audience'], 'the knowledge base\'s internal column is checked too')
  })

  t.test('a table that does not exist, and a column the mapping does not set, are named', async (t) => {
    const { summary: _s, ...noSummary } = demo.tickets
    const problems = await checkHostMapping(knex, { ...demo, sessions: { ...demo.sessions, table: 'logins' }, tickets: noSummary as HostMapping['tickets'] })
    // The tickets' summary column, now unmapped, is NOT NULL: tickets would be inserted without it.
    t.same(named(problems), ['logins.', 'tickets.', 'tickets.summary'])
    t.match(problems[0]!.message, /table logins \(host\.sessions\.table\) does not exist/)
    t.match(problems[1]!.message, /host\.tickets\.summary is not set/)
  })

  t.test('columns optional in the mapping are checked only when given', async (t) => {
    const { fields: _f, templateId: _tid, ...plain } = demo.tickets
    t.same(await checkHostMapping(knex, { ...demo, tickets: plain }), [])
    t.same(named(await checkHostMapping(knex, { ...demo, tickets: { ...demo.tickets, templateId: 'template' } })), ['tickets.template'])
  })

  t.test('a NOT NULL column without a default that tickets are inserted without is named', async (t) => {
    const map = await ticketsTable('ck_priority', 32, (table) => {
      table.string('priority', 10).notNullable()
      table.string('queue', 10).notNullable().defaultTo('first')
      table.string('note', 10).nullable()
    })
    const problems = onlyTable(await checkHostMapping(knex, map), 'ck_priority')
    t.same(named(problems), ['ck_priority.priority'], 'not the key, a column with a default, or a nullable one')
    t.match(problems[0]!.message, /ck_priority\.priority is NOT NULL without a default.*creates a ticket/)
  })

  t.test('a column the plugin leaves empty must allow NULL', async (t) => {
    await knex.schema.createTable('ck_activity', (table) => {
      table.increments('id')
      table.integer('ticket_id').notNullable()
      table.text('text').notNullable()
      table.integer('author_id').notNullable()
      table.bigInteger('created_at').notNullable()
    })
    const problems = await checkHostMapping(knex, { ...demo, ticketActivity: { ...demo.ticketActivity, table: 'ck_activity' } })
    t.same(named(problems), ['ck_activity.author_id'])
    t.match(problems[0]!.message, /host\.ticketActivity\.authorId\) is NOT NULL.*allow NULL/)
  })

  t.test('a VARCHAR(20) ref column holds every ref and the placeholder; a VARCHAR(8) one is named', async (t) => {
    const wide = await ticketsTable('ck_ref20', 20)
    t.same(onlyTable(await checkHostMapping(knex, wide), 'ck_ref20'), [])
    // The placeholder really fits: MySQL refuses a value longer than the column.
    const host = sqlHost(knex, wide)
    const ticket = await host.createTicket({ kind: 'work_order', summary: 'Printer', description: 'Jammed', requesterId: null, assigneeId: null, chatId: null })
    t.match(ticket.ref, /^WO\d{6}$/)
    t.equal((await knex('ck_ref20').where({ ref: ticket.ref }).first())?.summary, 'Printer')

    const narrow = await ticketsTable('ck_ref8', 8)
    const problems = onlyTable(await checkHostMapping(knex, narrow), 'ck_ref8')
    t.same(named(problems), ['ck_ref8.ref'])
    t.match(problems[0]!.message, /holds 8 characters.*at least 20/)
    // A long prefix asks for more than the placeholder.
    const long = onlyTable(await checkHostMapping(knex, { ...wide, tickets: { ...wide.tickets, refPrefix: { ...wide.tickets.refPrefix, incident: 'INCIDENT-NUMBER-' } } }), 'ck_ref20')
    t.match(long[0]?.message, /prefix "INCIDENT-NUMBER-" and 6 digits.*at least 22/)
  })

  t.test('a missing full-text index is named', async (t) => {
    const problems = await checkHostMapping(knex, { ...demo, knowledge: { ...demo.knowledge, fullTextIndex: 'kb_search' } })
    t.same(named(problems), ['kb_articles.'])
    t.match(problems[0]!.message, /kb_search.* \(host\.knowledge\.fullTextIndex\) does not exist/)
  })

  t.test('sqlHost.check throws LC_ERR_HOST_MAPPING listing every problem', async (t) => {
    const host = sqlHost(knex, { ...demo, users: { ...demo.users!, email: 'mail', name: 'full_name' } })
    const err = await host.check!().then(() => null, (e: unknown) => e as { code: string, message: string, statusCode: number, problems: HostMappingProblem[] })
    t.equal(err?.code, 'LC_ERR_HOST_MAPPING')
    t.equal(err?.statusCode, 500)
    t.same(named(err?.problems ?? []), ['users.full_name', 'users.mail'])
    t.match(err?.message, /users\.full_name.*users\.mail/)
  })
})

t.test('the manifest\'s host section', async (t) => {
  t.test('is optional, for a host that passes its own adapter', async (t) => {
    const { host: _h, ...manifest } = loadManifest()
    t.equal(validateManifest(manifest).host, undefined)
  })

  t.test('sqlHost built without one says so', async (t) => {
    const { knex, drop } = await preparedDatabase()
    t.teardown(drop)
    t.throws(() => sqlHost(knex, undefined), { code: 'LC_ERR_HOST_MAPPING_MISSING', message: /no table mapping.*an adapter of your own/ })
  })
})

t.test('the plugin at start-up', async (t) => {
  const { knex, drop } = await preparedDatabase()
  t.teardown(drop)
  const { loadManifest: hostManifest } = await import('../../demo-host/plugins.ts')
  const manifest = await hostManifest()
  const demo = manifest.host as unknown as HostMapping

  t.test('refuses to start on a mapping naming a column that does not exist, naming table and column', async (t) => {
    const broken = { ...manifest, host: { ...demo, tickets: { ...demo.tickets, summary: 'subject' } } }
    let app: Awaited<ReturnType<typeof buildDemoHost>> | undefined
    const err = await (async () => {
      app = await buildDemoHost({ knex, manifest: broken, pluginOptions: { jobs: false } })
      await app.ready()
    })().then(() => null, (e: unknown) => e as { code: string, message: string })
    if (app) await app.close()
    t.equal(err?.code, 'LC_ERR_HOST_MAPPING')
    t.match(err?.message, /tickets\.subject \(host\.tickets\.summary\) does not exist/)
  })

  t.test('starts on the demo mapping', async (t) => {
    const app = await buildDemoHost({ knex, manifest, pluginOptions: { jobs: false } })
    t.teardown(() => app.close())
    await app.ready()
    t.equal((await app.inject({ method: 'GET', url: '/livechat/start' })).statusCode < 500, true)
  })
})

t.test('people in two tables: their own columns, the email side table and the role lookup are checked', async (t) => {
  const { knex, dialect, drop } = await preparedDatabase()
  t.teardown(drop)
  const desk = await createThreadDesk(knex, dialect)
  const fits = (await checkHostMapping(knex, desk.mapping)).filter((p) => ['ost_staff', 'ost_user', 'ost_user_email', 'ost_role', 'ost_session'].includes(p.table))
  t.same(fits, [], 'the thread desk\'s sessions and people fit')
  const agents = desk.mapping.agents!
  const customers = desk.mapping.customers!
  const email = customers.email as Exclude<typeof customers.email, string>
  const broken: HostMapping = {
    ...desk.mapping,
    agents: { ...agents, firstName: 'first_name' },
    customers: { ...customers, email: { ...email, address: 'email_address' } }
  }
  const problems = await checkHostMapping(knex, broken)
  t.match(problems.map((p) => p.message), [/ost_staff\.first_name \(host\.agents\.firstName\) does not exist/, /ost_user_email\.email_address \(host\.customers\.email\.address\) does not exist/])
})
