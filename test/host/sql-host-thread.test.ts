import t from 'tap'
import { checkHostMapping, type HostMappingProblem } from '../../plugin/host/check.ts'
import type { HostMapping } from '../../plugin/host/mapping.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { loadManifest, validateManifest } from '../../plugin/manifest.ts'
import { preparedDatabase } from '../helpers/db.ts'
import { createThreadHost } from '../helpers/thread-host.ts'
import { decodeThreadDeskSession, newThreadRef, threadHostAdapter, threadHostMapping } from '../helpers/thread-host-adapter.ts'

// The thread host's tickets (docs/hosts.md, "Tickets of a thread-based desk"), on both databases: refs the desk
// makes, the subject in a side table, the description and activity as entries of the ticket's thread, the chat's
// messages as entries, a guest filed as a customer, solved tickets searched without a full-text index, and the
// start-up check of all of it.

const named = (problems: HostMappingProblem[]): string[] => problems.map((p) => `${p.table}.${p.column ?? ''}`)
const options = { decodeSession: decodeThreadDeskSession, newRef: newThreadRef, refLength: 6 }

t.test('the manifest schema takes the thread host\'s mapping and names a bad new key', async (t) => {
  const manifest = loadManifest()
  t.doesNotThrow(() => validateManifest({ ...manifest, host: threadHostMapping }))
  const m = threadHostMapping
  t.throws(() => validateManifest({ ...manifest, host: { ...m, ticketActivity: { ...m.ticketActivity, types: { column: 'type', customer: 'M', agent: 'R' } } } }), /types/)
  t.throws(() => validateManifest({ ...manifest, host: { ...m, tickets: { ...m.tickets, summaryTable: { table: 'ost_ticket__cdata' } } } }), /summaryTable/)
  t.throws(() => validateManifest({ ...manifest, host: { ...m, customers: { ...m.customers!, guests: { createdAt: 'created', colour: 'x' } } } }), /guests/)
})

t.test('sqlHost on the thread host', async (t) => {
  const { knex, dialect, drop } = await preparedDatabase()
  t.teardown(drop)
  await createThreadHost(knex, dialect)
  const host = threadHostAdapter(knex)
  const ticket = async (ref: string): Promise<Record<string, unknown>> => await knex('ost_ticket').where({ number: ref }).first()
  const entries = async (ref: string): Promise<Array<Record<string, unknown>>> => {
    const thread = await knex('ost_thread').where({ object_id: (await ticket(ref)).ticket_id, object_type: 'T' }).first()
    return await knex('ost_thread_entry').where({ thread_id: thread.id }).orderBy('id')
  }
  const count = async (table: string): Promise<number> => Number((await knex(table).count({ n: '*' }).first())?.n)
  const at = Date.UTC(2026, 11, 1, 9, 30, 0)
  /** A stored datetime as epoch ms: SQLite keeps UTC text, MariaDB a DATETIME read back as a Date. */
  const ms = (v: unknown): number => v instanceof Date ? v.getTime() : Date.parse(`${String(v).replace(' ', 'T')}Z`)

  t.test('the mapping and adapter pass the start-up check', async (t) => {
    t.same(await checkHostMapping(knex, threadHostMapping, options), [])
    await host.check!()
    const { nobody: _nobody, ...withoutNobody } = threadHostMapping.tickets
    const problems = await checkHostMapping(knex, { ...threadHostMapping, tickets: withoutNobody }, options)
    t.same(named(problems), ['ost_ticket.staff_id', 'ost_thread_entry.staff_id', 'ost_thread_entry.user_id'], 'NOT NULL user columns need a value for nobody')
    t.match(problems[0]!.message, /allow NULL, or name the value it holds for nobody in host\.tickets\.nobody/)
  })

  t.test('a ticket from a chat: the desk\'s own number, the subject in its side table, the thread of entries', async (t) => {
    const made = await host.createTicket({
      kind: 'ticket',
      summary: 'Printer jammed',
      description: 'Transcript of chat #12\nDana Doyle: The printer jams',
      requesterId: 'c:1',
      requester: { name: 'Dana Doyle', email: 'dana@customer.example' },
      assigneeId: 'a:2',
      chatId: 12,
      channel: 'livechat',
      transcript: [
        { author: 'customer', authorName: 'Dana Doyle', authorId: 'c:1', at, body: 'The printer jams' },
        { author: 'system', authorName: 'Live chat', authorId: null, at: at + 1000, body: 'Sam Stone joined the chat' },
        { author: 'agent', authorName: 'Sam Stone', authorId: 'a:2', at: at + 2000, body: 'Which tray?' }
      ]
    })
    t.match(made, { ref: /^\d{6}$/, status: 'Open', summary: 'Printer jammed' })
    const row = await ticket(made.ref)
    t.match(row, { user_id: 1, staff_id: 2, status_id: 1, dept_id: 1, topic_id: 0, source: 'livechat' })
    t.equal(made.url, `/scp/tickets.php?id=${String(row.ticket_id)}`)
    t.match(await knex('ost_ticket__cdata').where({ ticket_id: row.ticket_id }), [{ subject: 'Printer jammed' }])
    t.equal(await count('ost_thread'), 1, 'one thread, for this ticket')
    const list = await entries(made.ref)
    t.match(list.map((e) => [e.type, e.poster, e.staff_id, e.user_id, e.body]), [
      ['M', 'Dana Doyle', 0, 1, /^Transcript of chat #12/],
      ['M', 'Dana Doyle', 0, 1, 'The printer jams'],
      ['N', 'Live chat', 0, 0, 'Sam Stone joined the chat'],
      ['R', 'Sam Stone', 2, 0, 'Which tray?'],
      ['N', '', 2, 0, 'Created from live chat #12']
    ], 'nobody is 0 in the desk\'s NOT NULL user columns (host.tickets.nobody)')
    t.same(list.slice(1, 4).map((e) => ms(e.created)), [at, at + 1000, at + 2000], 'each message at its own time')
    t.match(await host.getTicket(made.ref), { ref: made.ref, status: 'Open', summary: 'Printer jammed', customerUrl: `/tickets.php?id=${String(row.ticket_id)}` })
    t.match((await host.userTickets('c:1')).map((x) => x.summary), ['Printer jammed'])
  })

  t.test('activity is an entry of the ticket\'s thread, a note by the agent', async (t) => {
    const made = await host.createTicket({ kind: 'ticket', summary: 'Share', description: 'd', requesterId: 'c:2', assigneeId: 'a:1', chatId: null })
    await host.addTicketActivity(made.ref, 'Knowledge article shared in live chat #3 by Amy Archer: Reset your desk password', 'a:1')
    t.match((await entries(made.ref)).map((e) => [e.type, e.staff_id, e.body]), [['M', 0, 'd'], ['N', 1, /^Knowledge article shared/]])
    await host.addTicketActivity('999999', 'nowhere', 'a:1')
    t.equal(await count('ost_thread'), 2, 'no thread for a ticket that does not exist')
  })

  t.test('a guest is filed as a customer: made once, found again by email in any case, a known customer reused', async (t) => {
    const users = await count('ost_user')
    const guest = { kind: 'ticket' as const, summary: 'Locked out', description: 'd', requesterId: null, requester: { name: 'Gus Guest', email: 'gus@nowhere.example' }, assigneeId: null, chatId: null }
    const first = await host.createTicket(guest)
    const row = await ticket(first.ref)
    const customer = await knex('ost_user').where({ id: row.user_id }).first()
    t.match(customer, { name: 'Gus Guest', org_id: 0, status: 0 })
    t.match(await knex('ost_user_email').where({ id: customer.default_email_id }).first(), { user_id: customer.id, address: 'gus@nowhere.example', flags: 0 })
    t.equal(await count('ost_user'), users + 1)
    t.notMatch((await entries(first.ref))[0]!.body, /not a user of this desk/, 'a customer now: no contact line')
    const again = await host.createTicket({ ...guest, requester: { name: 'Gus', email: ' GUS@nowhere.example ' } })
    t.equal((await ticket(again.ref)).user_id, customer.id)
    const dana = await host.createTicket({ ...guest, requester: { name: 'Dana', email: 'Dana@Customer.example' } })
    t.equal((await ticket(dana.ref)).user_id, 1, 'the customer whose address it is')
    t.equal(await count('ost_user'), users + 1)
    t.match(await host.getUser(`c:${String(customer.id)}`), { name: 'Gus Guest', email: 'gus@nowhere.example', kind: 'customer' })
  })

  t.test('the desk\'s numbers: a number taken is asked again; always taken, the ticket is refused and nothing is written', async (t) => {
    const taken = (await host.userTickets('c:1'))[0]!.ref
    const asked: string[] = []
    const retrying = sqlHost(knex, threadHostMapping, { ...options, newRef: () => { asked.push('x'); return asked.length === 1 ? taken : '000042' } })
    t.equal((await retrying.createTicket({ kind: 'ticket', summary: 's', description: 'd', requesterId: 'c:1', assigneeId: null, chatId: null })).ref, '000042')
    const before = await Promise.all(['ost_ticket', 'ost_ticket__cdata', 'ost_thread', 'ost_thread_entry'].map(count))
    const stuck = sqlHost(knex, threadHostMapping, { ...options, newRef: () => taken })
    await t.rejects(stuck.createTicket({ kind: 'ticket', summary: 's', description: 'd', requesterId: 'c:1', assigneeId: null, chatId: 4 }),
      { message: `sqlHost newRef made 5 refs that tickets in ost_ticket.number already have (${Array(5).fill(taken).join(', ')}); the ticket was not created. Make newRef draw from a wider range, then try again` })
    const tooLong = sqlHost(knex, threadHostMapping, { ...options, newRef: () => '1234567' })
    await t.rejects(tooLong.createTicket({ kind: 'ticket', summary: 's', description: 'd', requesterId: 'c:1', assigneeId: null, chatId: null }), { message: /newRef made "1234567", which is not a ref of 1 to 6 characters/ })
    t.same(await Promise.all(['ost_ticket', 'ost_ticket__cdata', 'ost_thread', 'ost_thread_entry'].map(count)), before, 'nothing written')
    t.throws(() => sqlHost(knex, threadHostMapping, { decodeSession: decodeThreadDeskSession, newRef: newThreadRef }), { message: /newRef must be a function, given with refLength/ })
  })

  t.test('solved tickets are found by LIKE over the side table\'s subject and the first entry, by status name', async (t) => {
    const solved = await host.createTicket({ kind: 'ticket', summary: 'Scanner offline', description: 'The scanner lost its network connection after the update', requesterId: 'c:2', assigneeId: null, chatId: null })
    const open = await host.createTicket({ kind: 'ticket', summary: 'Scanner slow', description: 'The scanner takes minutes per page', requesterId: 'c:2', assigneeId: null, chatId: null })
    await host.setTicketStatus(solved.ref, 'Resolved', 'Fixed')
    const hits = await host.searchResolvedTickets!('scanner network', 5)
    t.same(hits.map((h) => [h.ref, h.summary, h.status]), [[solved.ref, 'Scanner offline', 'Resolved']])
    t.match(hits[0]!.excerpt, /network connection/)
    t.notOk(hits.some((h) => h.ref === open.ref))
    t.same((await host.searchResolvedTickets!('offline', 5)).map((h) => h.ref), [solved.ref], 'a subject word')
    t.same(await host.searchResolvedTickets!('the of', 5), [], 'no real words, nothing')
  })

  t.test('an emoji reaches the desk\'s utf8mb3 tables as U+FFFD, never as an error; SQLite keeps it', async (t) => {
    const made = await host.createTicket({
      kind: 'ticket',
      summary: 'Thanks 🎉',
      description: 'Great 👍',
      requesterId: null,
      requester: { name: 'Emma 😀', email: 'emma@emoji.example' },
      assigneeId: 'a:1',
      chatId: 7,
      transcript: [{ author: 'customer', authorName: 'Emma 😀', at, body: 'It works 👍' }]
    })
    const keep = (s: string): string => dialect === 'mysql' ? s.replace(/[\u{10000}-\u{10FFFF}]/gu, '\uFFFD') : s
    t.equal((await host.getTicket(made.ref))?.summary, keep('Thanks 🎉'))
    t.match((await entries(made.ref)).map((e) => [e.poster, e.body]), [[keep('Emma 😀'), keep('Great 👍')], [keep('Emma 😀'), keep('It works 👍')], ['', 'Created from live chat #7']])
    t.equal((await knex('ost_user').where({ id: (await ticket(made.ref)).user_id }).first()).name, keep('Emma 😀'))
  })

  t.test('the check names what does not fit: a side table\'s column, a thread table, NOT NULL columns of the tables live chat writes, the ref length', async (t) => {
    const m = threadHostMapping
    const side = await checkHostMapping(knex, { ...m, tickets: { ...m.tickets, summaryTable: { table: 'ost_ticket__cdata', ticketId: 'id' } } }, options)
    // On MariaDB the side table's own key, now unmapped, is named too: NOT NULL without a default (SQLite fills an INTEGER PRIMARY KEY itself).
    t.same(named(side), dialect === 'mysql' ? ['ost_ticket__cdata.id', 'ost_ticket__cdata.ticket_id'] : ['ost_ticket__cdata.id'])
    t.match(side[0]!.message, /column ost_ticket__cdata\.id \(host\.tickets\.summaryTable\.ticketId\) does not exist/)
    const thread = await checkHostMapping(knex, { ...m, ticketActivity: { ...m.ticketActivity, thread: { ...m.ticketActivity.thread!, table: 'ost_threads' } } }, options)
    t.same(named(thread), ['ost_threads.'])
    t.match(thread[0]!.message, /table ost_threads \(host\.ticketActivity\.thread\) does not exist/)
    const { defaults: _d, ...activity } = m.ticketActivity
    const { objectType: _o, ...noType } = m.ticketActivity.thread!
    const { guests: _g, ...customers } = m.customers!
    const uncovered = await checkHostMapping(knex, { ...m, ticketActivity: { ...activity, thread: noType }, customers: { ...customers, guests: { createdAt: 'created', updatedAt: 'updated' } } }, options)
    t.same(named(uncovered).sort(), ['ost_thread.object_type', 'ost_thread_entry.format', 'ost_user.org_id', 'ost_user.status', 'ost_user_email.flags'])
    t.match(uncovered.find((p) => p.column === 'flags')!.message, /ost_user_email\.flags is NOT NULL without a default, and live chat leaves it out when it files a guest's ticket; give it a default in host\.customers\.guests\.emailDefaults/)
    t.match(uncovered.find((p) => p.column === 'object_type')!.message, /host\.ticketActivity\.thread\.defaults/)
    const noGuests = await checkHostMapping(knex, { ...m, customers }, options)
    t.same(named(noGuests), ['ost_ticket.user_id'], 'without guests, a guest\'s ticket would have no user')
    const long = await checkHostMapping(knex, m, { ...options, refLength: 30 })
    t.match(long.map((p) => p.message), [/column ost_ticket\.number \(host\.tickets\.ref\) holds 20 characters, but live chat writes refs of up to 30 \(refLength, the longest newRef makes\)/])
    t.same(await checkHostMapping(knex, m), [], 'without newRef, the 20-character placeholder fits too')
    const plain: HostMapping = { ...m, tickets: { ...m.tickets, refPrefix: { incident: 'INCIDENT-REPORT-', work_order: 'WO', ticket: 'T' } } }
    t.match((await checkHostMapping(knex, plain)).map((p) => p.message), [/holds 20 characters, but live chat writes refs of up to 22 .*or pass newRef to make the desk's own refs/])
    t.throws(() => sqlHost(knex, { ...m, ticketActivity: { ...m.ticketActivity, id: undefined } }, options), { message: /host\.ticketActivity\.id is required where host\.tickets\.description is left out/ })
    t.throws(() => sqlHost(knex, { ...m, customers: { ...m.customers!, email: { column: 'default_email_id', table: 'ost_user_email', id: 'id', address: 'address' } } }, options), { message: /host\.customers\.email\.userId: is required with customers\.guests/ })
  })
})
