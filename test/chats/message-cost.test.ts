import t from 'tap'
import { getDialect, insertReturns } from '../../plugin/db/index.ts'
import { build } from '../helpers/build.ts'
import { statementCounter } from '../helpers/db.ts'
import { liveChat } from '../helpers/sockets.ts'

/**
 * What one message costs the database (docs/design.md §9): counted from knex's 'query'
 * events while a message goes over the real sockets, from the sender's frame to the other
 * side's copy and the sender's fresh reply box. A change that adds a statement to every
 * message fails here, not in a benchmark months later.
 */
t.test('message cost', async (t) => {
  const { app, url, knex } = await build(t, { listen: true })
  const { statements, start, stop, quiet } = statementCounter(knex)
  // The outbox reads which events the webhook endpoints want at most every 2 s, in the message's transaction.
  const ownStatements = (): string[] => statements.filter((sql) => !/lc_webhook_endpoints/.test(sql))
  const shape = (sql: string): string => {
    const s = sql.trim().toLowerCase()
    if (/^(begin|start transaction|savepoint)/.test(s)) return 'begin'
    if (/^(commit|release)/.test(s)) return 'commit'
    return `${s.split(/\s+/)[0]} ${/(?:update|into|from)\s+[`"]?(\w+)/.exec(s)?.[1] ?? '?'}`
  }

  const { chatId, agent, customer } = await liveChat(t, app, url)

  /** Sends one message from `from` and waits for the other side's copy and the sender's box; the statements it cost. */
  async function cost (from: 'customer' | 'agent', n: number): Promise<string[]> {
    const [sender, receiver] = from === 'customer' ? [customer, agent] : [agent, customer]
    const token = `cost-${from}-${n}-x`
    const boxes = sender.frames.length
    start()
    sender.send({ type: 'message', chat_id: String(chatId), body: token, client_msg_id: `cost-${from}-${String(n).padStart(6, '0')}` })
    await receiver.waitFor(new RegExp(token), 15_000)
    await sender.waitFor(new RegExp(token), 15_000)
    // The sender's fresh box is the last thing its handler sends.
    while (!sender.frames.slice(boxes).some((f) => f.includes(`lc-composer-${chatId}`))) await new Promise((resolve) => setTimeout(resolve, 5))
    stop()
    return ownStatements().map(shape)
  }

  /**
   * The statements of a message, measured up to three times: a presence tick or a socket's
   * start may land in one message's window, but a statement every message costs is in all three.
   */
  async function steadyCost (from: 'customer' | 'agent', n: number, expected: string[]): Promise<string[]> {
    let seen: string[] = []
    for (let attempt = 0; attempt < 3; attempt++) {
      seen = await cost(from, n * 10 + attempt)
      if (JSON.stringify(seen) === JSON.stringify(expected)) break
    }
    return seen
  }

  // On SQLite the message's words are marked due and written a moment later with others' (chats/due-words.ts).
  const words = getDialect(knex) === 'sqlite' ? 'insert lc_message_words_due' : 'insert lc_message_words'

  t.test('a customer message is begin, one UPDATE that takes the seq, the INSERT and its words (or their mark), commit', async (t) => {
    await cost('customer', 0)
    await quiet()
    for (let n = 1; n <= 5; n++) {
      const expected = ['begin', 'update lc_chats', 'insert lc_messages', words, 'commit']
      t.same(await steadyCost('customer', n, expected), expected, `message ${n}`)
    }
  })

  t.test('an agent message also reads whether it answers an offer (on SQLite inside its grouped transaction); a reply after the first answer moves no report fact', async (t) => {
    const read = ['select lc_chats']
    const five = ['begin', 'update lc_chats', 'insert lc_messages', words, 'commit']
    for (let n = 1; n <= 5; n++) {
      const expected = getDialect(knex) === 'sqlite' ? [five[0]!, ...read, ...five.slice(1)] : [...read, ...five]
      t.same(await steadyCost('agent', n, expected), expected, `message ${n}`)
    }
  })

  t.test('each fresh reply box carries a new client message id, the box otherwise the same', async (t) => {
    const framed = customer.frames.filter((f) => f.includes(`hx-target="#lc-composer-${chatId}"`))
    t.ok(framed.length >= 6, 'a box after every customer message')
    // The box rides in the frame of the sender's own copy of the message: one frame, one write.
    t.ok(framed.every((f) => f.startsWith(`<hx-partial hx-target="#lc-messages-${chatId}" hx-swap="beforeend">`)), 'each in the frame of its message')
    const boxes = framed.map((f) => f.slice(f.indexOf(`<hx-partial hx-target="#lc-composer-${chatId}"`)))
    const ids = boxes.map((f) => /name="client_msg_id" value="([^"]+)"/.exec(f)?.[1])
    t.equal(new Set(ids).size, ids.length, 'no client id is handed out twice')
    t.ok(ids.every((id) => id !== undefined && /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)), 'every id is a fresh random one')
    t.equal(new Set(boxes.map((f, i) => f.replace(ids[i]!, ''))).size, 1)
  })

  t.test('the seq the UPDATE hands back is the stored one: gapless, and last_seq agrees', async (t) => {
    const rows = await knex('lc_messages').where('chat_id', chatId).orderBy('seq').select('seq')
    const seqs = rows.map((r: { seq: number | string }) => Number(r.seq))
    t.same(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1))
    const chat = await knex('lc_chats').where('id', chatId).first('last_seq', 'message_count', 'agent_read_seq')
    t.equal(Number(chat.last_seq), seqs.length)
    t.equal(Number(chat.message_count), seqs.length)
    // The agent wrote last: they have read what they answered (agent_read_seq moves with the same UPDATE).
    t.equal(Number(chat.agent_read_seq), seqs.length)
  })

  t.test('messages sent together share one transaction: on MySQL/MariaDB the chat is locked once, one UPDATE, one INSERT of the messages (handing their ids back on MariaDB) and one of their words', async (t) => {
    const together = 4
    // MySQL reads the new ids back; MariaDB 10.5+ has them from the INSERT's RETURNING.
    const idsRead = await insertReturns(knex) ? [] : ['select lc_messages']
    const grouped = getDialect(knex) === 'mysql'
      ? ['begin', 'select lc_chats', 'update lc_chats', 'insert lc_messages', ...idsRead, 'insert lc_message_words', 'commit']
      : ['begin', ...Array.from({ length: together }, () => ['begin', 'update lc_chats', 'insert lc_messages', words, 'commit']).flat(), 'commit']
    let seen: string[] = []
    // Up to three tries: the frames must reach the server in one turn of its event loop to go together.
    for (let attempt = 0; attempt < 3 && JSON.stringify(seen) !== JSON.stringify(grouped); attempt++) {
      const tokens = Array.from({ length: together }, (_, i) => `together-${attempt}-${i}-x`)
      const boxes = customer.frames.filter((f) => f.includes(`lc-composer-${chatId}`)).length
      start()
      tokens.forEach((token, i) => { customer.send({ type: 'message', chat_id: String(chatId), body: token, client_msg_id: `together-${attempt}-${String(i).padStart(6, '0')}` }) })
      for (const token of tokens) await agent.waitFor(new RegExp(token), 15_000)
      while (customer.frames.filter((f) => f.includes(`lc-composer-${chatId}`)).length < boxes + together) await new Promise((resolve) => setTimeout(resolve, 5))
      stop()
      seen = ownStatements().map(shape)
    }
    t.same(seen, grouped)
    const order = agent.frames.join('').match(/together-\d+-\d+-x/g) ?? []
    t.same(order.filter((token) => token.startsWith(order.at(-1)!.replace(/-\d+-x$/, ''))), Array.from({ length: together }, (_, i) => order.at(-1)!.replace(/-\d+-x$/, `-${i}-x`)), 'in the order sent')
  })
})
