import t from 'tap'
import { hashToken } from '../../plugin/chats/service.ts'
import { given, services } from '../helpers/given.ts'

t.test('chat service', async (t) => {
  const s = await services(t)
  const customer = { kind: 'customer' as const, id: null, name: 'Dana Doyle' }

  t.test('startChat: queues the chat with the question as message 1 and stores only the token hash', async (t) => {
    const { chat, token } = await given.queuedChat(s)
    t.equal(chat.status, 'queued')
    t.equal(chat.lastSeq, 1)
    t.ok(token.length >= 43, 'token carries at least 256 bits')
    const row = await s.knex('lc_chats').where('id', chat.id).first()
    t.equal(row.customer_token_hash, hashToken(token))
    t.not(JSON.stringify(row).includes(token), true, 'the raw token is nowhere in the row')
    const messages = await s.chats.messages(chat.id)
    t.same(messages.map((m) => [m.seq, m.authorKind, m.body]), [[1, 'customer', 'My VPN will not connect']])
  })

  t.test('chatForCustomer: the token or the owning portal user opens the chat, nothing else does', async (t) => {
    const { chat, token } = await given.queuedChat(s)
    t.equal((await s.chats.chatForCustomer(chat.id, token, null)).id, chat.id)
    await t.rejects(s.chats.chatForCustomer(chat.id, token + 'x', null), { code: 'LC_ERR_CHAT_NOT_FOUND' })
    await t.rejects(s.chats.chatForCustomer(chat.id, undefined, null), { code: 'LC_ERR_CHAT_NOT_FOUND' })
    await t.rejects(s.chats.chatForCustomer(chat.id + 1000, token, null), { code: 'LC_ERR_CHAT_NOT_FOUND' })
    const dana = await s.user('dana')
    const own = await s.chats.startChat({ name: dana.name, email: dana.email, question: 'Printer jam', customer: dana })
    t.equal((await s.chats.chatForCustomer(own.chat.id, undefined, dana)).id, own.chat.id)
    await t.rejects(s.chats.chatForCustomer(own.chat.id, undefined, await s.user('erin')), { code: 'LC_ERR_CHAT_NOT_FOUND' })
  })

  t.test('postMessage: seq is gapless and unique under concurrent senders', async (t) => {
    const { chat, agent } = await given.activeChat(s)
    const senders = Array.from({ length: 30 }, (_, i) => i % 2 === 0
      ? s.chats.postMessage(chat.id, customer, `customer ${i}`, null)
      : s.chats.postMessage(chat.id, { kind: 'agent', id: agent.id, name: agent.name }, `agent ${i}`, null))
    await Promise.all(senders)
    const seqs = (await s.chats.messages(chat.id)).map((m) => m.seq)
    t.same(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), 'seq runs 1..n with no gap')
    t.equal(seqs.length, 32, 'question + joined event + 30 messages')
    const row = await s.knex('lc_chats').where('id', chat.id).first()
    t.equal(Number(row.last_seq), 32)
    t.equal(Number(row.message_count), 32)
  })

  t.test('postMessage: a resent client message id is stored once, also when both copies race', async (t) => {
    const { chat } = await given.queuedChat(s)
    const first = await s.chats.postMessage(chat.id, customer, 'hello', 'client-msg-0001')
    const again = await s.chats.postMessage(chat.id, customer, 'hello', 'client-msg-0001')
    t.equal(again.duplicate, true)
    t.equal(again.message.seq, first.message.seq)
    const racing = await Promise.all([1, 2, 3, 4].map(() => s.chats.postMessage(chat.id, customer, 'twice', 'client-msg-0002')))
    t.equal(new Set(racing.map((r) => r.message.seq)).size, 1, 'every copy reports the one stored message')
    const bodies = (await s.chats.messages(chat.id)).map((m) => m.body)
    t.same(bodies.filter((b) => b === 'hello').length, 1)
    t.same(bodies.filter((b) => b === 'twice').length, 1)
  })

  t.test('postMessage: refuses empty and over-long messages and stores nothing', async (t) => {
    const { chat } = await given.queuedChat(s)
    await t.rejects(s.chats.postMessage(chat.id, customer, '   \n ', null), { code: 'LC_ERR_MESSAGE_EMPTY' })
    await t.rejects(s.chats.postMessage(chat.id, customer, 'x'.repeat(10001), null), { code: 'LC_ERR_MESSAGE_TOO_LONG', statusCode: 422 })
    const ok = await s.chats.postMessage(chat.id, customer, 'y'.repeat(10000), null)
    t.equal(ok.message.body.length, 10000, 'exactly the limit is accepted whole')
    t.equal((await s.chats.messages(chat.id)).length, 2)
  })

  t.test('postMessage: an agent cannot write before accepting nor into another agent\'s chat, nobody after the end', async (t) => {
    const { chat } = await given.queuedChat(s)
    const bob = await s.user('bob')
    await t.rejects(s.chats.postMessage(chat.id, { kind: 'agent', id: bob.id, name: bob.name }, 'hi', null), { code: 'LC_ERR_CHAT_STATE_CONFLICT' })
    const active = await given.activeChat(s)
    await t.rejects(s.chats.postMessage(active.chat.id, { kind: 'agent', id: bob.id, name: bob.name }, 'not mine', null), { code: 'LC_ERR_CHAT_NOT_FOUND' }, 'another agent\'s chat')
    await s.chats.endChat(active.chat.id, { kind: 'agent', id: active.agent.id, name: active.agent.name })
    await t.rejects(s.chats.postMessage(active.chat.id, customer, 'still there?', null), { code: 'LC_ERR_CHAT_CLOSED' })
  })

  t.test('acceptChat: of two agents accepting at once one wins, the other hears who', async (t) => {
    const { chat } = await given.queuedChat(s)
    const [alice, bob] = [await s.user('alice'), await s.user('bob')]
    const results = await Promise.allSettled([s.chats.acceptChat(chat.id, await s.scope('alice')), s.chats.acceptChat(chat.id, await s.scope('bob'))])
    const won = results.filter((r) => r.status === 'fulfilled')
    const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[]
    t.equal(won.length, 1)
    t.equal(lost.length, 1)
    const winner = (await s.chats.get(chat.id)).agentId === alice.id ? alice : bob
    t.match(lost[0]!.reason, { code: 'LC_ERR_CHAT_TAKEN', statusCode: 409, message: `Already taken by ${winner.name}` })
    const events = (await s.chats.messages(chat.id)).filter((m) => m.kind === 'event')
    t.equal(events.length, 1, 'one joined event')
  })

  t.test('acceptChat: the winner accepting again is not an error; a closed chat is a 409', async (t) => {
    const { chat, agent } = await given.activeChat(s)
    t.equal((await s.chats.acceptChat(chat.id, await s.scope('alice'))).chat.agentId, agent.id)
    await s.chats.endChat(chat.id, { kind: 'agent', id: agent.id, name: agent.name })
    await t.rejects(s.chats.acceptChat(chat.id, await s.scope('bob')), { code: 'LC_ERR_CHAT_TAKEN' })
    const cancelled = await given.queuedChat(s)
    await s.chats.endChat(cancelled.chat.id, customer)
    await t.rejects(s.chats.acceptChat(cancelled.chat.id, await s.scope('alice')), { code: 'LC_ERR_CHAT_STATE_CONFLICT' })
  })

  t.test('endChat: the customer leaving the queue cancels; leaving an assigned chat keeps it with the agent; the agent ends it once', async (t) => {
    const queued = await given.queuedChat(s)
    t.equal((await s.chats.endChat(queued.chat.id, customer)).status, 'cancelled')
    const active = await given.activeChat(s)
    const left = await s.chats.endChat(active.chat.id, customer)
    t.equal(left.status, 'active', 'still the agent\'s')
    t.ok(left.customerLeftAt)
    t.equal((await s.chats.messages(active.chat.id)).at(-1)!.body, 'End user has cancelled chat')
    await t.rejects(s.chats.postMessage(active.chat.id, customer, 'one more thing', null), { code: 'LC_ERR_CHAT_CLOSED' }, 'the customer who left writes no more')
    await t.rejects(s.chats.endChat(active.chat.id, customer), { code: 'LC_ERR_CHAT_STATE_CONFLICT' }, 'leaving twice')
    const ended = await s.chats.endChat(active.chat.id, { kind: 'agent', id: active.agent.id, name: active.agent.name })
    t.equal(ended.status, 'ended')
    t.equal(ended.endedBy, 'agent')
    t.ok(ended.endedAt)
    await t.rejects(s.chats.endChat(active.chat.id, { kind: 'agent', id: active.agent.id, name: active.agent.name }), { code: 'LC_ERR_CHAT_STATE_CONFLICT', statusCode: 409 })
    const bob = await s.user('bob')
    const other = await given.queuedChat(s)
    await t.rejects(s.chats.endChat(other.chat.id, { kind: 'agent', id: bob.id, name: bob.name }), { code: 'LC_ERR_CHAT_STATE_CONFLICT' })
    const history = (await s.chats.history(active.chat.id)).map((h) => h.action)
    t.same(history, ['started', 'accepted', 'customer_left', 'ended'])
  })

  t.test('lists: completed chats move to the agent\'s completed list with the whole transcript', async (t) => {
    const { chat, agent } = await given.activeChat(s, 'carol', 'Support L2')
    await s.chats.postMessage(chat.id, { kind: 'agent', id: agent.id, name: agent.name }, 'Try restarting the client', null)
    t.ok((await s.chats.agentChats(agent.id, 'active')).some((c) => c.id === chat.id))
    await s.chats.endChat(chat.id, { kind: 'agent', id: agent.id, name: agent.name })
    t.notOk((await s.chats.agentChats(agent.id, 'active')).some((c) => c.id === chat.id))
    t.ok((await s.chats.agentChats(agent.id, 'completed')).some((c) => c.id === chat.id))
    t.same((await s.chats.messages(chat.id)).map((m) => m.seq), [1, 2, 3, 4])
  })

  t.test('queuePositions: oldest first, positions shift as chats leave', async (t) => {
    // Positions count within the chat's group: Support L1 here.
    const l1 = await s.groupId('Support L1')
    const before = (await s.chats.queue(await s.scope('alice'))).filter((c) => c.groupId === l1).length
    const a = await given.queuedChat(s)
    const b = await given.queuedChat(s)
    let positions = await s.chats.queuePositions()
    t.equal(positions.get(b.chat.id)! - positions.get(a.chat.id)!, 1)
    t.equal(positions.get(b.chat.id), before + 1)
    t.equal(await s.chats.queuePosition(await s.chats.get(b.chat.id)), before + 1, 'one chat\'s position agrees with the whole queue\'s')
    t.equal(await s.chats.queuePosition((await given.activeChat(s)).chat), undefined, 'a chat not in the queue has no position')
    await s.chats.endChat(a.chat.id, customer)
    positions = await s.chats.queuePositions()
    t.equal(positions.get(b.chat.id), before)
  })

  t.test('waiting: the Queue and the Transferred tab in one read, each as queue and transferred read it, and their counts', async (t) => {
    const a = await given.queuedChat(s)
    const moved = await given.activeChat(s, 'alice')
    await s.chats.transferChat(moved.chat.id, await s.scope('alice'), { groupId: await s.groupId('Support L1'), agentId: null, auto: false, comment: '' })
    const b = await given.queuedChat(s)
    for (const who of ['alice', 'bob', 'sam']) {
      const scope = await s.scope(who)
      const both = await s.chats.waiting(scope)
      t.same(both.queue.map((c) => c.id), (await s.chats.queue(scope)).map((c) => c.id), `${who}'s Queue, oldest first`)
      t.same(both.transferred.map((c) => c.id), (await s.chats.transferred(scope)).map((c) => c.id), `${who}'s Transferred`)
      t.same(both.counts, await s.chats.counts(scope), `${who}'s counts, from the lists`)
      const cut = await s.chats.waiting(scope, 1)
      t.same(cut.counts, await s.chats.counts(scope), `${who}'s counts with the lists cut short, from the tally`)
      t.ok(cut.queue.length <= 1 && cut.transferred.length <= 1, 'each list at most the limit')
    }
    const alice = await s.chats.waiting(await s.scope('alice'))
    t.ok(alice.queue.findIndex((c) => c.id === a.chat.id) < alice.queue.findIndex((c) => c.id === b.chat.id), 'the older first')
    t.ok(alice.transferred.some((c) => c.id === moved.chat.id), 'the transfer is in Transferred')
    t.notOk(alice.queue.some((c) => c.id === moved.chat.id), 'and not in the Queue')
  })

  t.test('events: published after commit, in order, for every change', async (t) => {
    const { chat } = await given.activeChat(s)
    await new Promise((resolve) => setTimeout(resolve, 20))
    const mine = s.events.filter((e) => ('chatId' in e && e.chatId === chat.id) || (e.type === 'chat.updated' && e.chat.id === chat.id))
    // A queue change names its chat (the consoles are pushed that chat's rows, docs/design.md §6).
    t.same(mine.map((e) => e.type), ['chat.message', 'queue.changed', 'agent.alert', 'chat.message', 'chat.updated', 'agent.chats', 'queue.changed'])
    t.match(mine[2], { type: 'agent.alert', reason: 'queued', chatId: chat.id })
    t.match(mine[3], { type: 'chat.message', chatId: chat.id, message: { seq: 2, kind: 'event', body: 'Alice Adams joined the chat' } })
    t.match(mine[5], { type: 'agent.chats', chatId: chat.id, fromSeq: 2 })
    t.match(mine[6], { type: 'queue.changed', chatId: chat.id, groupId: chat.groupId })
  })
})

t.test('describeAgent: a browser and system in words, never the whole User-Agent', async (t) => {
  const { describeAgent } = await import('../../plugin/chats/service.ts')
  t.equal(describeAgent('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15'), 'Safari on macOS')
  t.equal(describeAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0'), 'Edge on Windows')
  t.equal(describeAgent('Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36'), 'Chrome on Android')
  t.equal(describeAgent('curl/8.5.0'), 'an unknown browser')
  t.equal(describeAgent(null), null)
})
