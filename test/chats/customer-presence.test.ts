import knexFactory, { type Knex } from 'knex'
import t from 'tap'
import { knexConfig } from '../../knexfile.ts'
import { createChatService, type ChatService } from '../../plugin/chats/service.ts'
import { runJob } from '../../plugin/jobs/scheduler.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { memoryBus } from '../../plugin/realtime/bus.ts'
import { createRoutingService } from '../../plugin/routing/service.ts'
import { statementCounter } from '../helpers/db.ts'
import { given, services, type Services } from '../helpers/given.ts'

/**
 * "Customer left" (docs/design.md §4): a customer whose chat window has been closed for the grace
 * period is shown as gone to the agent, the chat stays active, and coming back clears it.
 */

const grace = 120_000

t.test('customer presence', async (t) => {
  let now = Date.UTC(2026, 10, 21, 12, 0, 0)
  const clock = (): number => now
  const s = await services(t, { clock })
  const notes = async (chatId: number): Promise<string[]> => (await s.chats.messages(chatId)).filter((m) => m.kind === 'note').map((m) => m.body)
  const actions = async (chatId: number): Promise<string[]> => (await s.chats.history(chatId)).map((h) => h.action)
  const seenAt = async (chatId: number): Promise<number | null> => {
    const row = await s.knex('lc_chats').where('id', chatId).first('customer_seen_at')
    return row.customer_seen_at === null ? null : Number(row.customer_seen_at)
  }
  // The in-process bus hands events over on a later tick (setImmediate, in order).
  const delivered = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }
  const alice = await s.user('alice')
  const endAll = async (...chatIds: number[]): Promise<void> => {
    for (const id of chatIds) await s.chats.endChat(id, { kind: 'agent', id: alice.id, name: alice.name })
  }

  t.test('markCustomersGone: the customer is gone once the window has been closed for the grace period, not before; the chat stays active', async (t) => {
    const { chat } = await given.activeChat(s)
    await s.chats.customerSeen([chat.id])
    t.equal(await seenAt(chat.id), now, 'the window opening is recorded')
    now += 10_000
    await s.chats.customerSeen([chat.id], { leaving: true })
    t.equal(await seenAt(chat.id), now, 'and its closing')
    const closedAt = now

    now = closedAt + grace
    t.equal(await s.chats.markCustomersGone(grace), 0, 'not at the end of the grace period')
    t.equal((await s.chats.get(chat.id)).customerGoneAt, null)
    t.same(await notes(chat.id), [])

    now = closedAt + grace + 1
    await delivered()
    s.events.length = 0
    t.equal(await s.chats.markCustomersGone(grace), 1, 'just after it')
    await delivered()
    const gone = await s.chats.get(chat.id)
    t.equal(gone.customerGoneAt, now)
    t.equal(gone.status, 'active', 'the chat is not ended')
    t.equal(gone.agentId, alice.id, 'and stays with its agent')
    t.equal(gone.customerLeftAt, null, 'distinct from the customer pressing End chat')
    const [note] = (await s.chats.messages(chat.id)).filter((m) => m.kind === 'note')
    t.match(note, { kind: 'note', authorKind: 'system', authorName: 'Live chat', body: 'Customer left the chat window', seq: 3 })
    const history = (await s.chats.history(chat.id)).at(-1)
    t.match(history, { action: 'customer_gone', actor_name: 'Dana Doyle' })
    t.same(JSON.parse(history!.data!), { afterSeconds: 120 })
    t.same(s.events.map((e) => e.type), ['chat.message', 'chat.updated'], 'published after the commit: the note and the chat')
    t.match(s.events[1], { type: 'chat.updated', chat: { id: chat.id, customerGoneAt: now } })
    t.notOk((await s.chats.customerMessages(chat.id)).some((m) => m.kind === 'note'), 'the customer\'s side never has the note')

    now += 60_000
    t.equal(await s.chats.markCustomersGone(grace), 0, 'marked once')
    t.same(await notes(chat.id), ['Customer left the chat window'])
    await endAll(chat.id)
  })

  t.test('markCustomersGone: a customer who never opened the window counts from the start of the chat', async (t) => {
    const start = now
    const { chat } = await given.activeChat(s)
    t.equal(await seenAt(chat.id), null)
    now = start + grace
    t.equal(await s.chats.markCustomersGone(grace), 0)
    now = start + grace + 1
    t.equal(await s.chats.markCustomersGone(grace), 1)
    t.equal((await s.chats.get(chat.id)).customerGoneAt, now)
    await endAll(chat.id)
  })

  t.test('markCustomersGone: queued, ended and cancelled chats, and a customer who pressed End chat, are left alone', async (t) => {
    const customer = { kind: 'customer' as const, id: null, name: 'Dana Doyle' }
    const queued = await given.queuedChat(s)
    const ended = await given.activeChat(s)
    await endAll(ended.chat.id)
    const cancelled = await given.queuedChat(s)
    await s.chats.endChat(cancelled.chat.id, customer)
    const left = await given.activeChat(s)
    await s.chats.endChat(left.chat.id, customer)
    t.equal((await s.chats.get(left.chat.id)).customerLeftAt, now, 'End user has cancelled chat: active, with the agent')

    now += 10 * grace
    t.equal(await s.chats.markCustomersGone(grace), 0)
    for (const { chat } of [queued, ended, cancelled, left]) {
      t.equal((await s.chats.get(chat.id)).customerGoneAt, null, `chat ${chat.id} (${chat.status}) is not marked`)
      t.same(await notes(chat.id), [])
      t.notOk((await actions(chat.id)).includes('customer_gone'))
    }
    // A closed chat's window opening or closing changes nothing about it.
    await s.chats.customerSeen([ended.chat.id, cancelled.chat.id])
    await s.chats.customerSeen([ended.chat.id], { leaving: true })
    t.equal(await seenAt(ended.chat.id), null)
    t.equal(await seenAt(cancelled.chat.id), null)
    t.same(await notes(ended.chat.id), [])
    await endAll(left.chat.id)
    await s.chats.endChat(queued.chat.id, customer)
  })

  t.test('customerSeen: a customer who comes back clears the mark with "Customer is back", once; gone again after another grace period', async (t) => {
    const { chat } = await given.activeChat(s)
    now += grace + 1
    t.equal(await s.chats.markCustomersGone(grace), 1)

    // A late close of a window that was already gone (another instance's socket) keeps the mark.
    await s.chats.customerSeen([chat.id], { leaving: true })
    t.equal((await s.chats.get(chat.id)).customerGoneAt, now)
    t.same(await notes(chat.id), ['Customer left the chat window'])

    now += 5_000
    await delivered()
    s.events.length = 0
    await s.chats.customerSeen([chat.id])
    await delivered()
    const back = await s.chats.get(chat.id)
    t.equal(back.customerGoneAt, null, 'the mark is cleared')
    t.equal(await seenAt(chat.id), now)
    t.same(await notes(chat.id), ['Customer left the chat window', 'Customer is back'])
    t.match((await s.chats.messages(chat.id)).at(-1), { kind: 'note', authorKind: 'system', body: 'Customer is back' })
    t.match((await s.chats.history(chat.id)).at(-1), { action: 'customer_back', actor_name: 'Dana Doyle' })
    t.same(s.events.map((e) => e.type), ['chat.message', 'chat.updated'])
    t.match(s.events[1], { type: 'chat.updated', chat: { id: chat.id, customerGoneAt: null } })

    await s.chats.customerSeen([chat.id])
    await s.chats.customerSeen([chat.id], { staleAfterMs: 30_000 })
    t.same(await notes(chat.id), ['Customer left the chat window', 'Customer is back'], 'back once, however many windows say so')

    now += grace + 1
    t.equal(await s.chats.markCustomersGone(grace), 1, 'closed again: gone again')
    t.same(await notes(chat.id), ['Customer left the chat window', 'Customer is back', 'Customer left the chat window'])
    t.same((await actions(chat.id)).filter((a) => a.startsWith('customer_')), ['customer_gone', 'customer_back', 'customer_gone'])
    await endAll(chat.id)
  })

  t.test('customerSeen: thousands of windows at once are marked a slice at a time, each one, and a gone customer among them is back', async (t) => {
    // The liveness tick passes every open window of the instance (18,000 at the goal's size):
    // one statement over all of them held SQLite, and the event loop with it, in one piece.
    const first = await given.activeChat(s)
    const last = await given.activeChat(s)
    now += grace + 1
    t.equal(await s.chats.markCustomersGone(grace), 2)
    now += 1_000
    const absent = Array.from({ length: 1198 }, (_, i) => 900_000_000 + i)
    const { statements, start, stop } = statementCounter(s.knex)
    start()
    await s.chats.customerSeen([first.chat.id, ...absent, last.chat.id], { staleAfterMs: 30_000 })
    stop()
    const marks = statements.filter((sql) => /^update .lc_chats. set .customer_seen_at./i.test(sql))
    t.equal(marks.length, 3, '1,200 windows: three statements')
    t.ok(marks.every((sql) => (sql.match(/\?/g) ?? []).length <= 510), 'none over more than a slice of 500 chats')
    for (const { chat } of [first, last]) {
      t.equal(await seenAt(chat.id), now, `chat ${chat.id}, in the first and in the last slice, is marked`)
      t.same(await notes(chat.id), ['Customer left the chat window', 'Customer is back'])
    }
    await endAll(first.chat.id, last.chat.id)
  })

  t.test('customerSeen: an open window refreshes only when its mark is stale, and keeps the customer present', async (t) => {
    const { chat } = await given.activeChat(s)
    const opened = now
    await s.chats.customerSeen([chat.id])
    now += 10_000
    await s.chats.customerSeen([chat.id], { staleAfterMs: 30_000 })
    t.equal(await seenAt(chat.id), opened, 'a beat 10 s later writes nothing')
    now += 20_000
    await s.chats.customerSeen([chat.id], { staleAfterMs: 30_000 })
    t.equal(await seenAt(chat.id), now, 'one 30 s after the last write does')
    // Beats every 20 s for ten minutes, writing every 40 s: never gone.
    for (let i = 0; i < 30; i++) {
      now += 20_000
      await s.chats.customerSeen([chat.id], { staleAfterMs: 30_000 })
      t.equal(await s.chats.markCustomersGone(grace), 0)
    }
    t.same(await notes(chat.id), [])
    await endAll(chat.id)
  })

  t.test('two instances running the job at once mark each chat once', async (t) => {
    const other = await secondInstance(s, clock)
    t.teardown(other.close)
    const chats = [await given.activeChat(s), await given.activeChat(s), await given.activeChat(s)]
    now += grace + 1

    // Under the lease, as the scheduler runs it: one instance does the run.
    const leased = await Promise.all([
      runJob(s.knex, 'customer-gone', 'instance-a', async () => await s.chats.markCustomersGone(grace), clock),
      runJob(other.knex, 'customer-gone', 'instance-b', async () => await other.chats.markCustomersGone(grace), clock)
    ])
    t.equal(leased.reduce<number>((n, r) => n + (r ?? 0), 0), 3, 'three chats marked between them')
    for (const { chat } of chats) t.same(await notes(chat.id), ['Customer left the chat window'], `chat ${chat.id}: one note`)

    // Without the lease (one expired mid-run, say): the conditional UPDATE still marks once.
    for (const { chat } of chats) await s.chats.customerSeen([chat.id])
    now += grace + 1
    const raced = await Promise.all([s.chats.markCustomersGone(grace), other.chats.markCustomersGone(grace), s.chats.markCustomersGone(grace), other.chats.markCustomersGone(grace)])
    t.equal(raced.reduce((n, r) => n + r, 0), 3, `each chat marked by exactly one of four racing runs (${raced.join(', ')})`)
    for (const { chat } of chats) {
      t.same(await notes(chat.id), ['Customer left the chat window', 'Customer is back', 'Customer left the chat window'], `chat ${chat.id}`)
      t.equal((await actions(chat.id)).filter((a) => a === 'customer_gone').length, 2)
    }

    // Two windows coming back at once on two instances: one "Customer is back".
    now += 1_000
    await Promise.all([s.chats.customerSeen(chats.map((c) => c.chat.id)), other.chats.customerSeen(chats.map((c) => c.chat.id))])
    for (const { chat } of chats) {
      t.equal((await notes(chat.id)).filter((n) => n === 'Customer is back').length, 2, `chat ${chat.id}: back once more, not twice`)
      t.equal((await s.chats.get(chat.id)).customerGoneAt, null)
    }
    await endAll(...chats.map((c) => c.chat.id))
  })
})

/**
 * Another instance on the same database: its own services and bus, and on MariaDB its own
 * connection pool (an in-memory SQLite database has one connection, shared).
 */
async function secondInstance (s: Services, clock: () => number): Promise<{ knex: Knex, chats: ChatService, close: () => Promise<void> }> {
  let knex = s.knex
  if (s.dialect === 'mysql') {
    const [rows] = await s.knex.raw('select database() as db') as [Array<{ db: string }>]
    const url = new URL(process.env.DATABASE_URL!)
    url.pathname = `/${rows[0]!.db}`
    knex = knexFactory(knexConfig({ DATABASE_URL: url.href }))
  }
  const bus = memoryBus()
  const routing = createRoutingService({ db: knex, bus, settings: { heartbeatTimeoutSeconds: 60 }, clock })
  const chats = createChatService({ db: knex, bus, host: sqlHost(knex, loadManifest().host), routing, settings: { maxMessageLength: 10000 }, clock })
  return {
    knex,
    chats,
    close: async () => {
      await bus.close()
      if (knex !== s.knex) await knex.destroy()
    }
  }
}
