import t from 'tap'
import { statementCounter } from '../helpers/db.ts'
import { services } from '../helpers/given.ts'

/**
 * Chats started together (docs/design.md §9, "What a burst of chats costs"): starts that
 * arrive while others are written share one transaction of the same few statements, and
 * each chat is what a start alone makes. On whatever database DATABASE_URL selects.
 */

const customer = (i: number) => ({ name: `Customer ${i}`, email: `customer${i}@customer.example`, question: `Question ${i} about printers`, customer: null })

t.test('chats started together', async (t) => {
  const s = await services(t)
  const groupId = await s.groupId('Support L1')
  const counter = statementCounter(s.knex)

  t.test('a start alone is one transaction of seven statements, then one read', async (t) => {
    counter.start()
    await s.chats.startChat({ ...customer(0), groupId })
    counter.stop()
    const begins = counter.statements.filter((sql) => /^\s*begin/i.test(sql))
    t.equal(begins.length, 1)
    // begin, the chat, its question, the question's words, History, facts, commit; the read of the chat to answer with.
    const own = counter.statements.filter((sql) => !/lc_groups|lc_departments|lc_webhook_endpoints/.test(sql))
    t.equal(own.length, 8, own.join('\n'))
  })

  t.test('twenty starts at once share one transaction of the same statements, and each chat is whole', async (t) => {
    counter.start()
    const started = await Promise.all(Array.from({ length: 20 }, async (_, i) => await s.chats.startChat({ ...customer(i + 1), groupId })))
    counter.stop()
    const begins = counter.statements.filter((sql) => /^\s*begin/i.test(sql))
    t.equal(begins.length, 1, 'one transaction')
    const inserts = counter.statements.filter((sql) => /^\s*insert/i.test(sql))
    t.equal(inserts.length, 5, 'one INSERT each for the chats, the questions, their words, History and facts')
    const reads = counter.statements.filter((sql) => /^\s*select \* from `?lc_chats`?/i.test(sql))
    t.equal(reads.length, 1, 'the chats read back once to answer with')
    t.ok(counter.statements.length <= 11, `${counter.statements.length} statements for 20 chats`)

    const ids = started.map(({ chat }) => chat.id)
    t.equal(new Set(ids).size, 20, 'twenty chats')
    for (const [i, { chat, token }] of started.entries()) {
      t.match(chat, { customerName: `Customer ${i + 1}`, status: 'queued', groupId, lastSeq: 1 }, 'each caller gets its own chat')
      t.equal((await s.chats.chatForCustomer(chat.id, token, null)).id, chat.id, 'and its own token')
    }
    const messages = await s.knex('lc_messages').select('chat_id', 'seq', 'body').whereIn('chat_id', ids)
    t.same(new Map(messages.map((m: Record<string, unknown>) => [Number(m.chat_id), [Number(m.seq), m.body]])),
      new Map(started.map(({ chat }, i) => [chat.id, [1, `Question ${i + 1} about printers`]])), 'the question is message 1 of its own chat')
    const history = await s.knex('lc_chat_history').select('chat_id').whereIn('chat_id', ids).andWhere('action', 'started')
    t.equal(history.length, 20, 'a History row each')
    const facts = await s.knex('lc_chat_facts').select('chat_id', 'group_id').whereIn('chat_id', ids)
    t.same(facts.map((f: Record<string, unknown>) => Number(f.group_id)), ids.map(() => groupId), 'a facts row each, in its group')
    const words = await s.knex('lc_message_words').countDistinct({ n: 'chat_id' }).whereIn('chat_id', ids).andWhere('word', 'printers').first()
    t.equal(Number(words?.n), 20, 'each question searchable by its words')
    // The in-process bus hands events on at a later turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve))
    const queued = s.events.filter((e) => e.type === 'queue.changed' && e.chatId !== undefined && ids.includes(e.chatId))
    t.equal(queued.length, 20, 'each chat announced on the bus')
  })

  t.test('a start the database refuses fails alone; the others of its group are written', { skip: s.dialect === 'sqlite' && 'SQLite keeps a name of any length' }, async (t) => {
    const results = await Promise.allSettled([
      s.chats.startChat({ ...customer(30), groupId }),
      s.chats.startChat({ ...customer(31), name: 'x'.repeat(500), groupId }),
      s.chats.startChat({ ...customer(32), groupId })
    ])
    t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled'])
    const names = await s.knex('lc_chats').pluck('customer_name').whereIn('customer_email', ['customer30@customer.example', 'customer31@customer.example', 'customer32@customer.example']).orderBy('id')
    t.same(names, ['Customer 30', 'Customer 32'])
  })
})
