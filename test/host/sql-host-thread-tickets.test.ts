import t from 'tap'
import { createFullTextIndex } from '../../plugin/db/fulltext.ts'
import { checkHostMapping, type HostMappingProblem } from '../../plugin/host/check.ts'
import type { HostMapping } from '../../plugin/host/mapping.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { preparedDatabase } from '../helpers/db.ts'
import { createThreadDesk, decodeThreadDeskSession } from '../helpers/thread-desk.ts'

// Tickets of a thread-based desk shaped like osTicket (docs/hosts.md, "Tickets of a
// thread-based desk"), on both databases: the status an id into a table of statuses, no kind,
// status reason, chat or resolution columns, and NOT NULL columns the plugin knows nothing of,
// filled from the mapping's defaults.

const named = (problems: HostMappingProblem[]): string[] => problems.map((p) => `${p.table}.${p.column ?? ''}`)

t.test('sqlHost on a thread-based desk\'s tickets', async (t) => {
  const { knex, dialect, drop } = await preparedDatabase()
  t.teardown(drop)
  const desk = await createThreadDesk(knex, dialect)

  await knex.schema.createTable('ost_ticket_status', (table) => {
    table.integer('id').primary()
    table.string('name', 60).notNullable()
  })
  await knex('ost_ticket_status').insert([{ id: 1, name: 'Open' }, { id: 2, name: 'Resolved' }, { id: 3, name: 'Closed' }, { id: 5, name: 'Archived' }])
  await knex.schema.createTable('ost_ticket', (table) => {
    table.increments('ticket_id')
    table.string('number', 20).unique()
    table.integer('status_id').notNullable()
    table.integer('dept_id').notNullable()
    table.integer('user_id').nullable()
    table.integer('staff_id').nullable()
    table.string('subject', 255).notNullable()
    table.text('body').notNullable()
    table.datetime('created').notNullable()
    table.datetime('updated').notNullable()
  })
  await knex.schema.createTable('ost_thread_entry', (table) => {
    table.increments('id')
    table.integer('ticket_id').notNullable()
    table.string('type', 1).notNullable()
    table.integer('staff_id').nullable()
    table.text('body').notNullable()
    table.datetime('created').notNullable()
  })
  await createFullTextIndex(knex, { table: 'ost_ticket', key: 'ticket_id', columns: ['subject', 'body'], name: 'ost_ticket_fts' })

  const mapping: HostMapping = {
    ...desk.mapping,
    tickets: {
      table: 'ost_ticket',
      id: 'ticket_id',
      ref: 'number',
      summary: 'subject',
      description: 'body',
      status: 'status_id',
      statuses: { table: 'ost_ticket_status', id: 'id', name: 'name' },
      requesterId: 'user_id',
      assigneeId: 'staff_id',
      createdAt: 'created',
      updatedAt: 'updated',
      url: '/scp/tickets.php?id={id}',
      refPrefix: { incident: 'INC', work_order: 'WO', ticket: 'TKT' },
      newStatus: 'Open',
      cancelledStatus: 'Closed',
      resolvedStatuses: ['Resolved', 'Closed'],
      fullTextIndex: 'ost_ticket_fts',
      // status_id is mapped: the plugin's id wins over this default.
      defaults: { dept_id: 7, status_id: 99 }
    },
    ticketActivity: { table: 'ost_thread_entry', ticketId: 'ticket_id', text: 'body', authorId: 'staff_id', createdAt: 'created', defaults: { type: 'N' } }
  }
  const host = sqlHost(knex, mapping, { decodeSession: decodeThreadDeskSession })
  /** A datetime as the desk writes it: text in UTC on SQLite, a DATETIME on MySQL. */
  const stored = (at: number): string | Date => dialect === 'sqlite' ? new Date(at).toISOString().slice(0, 19).replace('T', ' ') : new Date(at)
  const row = async (ref: string): Promise<Record<string, unknown>> => await knex('ost_ticket').where({ number: ref }).first()

  t.test('the mapping passes the start-up check', async (t) => {
    t.same(await checkHostMapping(knex, mapping), [])
    await host.check!()
  })

  t.test('createTicket writes the new status\'s id and the defaults; the ticket reads back by name', async (t) => {
    const made = await host.createTicket({ kind: 'incident', summary: 'Printer jammed', description: 'The office printer jams on every page', requesterId: 'c:1', assigneeId: 'a:2', chatId: 12 })
    t.match(made, { ref: /^INC\d{6}$/, status: 'Open', kind: 'incident' })
    t.match(await row(made.ref), { status_id: 1, dept_id: 7, user_id: 1, staff_id: 2, subject: 'Printer jammed' })
    const id = (await row(made.ref)).ticket_id
    t.equal(made.url, `/scp/tickets.php?id=${String(id)}`)
    const entries = await knex('ost_thread_entry').where({ ticket_id: id })
    t.match(entries, [{ type: 'N', staff_id: 2, body: 'Created from live chat #12' }], 'the activity entry, its type from the defaults')
    t.match(await host.getTicket(made.ref), { ref: made.ref, status: 'Open', kind: 'incident', summary: 'Printer jammed' })
  })

  t.test('setTicketStatus writes the id of the status named; a status the desk lacks is refused, naming those it has', async (t) => {
    const made = await host.createTicket({ kind: 'work_order', summary: 'New laptop', description: 'd', requesterId: null, assigneeId: null, chatId: null })
    t.equal(made.kind, 'work_order')
    await host.setTicketStatus(made.ref, 'Resolved', 'Delivered')
    t.match(await row(made.ref), { status_id: 2 })
    t.equal((await host.getTicket(made.ref))?.status, 'Resolved')
    await host.setTicketStatus(made.ref, 'closed')
    t.match(await row(made.ref), { status_id: 3 }, 'a name in another case is the desk\'s own')
    await t.rejects(host.setTicketStatus(made.ref, 'Pending'), { message: 'host.tickets.statuses: the help desk has no status "Pending" in ost_ticket_status; its statuses are Open, Resolved, Closed, Archived' })
    t.match(await row(made.ref), { status_id: 3 }, 'unchanged')
  })

  t.test('a customer\'s tickets read back with status names; a kind is known only from a ref live chat made', async (t) => {
    await knex('ost_ticket').insert({ number: '654321', status_id: 5, dept_id: 1, user_id: 3, subject: 'Made in the desk', body: 'b', created: stored(Date.now() - 60_000), updated: stored(Date.now()) })
    await host.createTicket({ kind: 'ticket', summary: 'Left a message', description: 'd', requesterId: 'c:3', assigneeId: null, chatId: null })
    const mine = await host.userTickets('c:3')
    t.match(mine.map((x) => [x.summary, x.status, x.kind]).sort(), [['Left a message', 'Open', 'ticket'], ['Made in the desk', 'Archived', undefined]])
    t.equal((await host.getTicket('654321'))?.kind, undefined)
    t.same(await host.userTickets('a:3'), [], 'agent 3 is not customer 3')
    t.same(await host.userTickets('3'), [], 'an id of no table is nobody')
  })

  t.test('ids carry their table\'s prefix in the plugin and are bare keys in the desk\'s columns', async (t) => {
    const made = await host.createTicket({ kind: 'incident', summary: 'Agent as requester', description: 'd', requesterId: 'a:2', assigneeId: 'c:1', chatId: null, requester: { name: 'Ann', email: 'ann@example.com' } })
    t.match(await row(made.ref), { user_id: null, staff_id: null }, 'an agent is no requester and a customer no assignee here')
    t.match((await row(made.ref)).body, /^Requester \(not a user of this desk\): Ann <ann@example\.com>/, 'the contact is kept in the description')
    await host.addTicketActivity(made.ref, 'Shared an article', 'a:2')
    await host.addTicketActivity(made.ref, 'A customer note', 'c:1')
    const entries = await knex('ost_thread_entry').where({ ticket_id: (await row(made.ref)).ticket_id }).orderBy('id')
    t.match(entries.map((e: Record<string, unknown>) => e.staff_id), [2, null])
  })

  t.test('resolved tickets are searched by summary and description, by status name', async (t) => {
    const solved = await host.createTicket({ kind: 'incident', summary: 'Scanner offline', description: 'The scanner lost its network connection after the update', requesterId: null, assigneeId: null, chatId: null })
    const open = await host.createTicket({ kind: 'incident', summary: 'Scanner slow', description: 'The scanner takes minutes per page', requesterId: null, assigneeId: null, chatId: null })
    await host.setTicketStatus(solved.ref, 'Resolved')
    const hits = await host.searchResolvedTickets!('scanner network', 5)
    t.same(hits.map((h) => [h.ref, h.status]), [[solved.ref, 'Resolved']], 'not the open one')
    t.match(hits[0]!.excerpt, /network connection/, 'the description, where the desk keeps no resolution')
    t.notOk(hits.some((h) => h.ref === open.ref))
    const noneResolved = sqlHost(knex, { ...mapping, tickets: { ...mapping.tickets, resolvedStatuses: ['Solved'] } }, { decodeSession: decodeThreadDeskSession })
    t.same(await noneResolved.searchResolvedTickets!('scanner network', 5), [], 'a resolved status the desk lacks matches nothing')
  })

  t.test('the check names an uncovered NOT NULL column, a default of no column and a status the desk lacks', async (t) => {
    const { defaults: _d, ...noDefaults } = mapping.tickets
    const uncovered = await checkHostMapping(knex, { ...mapping, tickets: noDefaults, ticketActivity: { ...mapping.ticketActivity, defaults: {} } })
    t.same(named(uncovered), ['ost_ticket.dept_id', 'ost_thread_entry.type'])
    t.match(uncovered[0]!.message, /ost_ticket\.dept_id is NOT NULL without a default.*host\.tickets\.defaults/)

    const wrong = await checkHostMapping(knex, { ...mapping, tickets: { ...mapping.tickets, defaults: { dept_id: 7, topic_id: 2 }, newStatus: 'New' } })
    t.same(named(wrong), ['ost_ticket.topic_id', 'ost_ticket_status.name'])
    t.match(wrong[0]!.message, /ost_ticket\.topic_id \(host\.tickets\.defaults\) does not exist/)
    t.match(wrong[1]!.message, /status "New" \(host\.tickets\.newStatus\) is not in ost_ticket_status\.name/)

    const { cancelledStatus: _c, ...noCancelled } = mapping.tickets
    t.match((await checkHostMapping(knex, { ...mapping, tickets: noCancelled })).map((p) => p.message), [/status "Cancelled" \(host\.tickets\.cancelledStatus, left out\)/])
    const lookup = await checkHostMapping(knex, { ...mapping, tickets: { ...mapping.tickets, statuses: { table: 'ost_ticket_status', id: 'id', name: 'state' } } })
    t.same(named(lookup), ['ost_ticket_status.state'])
  })
})
