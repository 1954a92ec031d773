import t from 'tap'
import type { WebSocket } from 'ws'
import { customerSees } from '../../plugin/chats/rules.ts'
import type { Message, MessageKind } from '../../plugin/chats/types.ts'
import type { ImMessage } from '../../plugin/im/types.ts'
import { memoryBus } from '../../plugin/realtime/bus.ts'
import type { BusEvent } from '../../plugin/realtime/bus-events.ts'
import { type Client, createHub, type Hub } from '../../plugin/realtime/hub.ts'

// The hub on its own (docs/design.md §6): a real in-process bus, sockets that record what
// they are sent, and messages served from arrays where the plugin reads its database. What
// it stores is not involved: its rules are about what each socket is sent, and when.

/** What the hub uses of a ws socket, keeping what it was sent and how it was closed. */
interface FakeSocket {
  readyState: number
  bufferedAmount: number
  sent: string[]
  closes: Array<{ code: number, reason: string }>
  send: (data: string) => void
  close: (code: number, reason: string) => void
}

function fakeSocket (bufferedAmount = 0): FakeSocket {
  const socket: FakeSocket = {
    readyState: 1,
    bufferedAmount,
    sent: [],
    closes: [],
    send (data) { socket.sent.push(data) },
    // As ws does: a socket being closed is CLOSING (2) at once.
    close (code, reason) { socket.closes.push({ code, reason }); socket.readyState = 2 }
  }
  return socket
}

interface Open { client: Client, socket: FakeSocket }

function open (kind: 'agent' | 'customer' = 'agent', opts: { chatId?: number, topics?: string[], bufferedAmount?: number } = {}): Open {
  const socket = fakeSocket(opts.bufferedAmount)
  const client: Client = {
    socket: socket as unknown as WebSocket,
    kind,
    userId: kind === 'agent' ? '7' : null,
    chatId: kind === 'customer' ? opts.chatId ?? 1 : null,
    topics: new Set(opts.topics ?? []),
    seqs: new Map(),
    streams: new Map(),
    chain: Promise.resolve()
  }
  return { client, socket }
}

/** The seq numbers in each frame a socket was sent (messages render as data-seq attributes). */
function framesOf (socket: FakeSocket): number[][] {
  return socket.sent.map((frame) => [...frame.matchAll(/data-seq="(\d+)"/g)].map((m) => Number(m[1])))
}

function message (chatId: number, seq: number, kind: MessageKind = 'text'): Message {
  return { id: chatId * 1000 + seq, chatId, seq, kind, authorKind: 'agent', authorId: '7', authorName: 'Alice Adams', body: `m${seq}`, clientMsgId: null, createdAt: seq }
}

function imMessage (conversationId: number, seq: number): ImMessage {
  return { conversationId, seq, authorId: '7', authorName: 'Alice Adams', kind: 'text', body: `i${seq}`, clientMsgId: null, createdAt: seq }
}

/** A read that waits until the test lets it answer; `slow` rigs make every read one. */
interface PendingRead { what: string, afterSeq: number, upToSeq: number | undefined, release: () => void }

/**
 * A hub over a memory bus. Chat messages and stream messages are served from `rows` and
 * `imRows` as the database would (`store` puts one there as committed; `post` also publishes
 * it, as a service does after its commit). Every read is logged in `reads`.
 */
function rig (t: { teardown: (fn: () => unknown) => void }, opts: { maxBufferedBytes?: number } = {}) {
  const bus = memoryBus()
  t.teardown(async () => { await bus.close() })
  const rows: Message[] = []
  const imRows: ImMessage[] = []
  const reads: Array<[string, number, number | undefined]> = []
  const pending: PendingRead[] = []
  const errors: Array<{ obj: Record<string, unknown>, msg: string }> = []
  const state = { slow: false, renders: 0 }

  async function read<M extends { seq: number }> (what: string, all: M[], afterSeq: number, upToSeq: number | undefined): Promise<M[]> {
    reads.push([what, afterSeq, upToSeq])
    if (state.slow) await new Promise<void>((resolve) => { pending.push({ what, afterSeq, upToSeq, release: resolve }) })
    return all.filter((m) => m.seq > afterSeq && (upToSeq === undefined || m.seq <= upToSeq)).sort((a, b) => a.seq - b.seq)
  }

  const hub = createHub({
    bus,
    messagesBetween: async (chatId, afterSeq, upToSeq) => await read(`chat:${chatId}`, rows.filter((m) => m.chatId === chatId), afterSeq, upToSeq),
    renderMessages: (messages) => {
      state.renders++
      return messages.map((m) => `<p data-seq="${m.seq}">${m.body}</p>`).join('')
    },
    customerSees,
    log: {
      warn: (obj, msg) => { errors.push({ obj: obj as Record<string, unknown>, msg }) },
      error: (obj, msg) => { errors.push({ obj: obj as Record<string, unknown>, msg }) }
    },
    maxBufferedBytes: opts.maxBufferedBytes
  })
  for (const prefix of ['im', 'room']) {
    hub.registerStream<ImMessage>(prefix, {
      between: async (id, afterSeq, upToSeq) => await read(`${prefix}:${id}`, imRows.filter((m) => m.conversationId === id), afterSeq, upToSeq),
      render: (id, messages) => `<ol data-${prefix}="${id}">${messages.map((m) => `<li data-seq="${m.seq}">${m.body}</li>`).join('')}</ol>`
    })
  }

  return {
    bus,
    hub,
    rows,
    imRows,
    reads,
    pending,
    errors,
    state,
    store (...messages: Message[]): void { rows.push(...messages) },
    async post (m: Message): Promise<void> {
      rows.push(m)
      await bus.publish({ type: 'chat.message', chatId: m.chatId, message: m })
    },
    async publish (event: BusEvent): Promise<void> { await bus.publish(event) }
  }
}

const tick = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

/** Waits until the bus has handed out what was published and every queued send is done. */
async function settle (...clients: Client[]): Promise<void> {
  for (;;) {
    await tick()
    const chains = clients.map((c) => c.chain)
    await Promise.all(chains)
    await tick()
    if (clients.every((c, i) => c.chain === chains[i])) return
  }
}

/** Waits (a bounded number of turns) for a condition that pending reads being released make true. */
async function until (what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (done()) return
    await tick()
  }
  throw new Error(`never happened: ${what}`)
}

t.test('hub: chat messages', async (t) => {
  t.test('each socket following the chat gets each message once, in seq order, rendered once for all', async (t) => {
    const r = rig(t)
    const agent = open('agent')
    const customer = open('customer', { chatId: 1 })
    const elsewhere = open('agent')
    r.hub.followChat(agent.client, 1, 0)
    r.hub.followChat(customer.client, 1, 0)
    r.hub.followChat(elsewhere.client, 2, 0)
    for (const seq of [1, 2, 3]) await r.post(message(1, seq))
    await settle(agent.client, customer.client, elsewhere.client)
    t.strictSame(framesOf(agent.socket), [[1], [2], [3]])
    t.strictSame(framesOf(customer.socket), [[1], [2], [3]])
    t.strictSame(elsewhere.socket.sent, [], 'a socket following another chat gets none of it')
    t.match(agent.socket.sent[0], /^<hx-partial hx-target="#lc-messages-1" hx-swap="beforeend"><p data-seq="1">m1<\/p><\/hx-partial>$/)
    t.equal(r.state.renders, 3, 'one render per message, shared by the sockets that were up to date')
    t.strictSame(r.reads, [], 'nothing was read: no socket had a gap')
    t.equal(agent.client.seqs.get(1), 3)
    t.equal(customer.client.seqs.get(1), 3)
  })

  t.test('gap: a message arriving ahead of a gap is preceded by the missing ones, read up to its seq', async (t) => {
    const r = rig(t)
    const agent = open('agent')
    r.hub.followChat(agent.client, 1, 0)
    r.store(message(1, 1), message(1, 2))
    await r.post(message(1, 3))
    await settle(agent.client)
    t.strictSame(framesOf(agent.socket), [[1, 2, 3]], 'the gap and the message in one frame')
    t.strictSame(r.reads, [['chat:1', 0, 3]])
    t.equal(agent.client.seqs.get(1), 3)

    // Messages 5 and 6 are committed, but only 5's event has come: the read stops at 5, and 6 follows on its own event.
    r.store(message(1, 4), message(1, 6))
    r.rows.push(message(1, 5))
    await r.bus.publish({ type: 'chat.message', chatId: 1, message: message(1, 5) })
    await settle(agent.client)
    t.strictSame(r.reads, [['chat:1', 0, 3], ['chat:1', 3, 5]])
    t.strictSame(framesOf(agent.socket), [[1, 2, 3], [4, 5]])
    await r.bus.publish({ type: 'chat.message', chatId: 1, message: message(1, 6) })
    await settle(agent.client)
    t.strictSame(framesOf(agent.socket), [[1, 2, 3], [4, 5], [6]])
    t.equal(r.reads.length, 2, 'the next message in line needs no read')
  })

  t.test('held: a message at or below the seq the socket holds is not sent again', async (t) => {
    const r = rig(t)
    const agent = open('agent')
    r.store(...[1, 2, 3, 4, 5].map((seq) => message(1, seq)))
    r.hub.followChat(agent.client, 1, 5)
    await r.bus.publish({ type: 'chat.message', chatId: 1, message: message(1, 4) })
    await r.bus.publish({ type: 'chat.message', chatId: 1, message: message(1, 5) })
    await settle(agent.client)
    t.strictSame(agent.socket.sent, [])
    await r.post(message(1, 6))
    await r.bus.publish({ type: 'chat.message', chatId: 1, message: message(1, 6) })
    await settle(agent.client)
    t.strictSame(framesOf(agent.socket), [[6]], 'the repeated event is not sent twice')
    t.strictSame(r.reads, [])
  })

  t.test('followChat: following a chat already followed keeps the seq the socket holds', async (t) => {
    const r = rig(t)
    const agent = open('agent')
    r.hub.followChat(agent.client, 1, 4)
    r.hub.followChat(agent.client, 1, 0)
    t.equal(agent.client.seqs.get(1), 4)
    t.strictSame(r.hub.clients('chat:1'), [agent.client])
  })

  t.test('catchUp: after a reconnect the socket gets only what comes after the seq it holds', async (t) => {
    const r = rig(t)
    const back = open('customer', { chatId: 1 })
    r.store(...[1, 2, 3, 4, 5, 6].map((seq) => message(1, seq)))
    r.hub.followChat(back.client, 1, 3)
    await r.hub.catchUp(back.client, 1)
    t.strictSame(framesOf(back.socket), [[4, 5, 6]])
    t.strictSame(r.reads, [['chat:1', 3, undefined]])
    t.equal(back.client.seqs.get(1), 6)

    await r.hub.catchUp(back.client, 1)
    t.equal(back.socket.sent.length, 1, 'nothing new: no frame, not even an empty one')
    await r.post(message(1, 7))
    await settle(back.client)
    t.strictSame(framesOf(back.socket), [[4, 5, 6], [7]])

    await r.hub.catchUp(back.client, 2)
    t.equal(r.reads.length, 2, 'a chat the socket does not follow is not read')
    t.equal(back.socket.sent.length, 2)
  })

  t.test('agent-only kinds: a customer socket skips coaching and notes, and its seq still moves on', async (t) => {
    const r = rig(t)
    const agent = open('agent')
    const customer = open('customer', { chatId: 1 })
    r.hub.followChat(agent.client, 1, 0)
    r.hub.followChat(customer.client, 1, 0)
    await r.post(message(1, 1))
    await r.post(message(1, 2, 'coaching'))
    await r.post(message(1, 3, 'note'))
    await r.post(message(1, 4))
    await settle(agent.client, customer.client)
    t.strictSame(framesOf(agent.socket), [[1], [2], [3], [4]])
    t.strictSame(framesOf(customer.socket), [[1], [4]])
    t.equal(customer.client.seqs.get(1), 4)
    t.strictSame(r.reads, [], 'a skipped message is not a gap: nothing is read for it')

    // A gap holding coaching: the customer gets the rest of it.
    r.store(message(1, 5, 'coaching'), message(1, 6))
    await r.post(message(1, 7))
    await settle(agent.client, customer.client)
    t.strictSame(framesOf(customer.socket), [[1], [4], [6, 7]])
    t.strictSame(framesOf(agent.socket), [[1], [2], [3], [4], [5, 6, 7]])

    // A resume that finds only coaching sends nothing but moves the seq on, so the next message needs no read.
    r.store(message(1, 8, 'coaching'))
    await r.hub.catchUp(customer.client, 1)
    t.equal(customer.socket.sent.length, 3)
    t.equal(customer.client.seqs.get(1), 8)
    const reads = r.reads.length
    await r.post(message(1, 9))
    await settle(agent.client, customer.client)
    t.strictSame(framesOf(customer.socket), [[1], [4], [6, 7], [9]])
    t.equal(r.reads.length, reads + 1, 'only the agent, who had not had 8, read it')
    t.strictSame(r.reads.at(-1), ['chat:1', 7, 9])
  })

  t.test('slow reads: sends to one socket stay in order while another socket\'s reads answer first', async (t) => {
    const r = rig(t)
    r.state.slow = true
    const first = open('agent')
    const second = open('agent')
    r.hub.followChat(first.client, 1, 0)
    r.hub.followChat(second.client, 1, 1)
    r.store(message(1, 1), message(1, 2))
    await r.post(message(1, 3))
    await r.post(message(1, 4))
    r.store(message(1, 5))
    await r.post(message(1, 6))
    await until('both sockets read their first gap', () => r.pending.length === 2)
    await tick()
    // Queued once the bus has handed out 3, 4 and 6: it goes out after them.
    void r.hub.send(first.client, '<p id="after-6"></p>')
    t.strictSame(r.pending.map((p) => [p.afterSeq, p.upToSeq]), [[0, 3], [1, 3]], 'one read at a time per socket')
    t.strictSame(first.socket.sent, [], 'nothing overtakes the read')

    // The second socket's reads answer before the first's, which was asked earlier.
    const [firstRead, secondRead] = r.pending.splice(0)
    secondRead!.release()
    await until('the second socket read its next gap', () => r.pending.length === 1)
    t.strictSame(framesOf(second.socket), [[2, 3], [4]])
    t.strictSame([r.pending[0]!.afterSeq, r.pending[0]!.upToSeq], [4, 6])
    r.pending.splice(0)[0]!.release()
    await until('the second socket is sent 5 and 6', () => second.socket.sent.length === 3)
    t.strictSame(first.socket.sent, [], 'the first socket still waits on its read')

    firstRead!.release()
    await until('the first socket read its next gap', () => r.pending.length === 1)
    t.strictSame(framesOf(first.socket), [[1, 2, 3], [4]])
    r.pending.splice(0)[0]!.release()
    await settle(first.client, second.client)
    t.strictSame(framesOf(first.socket), [[1, 2, 3], [4], [5, 6], []])
    t.equal(first.socket.sent[3], '<p id="after-6"></p>', 'what was queued after 6 comes after 6')
    t.strictSame(framesOf(second.socket), [[2, 3], [4], [5, 6]])
  })

  t.test('agent.chats: an agent\'s sockets follow a chat they are given from its fromSeq', async (t) => {
    const r = rig(t)
    const agent = open('agent', { topics: ['agent:7'] })
    r.hub.attach(agent.client)
    await r.publish({ type: 'agent.chats', agentId: '7', chatId: 5, fromSeq: 2 })
    await r.publish({ type: 'agent.chats', agentId: '7', chatId: 6 })
    await settle(agent.client)
    t.equal(agent.client.seqs.get(5), 2)
    t.notOk(agent.client.seqs.has(6), 'no fromSeq: the chat is not followed')
    t.strictSame(r.hub.clients('chat:5'), [agent.client])
    t.strictSame(r.hub.clients('chat:6'), [])
    await r.post(message(5, 3))
    await settle(agent.client)
    t.strictSame(framesOf(agent.socket), [[3]])
  })
})

t.test('hub: sendWith', async (t) => {
  t.test('HTML given before its message reaches the socket goes out in the message\'s frame, after it', async (t) => {
    const r = rig(t)
    const sender = open('customer', { chatId: 1 })
    const other = open('agent')
    r.hub.followChat(sender.client, 1, 0)
    r.hub.followChat(other.client, 1, 0)
    await r.hub.sendWith(sender.client, 1, 1, '<b id="box">fresh</b>')
    t.strictSame(sender.socket.sent, [], 'it waits for the message')
    await r.post(message(1, 1))
    await settle(sender.client, other.client)
    t.strictSame(sender.socket.sent, ['<hx-partial hx-target="#lc-messages-1" hx-swap="beforeend"><p data-seq="1">m1</p></hx-partial><b id="box">fresh</b>'])
    t.strictSame(framesOf(other.socket), [[1]], 'another socket gets the message alone')
  })

  t.test('it rides with the frame that fills a gap up to its seq, and goes at once when the socket has the message', async (t) => {
    const r = rig(t)
    const sender = open('agent')
    r.hub.followChat(sender.client, 1, 0)
    await r.hub.sendWith(sender.client, 1, 2, '<b>two</b>')
    r.store(message(1, 1))
    await r.post(message(1, 2))
    await settle(sender.client)
    t.strictSame(framesOf(sender.socket), [[1, 2]])
    t.match(sender.socket.sent[0], /<\/hx-partial><b>two<\/b>$/)
    await r.hub.sendWith(sender.client, 1, 2, '<b>again</b>')
    t.strictSame(sender.socket.sent.at(-1), '<b>again</b>', 'a seq the socket holds: sent at once')
    await r.hub.sendWith(sender.client, 9, 1, '<b>unfollowed</b>')
    t.strictSame(sender.socket.sent.at(-1), '<b>unfollowed</b>', 'a chat the socket does not follow: sent at once')
  })

  t.test('what waits for a message that does not come goes alone, in order, and nothing goes twice', async (t) => {
    const r = rig(t)
    const sender = open('customer', { chatId: 1 })
    r.hub.followChat(sender.client, 1, 0)
    await r.hub.sendWith(sender.client, 1, 1, '<b>1</b>')
    await r.hub.sendWith(sender.client, 1, 2, '<b>2</b>')
    await new Promise((resolve) => setTimeout(resolve, 800))
    t.strictSame(sender.socket.sent, [], 'still waiting before the second is up')
    // A busy machine may run the sweep late; what matters is that it runs, once, in order.
    for (let waited = 0; sender.socket.sent.length === 0 && waited < 5000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await settle(sender.client)
    t.strictSame(sender.socket.sent, ['<b>1</b><b>2</b>'])
    await r.post(message(1, 1))
    await r.post(message(1, 2))
    await settle(sender.client)
    t.strictSame(framesOf(sender.socket).slice(1), [[1], [2]], 'the messages come later, alone')
  })
})

t.test('hub: backpressure', async (t) => {
  t.test('a socket holding more than maxBufferedBytes is closed with 1013 and sent nothing more', async (t) => {
    const r = rig(t, { maxBufferedBytes: 100 })
    const behind = open('agent', { bufferedAmount: 101 })
    const atLimit = open('agent', { bufferedAmount: 100 })
    r.hub.followChat(behind.client, 1, 0)
    r.hub.followChat(atLimit.client, 1, 0)
    await r.post(message(1, 1))
    await r.post(message(1, 2))
    void r.hub.send(behind.client, '<p>notice</p>')
    await settle(behind.client, atLimit.client)
    t.strictSame(behind.socket.sent, [])
    t.strictSame(behind.socket.closes, [{ code: 1013, reason: 'Too far behind; reconnect' }])
    t.strictSame(framesOf(atLimit.socket), [[1], [2]], 'at the limit is not over it')
    t.strictSame(atLimit.socket.closes, [])
  })

  t.test('the limit is 1 MiB unless told', async (t) => {
    const r = rig(t)
    const under = open('agent', { bufferedAmount: 1 << 20 })
    const over = open('agent', { bufferedAmount: (1 << 20) + 1 })
    for (const o of [under, over]) void r.hub.send(o.client, '<p>x</p>')
    await settle(under.client, over.client)
    t.strictSame(under.socket.sent, ['<p>x</p>'])
    t.strictSame(over.socket.sent, [])
    t.equal(over.socket.closes[0]?.code, 1013)
  })

  t.test('a socket that is not open is sent nothing and not closed again', async (t) => {
    const r = rig(t)
    const closing = open('agent')
    closing.socket.readyState = 2
    r.hub.followChat(closing.client, 1, 0)
    await r.post(message(1, 1))
    await settle(closing.client)
    t.strictSame(closing.socket.sent, [])
    t.strictSame(closing.socket.closes, [])
    t.equal(closing.client.seqs.get(1), 1, 'it resumes by seq when it reconnects')
  })
})

t.test('hub: streams', async (t) => {
  t.test('deliverStream: exactly once, in order, gaps read from the stream\'s source', async (t) => {
    const r = rig(t)
    const a = open('agent')
    r.hub.followStream(a.client, 'im:7', 0)
    t.strictSame(r.hub.clients('im:7'), [a.client])
    r.imRows.push(imMessage(7, 1))
    r.hub.deliverStream('im:7', imMessage(7, 1))
    await settle(a.client)
    t.strictSame(a.socket.sent, ['<ol data-im="7"><li data-seq="1">i1</li></ol>'], 'the source renders its own envelope')

    r.imRows.push(imMessage(7, 2), imMessage(7, 3))
    r.hub.deliverStream('im:7', imMessage(7, 3))
    await settle(a.client)
    t.strictSame(framesOf(a.socket), [[1], [2, 3]])
    t.strictSame(r.reads, [['im:7', 1, 3]])

    r.hub.deliverStream('im:7', imMessage(7, 2))
    r.hub.deliverStream('im:7', imMessage(7, 3))
    await settle(a.client)
    t.equal(a.socket.sent.length, 2, 'what the socket holds is not sent again')

    r.hub.followStream(a.client, 'im:7', 0)
    t.equal(a.client.streams.get('im:7'), 3, 'following again keeps the seq it holds')
  })

  t.test('catchUpStream: a socket following again from its seq gets only what came after', async (t) => {
    const r = rig(t)
    r.imRows.push(imMessage(7, 1), imMessage(7, 2), imMessage(7, 3))
    const back = open('agent')
    r.hub.followStream(back.client, 'im:7', 1)
    await r.hub.catchUpStream(back.client, 'im:7')
    t.strictSame(framesOf(back.socket), [[2, 3]])
    t.strictSame(r.reads, [['im:7', 1, undefined]])
    await r.hub.catchUpStream(back.client, 'im:7')
    t.equal(back.socket.sent.length, 1)
  })

  t.test('im.message: a thread\'s message goes to its im: stream, a room\'s to its room: stream', async (t) => {
    const r = rig(t)
    const thread = open('agent')
    const room = open('agent')
    r.hub.followStream(thread.client, 'im:9', 0)
    r.hub.followStream(room.client, 'room:9', 0)
    r.imRows.push(imMessage(9, 1))
    await r.publish({ type: 'im.message', conversationId: 9, kind: 'thread', message: imMessage(9, 1), recipients: [] })
    await settle(thread.client, room.client)
    t.strictSame(thread.socket.sent, ['<ol data-im="9"><li data-seq="1">i1</li></ol>'])
    t.strictSame(room.socket.sent, [])
    await r.publish({ type: 'im.message', conversationId: 9, kind: 'room', message: imMessage(9, 1), recipients: [] })
    await settle(thread.client, room.client)
    t.strictSame(room.socket.sent, ['<ol data-room="9"><li data-seq="1">i1</li></ol>'])
    t.equal(thread.socket.sent.length, 1)
  })

  t.test('a key of no registered stream is ignored', async (t) => {
    const r = rig(t)
    const a = open('agent')
    r.hub.followStream(a.client, 'nope:7', 0)
    r.hub.followStream(a.client, 'im:x', 0)
    r.hub.deliverStream('nope:7', { seq: 1 })
    r.hub.deliverStream('im:x', { seq: 1 })
    await r.hub.catchUpStream(a.client, 'nope:7')
    await r.hub.catchUpStream(a.client, 'im:x')
    await settle(a.client)
    t.strictSame(a.socket.sent, [])
    t.strictSame(r.reads, [])
  })

  t.test('unfollowStream: nothing more is sent, deliveries already queued included', async (t) => {
    const r = rig(t)
    r.state.slow = true
    const a = open('agent')
    r.hub.followStream(a.client, 'im:8', 0)
    r.imRows.push(imMessage(8, 1), imMessage(8, 2), imMessage(8, 3))
    r.hub.deliverStream('im:8', imMessage(8, 2))
    r.hub.deliverStream('im:8', imMessage(8, 3))
    await until('the gap is being read', () => r.pending.length === 1)
    r.hub.unfollowStream(a.client, 'im:8')
    t.strictSame(r.hub.clients('im:8'), [])
    t.notOk(a.client.topics.has('im:8'))
    r.pending.splice(0)[0]!.release()
    await settle(a.client)
    t.strictSame(a.socket.sent, [], 'neither the gap read before unfollowing nor the queued message is sent')
    t.notOk(a.client.streams.has('im:8'))
    r.hub.deliverStream('im:8', imMessage(8, 4))
    await settle(a.client)
    t.strictSame(a.socket.sent, [])
    t.equal(r.reads.length, 1)
  })

  t.test('unfollowStream then followStream while a gap is read: nothing at or below the new fromSeq is sent', async (t) => {
    const r = rig(t)
    r.state.slow = true
    const a = open('agent')
    r.hub.followStream(a.client, 'room:5', 0)
    r.imRows.push(...[1, 2, 3, 4, 5].map((seq) => imMessage(5, seq)))
    r.hub.deliverStream('room:5', imMessage(5, 3))
    await until('the gap is being read', () => r.pending.length === 1)
    // The room's access is taken away and given back while the read is out; the page
    // follows again from what it now shows (up to 5).
    r.hub.unfollowStream(a.client, 'room:5')
    r.hub.followStream(a.client, 'room:5', 5)
    r.pending.splice(0)[0]!.release()
    await settle(a.client)
    t.strictSame(framesOf(a.socket), [], 'the page already shows 1 to 5')
    t.equal(a.client.streams.get('room:5'), 5, 'the seq it holds does not go back')
    r.state.slow = false
    r.imRows.push(imMessage(5, 6))
    r.hub.deliverStream('room:5', imMessage(5, 6))
    await settle(a.client)
    t.strictSame(framesOf(a.socket).flat(), [6], 'each message once')
  })
})

t.test('hub: topics', async (t) => {
  t.test('subscribe and unsubscribe: clients lists the sockets of a topic, each once', async (t) => {
    const { hub } = rig(t)
    const a = open('agent')
    const b = open('agent')
    hub.subscribe(a.client, 'queue')
    hub.subscribe(a.client, 'queue')
    hub.subscribe(b.client, 'queue')
    t.strictSame(hub.clients('queue'), [a.client, b.client])
    t.ok(a.client.topics.has('queue'))
    hub.clients('queue').pop()
    t.equal(hub.clients('queue').length, 2, 'clients returns a copy')
    hub.unsubscribe(a.client, 'queue')
    t.strictSame(hub.clients('queue'), [b.client])
    t.notOk(a.client.topics.has('queue'))
    hub.unsubscribe(a.client, 'never')
    t.strictSame(hub.clients('never'), [])
  })

  t.test('attach subscribes a socket to its topics; detach removes it from all of them', async (t) => {
    const { hub } = rig(t)
    const a = open('agent', { topics: ['agent:7', 'queue'] })
    const b = open('agent', { topics: ['queue'] })
    hub.attach(a.client)
    hub.attach(b.client)
    t.strictSame(hub.clients('agent:7'), [a.client])
    t.strictSame(hub.clients('queue'), [a.client, b.client])
    hub.followChat(a.client, 3, 0)
    hub.detach(a.client)
    t.strictSame(hub.clients('agent:7'), [])
    t.strictSame(hub.clients('queue'), [b.client])
    t.strictSame(hub.clients('chat:3'), [])
    t.equal(a.client.topics.size, 0)
  })

  t.test('send: queued HTML goes out in order; a failed render is logged and the queue goes on', async (t) => {
    const r = rig(t)
    const a = open('agent')
    void r.hub.send(a.client, async () => { await tick(); return '<p>1</p>' })
    void r.hub.send(a.client, async () => { throw new Error('render failed') })
    void r.hub.send(a.client, '')
    await r.hub.send(a.client, '<p>2</p>')
    t.strictSame(a.socket.sent, ['<p>1</p>', '<p>2</p>'], 'an empty fragment is not sent')
    t.strictSame(r.errors.map((e) => e.msg), ['live chat socket delivery failed'])
    t.match(r.errors[0]!.obj, { err: { message: 'render failed' } })
  })
})

t.test('hub: projections', async (t) => {
  t.test('run per event type, in order, with the event and the hub; a failing one is logged and the others run', async (t) => {
    const r = rig(t)
    const calls: string[] = []
    let seen: { event?: BusEvent, hub?: Hub } = {}
    r.hub.project('queue.changed', async (event, hub) => { calls.push(`first ${event.groupId ?? ''}`); seen = { event, hub } })
    r.hub.project('queue.changed', async () => { calls.push('failing'); throw new Error('projection broke') })
    r.hub.project('queue.changed', async (event) => { await tick(); calls.push(`third ${event.groupId ?? ''}`) })
    r.hub.project('presence.changed', async (event) => { calls.push(`presence ${event.agentId}`) })

    await r.publish({ type: 'queue.changed', groupId: 3 })
    await until('the third projection ran', () => calls.length === 3)
    t.strictSame(calls, ['first 3', 'failing', 'third 3'])
    t.strictSame(seen.event, { type: 'queue.changed', groupId: 3 })
    t.equal(seen.hub, r.hub)
    t.equal(r.errors.length, 1)
    t.equal(r.errors[0]!.msg, 'live chat projection failed')
    t.match(r.errors[0]!.obj, { event: 'queue.changed', err: { message: 'projection broke' } })

    await r.publish({ type: 'presence.changed', agentId: '7' })
    await r.publish({ type: 'chat.typing', chatId: 1, side: 'agent', name: 'Alice' })
    await until('the presence projection ran', () => calls.length === 4)
    await tick()
    t.strictSame(calls.slice(3), ['presence 7'], 'an event type nobody projects runs nothing')
  })
})

t.test('hub: close', async (t) => {
  t.test('closes every socket once with 1012; later events are ignored', async (t) => {
    const r = rig(t)
    const a = open('agent', { topics: ['agent:7', 'queue'] })
    const b = open('customer', { chatId: 1, topics: ['customer:1'] })
    r.hub.attach(a.client)
    r.hub.attach(b.client)
    r.hub.followChat(a.client, 1, 0)
    r.hub.followChat(b.client, 1, 0)
    let projected = 0
    r.hub.project('queue.changed', async () => { projected++ })

    void r.publish({ type: 'queue.changed' })
    await r.hub.close()
    t.strictSame(a.socket.closes, [{ code: 1012, reason: 'Server restarting' }])
    t.strictSame(b.socket.closes, [{ code: 1012, reason: 'Server restarting' }])
    t.strictSame(r.hub.clients('queue'), [])
    t.strictSame(r.hub.clients('chat:1'), [])

    // A socket still open and following after the close: the events are not even looked at,
    // nor one published just before the close and handed out after it.
    const late = open('agent')
    r.hub.followChat(late.client, 1, 0)
    r.store(message(1, 1))
    await r.post(message(1, 2))
    await r.publish({ type: 'queue.changed' })
    await settle(late.client)
    t.strictSame(late.socket.sent, [])
    t.strictSame(r.reads, [])
    t.equal(projected, 0)
  })
})
