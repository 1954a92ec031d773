import t from 'tap'
import { createChatCore } from '../../plugin/chats/core.ts'
import { messageGroups, type PendingMessage } from '../../plugin/chats/message-groups.ts'
import * as store from '../../plugin/chats/store.ts'
import * as sweepStore from '../../plugin/chats/sweep-store.ts'
import { type Actor, ChatStatus, openStatuses } from '../../plugin/chats/types.ts'
import { getDialect, insertReturns, isUniqueViolation } from '../../plugin/db/index.ts'
import { indexWords } from '../../plugin/db/words.ts'
import { given, services } from '../helpers/given.ts'
import { statementCounter } from '../helpers/db.ts'

/**
 * Text messages written in groups on MySQL/MariaDB (chats/message-groups.ts, docs/design.md
 * §9). The module is run directly on either database, so its rules are held to the knex
 * path's on both; the plugin wires it on MySQL/MariaDB only.
 */
t.test('message groups', async (t) => {
  const s = await services(t)
  const core = createChatCore({ db: s.knex, bus: s.bus, host: s.host, routing: s.routing, settings: { maxMessageLength: 10000 } })
  const groups = messageGroups({ db: s.knex, clock: Date.now, append: core.append })
  const alice = await s.user('alice')
  const bob = await s.user('bob')
  // Room for every chat the tests give them.
  for (const agent of [alice, bob]) await s.routing.setMember(await s.groupId('Support L1'), agent.id, { active: true, maxChats: 100 })
  const agentAlice: Actor = { kind: 'agent', id: alice.id, name: alice.name }
  const customer: Actor = { kind: 'customer', id: null, name: 'Dana Doyle' }
  const fromCustomer = (chatId: number, body: string, clientMsgId: string | null = null): PendingMessage =>
    ({ chatId, author: customer, body, clientMsgId, open: openStatuses, guard: { customerPresent: true } })
  const fromAlice = (chatId: number, body: string, clientMsgId: string | null = null): PendingMessage =>
    ({ chatId, author: agentAlice, body, clientMsgId, open: [ChatStatus.active], guard: { agent_id: alice.id } })
  const { statements, start, stop } = statementCounter(s.knex)

  t.test('meetsGuard and awaitsAnswerIn give the answers of the SQL they stand for', async (t) => {
    const queued = (await given.queuedChat(s)).chat.id
    const mine = (await given.activeChat(s, 'alice')).chat.id
    const bobs = (await given.activeChat(s, 'bob')).chat.id
    const ended = (await given.activeChat(s, 'alice')).chat.id
    await s.chats.endChat(ended, agentAlice)
    const left = (await given.activeChat(s, 'alice')).chat.id
    await s.knex('lc_chats').where('id', left).update({ customer_left_at: Date.now() })
    const deleted = (await given.activeChat(s, 'alice')).chat.id
    await s.knex('lc_chats').where('id', deleted).update({ deleted_at: Date.now() })
    const offered = (await given.activeChat(s, 'alice')).chat.id
    await s.knex('lc_chats').where('id', offered).update({ auto_assigned: true, last_agent_message_at: null })
    const answered = (await given.activeChat(s, 'alice')).chat.id
    await s.knex('lc_chats').where('id', answered).update({ auto_assigned: true, last_agent_message_at: Date.now() + 60_000 })
    const transferred = (await given.activeChat(s, 'alice')).chat.id
    await s.knex('lc_chats').where('id', transferred).update({ transferred_to: bob.id })
    const ids = [queued, mine, bobs, ended, left, deleted, offered, answered, transferred]
    const assignedAt = (await s.knex('lc_chats').where('id', mine).first('assigned_at')).assigned_at as number
    const guards: Array<[string, readonly ChatStatus[], store.Guard]> = [
      ['customer', openStatuses, { customerPresent: true }],
      ['agent', [ChatStatus.active], { agent_id: alice.id }],
      ['unanswered', [ChatStatus.active], { unanswered: true }],
      ['transferable', [ChatStatus.active], { transferableTo: alice.id }],
      ['assigned at', [ChatStatus.active], { assigned_at: assignedAt }]
    ]
    const undo = new Error('undo')
    for (const [name, open, guard] of guards) {
      const bySql: boolean[] = []
      await s.knex.transaction(async (trx) => {
        for (const id of ids) bySql.push(await store.reserveSeq(trx, id, open, {}, guard) !== undefined)
        throw undo
      }).catch((err: unknown) => { if (err !== undo) throw err })
      const rows = await s.knex.transaction(async (trx) => await store.lockChats(trx, ids))
      const byRow = ids.map((id) => store.meetsGuard(rows.find((r) => Number(r.id) === id)!, open, guard))
      t.same(byRow, bySql, `${name}: the same chats pass`)
      t.ok(bySql.some((x) => x) && bySql.some((x) => !x), `${name}: some chats pass and some do not`)
    }
    const rows = await s.knex.transaction(async (trx) => await store.lockChats(trx, ids))
    const offers = await Promise.all(ids.map(async (id) => await sweepStore.awaitsAnswer(s.knex, id, alice.id)))
    t.same(ids.map((id) => sweepStore.awaitsAnswerIn(rows.find((r) => Number(r.id) === id)!, alice.id)), offers)
    t.same(offers.filter((x) => x).length, 1, 'one offer awaits its answer')
  })

  t.test('messages that arrive together share one transaction, and each chat takes its seqs in arrival order', async (t) => {
    const chats = await Promise.all([0, 1, 2].map(async () => (await given.activeChat(s, 'alice')).chat))
    const before = new Map(chats.map((c) => [c.id, c.lastSeq]))
    start()
    const written = await Promise.all(chats.flatMap((c) => [
      groups.add(fromCustomer(c.id, `question one ${c.id}`)),
      groups.add(fromAlice(c.id, `answer from alice ${c.id}`)),
      groups.add(fromCustomer(c.id, `question two ${c.id}`))
    ]))
    stop()
    t.equal(statements.filter((q) => /^(begin|start transaction)/i.test(q.trim())).length, 1, 'one transaction')
    // MySQL reads the new ids back in one more: MariaDB 10.5+ has them from the INSERT's RETURNING.
    const expected = getDialect(s.knex) === 'mysql' && await insertReturns(s.knex) ? 6 : 7
    t.equal(statements.length, expected, `9 messages in ${expected} statements`)
    for (const c of chats) {
      const mine = written.filter((w) => w.message?.chatId === c.id).map((w) => w.message!)
      t.same(mine.map((m) => m.seq), [1, 2, 3].map((n) => before.get(c.id)! + n), 'seqs in arrival order')
      t.same(mine.map((m) => m.authorKind), ['customer', 'agent', 'customer'])
      const stored = await store.messagesBetween(s.knex, c.id, before.get(c.id)!)
      t.same(stored.map((r) => [Number(r.id), Number(r.seq), r.body]), mine.map((m) => [m.id, m.seq, m.body]), 'the ids answered are the stored ones')
      const row = await s.knex('lc_chats').where('id', c.id).first('last_seq', 'message_count', 'agent_read_seq', 'last_agent_message_at')
      t.equal(Number(row.last_seq), before.get(c.id)! + 3)
      t.equal(Number(row.agent_read_seq), before.get(c.id)! + 2, 'the agent has read what they answered')
      t.equal(Number(row.last_agent_message_at), mine[1]!.createdAt)
      const words = await s.knex('lc_message_words').where('message_id', mine[1]!.id).pluck('word')
      t.same(words.sort(), [...indexWords(mine[1]!.body)].sort(), 'the words are indexed')
    }
    const count = await s.knex('lc_chats').where('id', chats[0]!.id).first('message_count')
    t.equal(Number(count.message_count), Number((await s.knex('lc_messages').where('chat_id', chats[0]!.id).count({ n: '*' }))[0]!.n))
  })

  t.test('a message its chat refuses is answered undefined; the rest of its group is written', async (t) => {
    const open = (await given.activeChat(s, 'alice')).chat.id
    const ended = (await given.activeChat(s, 'alice')).chat.id
    await s.chats.endChat(ended, agentAlice)
    const bobs = (await given.activeChat(s, 'bob')).chat.id
    const [a, b, c] = await Promise.all([groups.add(fromCustomer(open, 'still here')), groups.add(fromCustomer(ended, 'too late')), groups.add(fromAlice(bobs, 'not mine'))])
    t.ok(a.message)
    t.equal(b.message, undefined)
    t.equal(c.message, undefined)
    t.equal((await store.messagesBetween(s.knex, bobs, 0)).filter((m) => m.body === 'not mine').length, 0)
  })

  t.test('a resend fails alone, whether its original was stored before or goes in the same group', async (t) => {
    const chat = (await given.activeChat(s, 'alice')).chat.id
    const other = (await given.activeChat(s, 'alice')).chat.id
    await groups.add(fromCustomer(chat, 'the original', 'resend-0000000001'))
    const results = await Promise.allSettled([
      groups.add(fromCustomer(chat, 'the original', 'resend-0000000001')),
      groups.add(fromCustomer(other, 'first', 'resend-0000000002')),
      groups.add(fromCustomer(other, 'first', 'resend-0000000002')),
      groups.add(fromCustomer(other, 'second', 'resend-0000000003'))
    ])
    t.same(results.map((r) => r.status), ['rejected', 'fulfilled', 'rejected', 'fulfilled'])
    t.ok(results.every((r) => r.status === 'fulfilled' || isUniqueViolation(r.reason)), 'a resend fails on the unique client id')
    const stored = await store.messagesBetween(s.knex, other, 0)
    t.same(stored.filter((m) => m.client_msg_id !== null).map((m) => m.body), ['first', 'second'], 'each once, in order')
    t.same(stored.map((m) => Number(m.seq)), stored.map((_, i) => i + 1), 'no seq taken by a resend')
  })

  t.test('an agent\'s first answer to an offer says so; their next one in the same group does not', async (t) => {
    const chat = (await given.activeChat(s, 'alice')).chat.id
    await s.knex('lc_chats').where('id', chat).update({ auto_assigned: true, last_agent_message_at: null })
    const other = (await given.activeChat(s, 'alice')).chat.id
    const written = await Promise.all([groups.add(fromCustomer(other, 'hello')), groups.add(fromAlice(chat, 'hi')), groups.add(fromAlice(chat, 'how can I help'))])
    t.same(written.map((w) => w.offer), [false, true, false])
    t.equal(await sweepStore.awaitsAnswer(s.knex, chat, alice.id), false)
  })
})
