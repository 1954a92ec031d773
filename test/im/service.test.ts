import t from 'tap'
import type { BusEvent } from '../../plugin/realtime/bus-events.ts'
import type { ImViewer } from '../../plugin/im/types.ts'
import { given } from '../helpers/given.ts'
import { code, type ImServices, imServices, msgId } from '../helpers/im.ts'

const hour = 3_600_000

/** Rows of the instant message tables, to show a refusal changed nothing. */
async function counts (s: ImServices): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const table of ['lc_im_conversations', 'lc_im_participants', 'lc_im_messages']) {
    out[table] = Number((await s.knex(table).count({ n: '*' }).first())?.n ?? 0)
  }
  return out
}

/** Where the events published from now on start, once everything published before has arrived (the in-process bus delivers on a later tick). */
async function mark (s: ImServices): Promise<number> {
  await new Promise((resolve) => setImmediate(resolve))
  return s.events.length
}

/** What was published since `since`, once the in-process bus (which delivers on a later tick) has. */
async function eventsOf<T extends BusEvent['type']> (s: ImServices, type: T, since: number): Promise<Array<Extract<BusEvent, { type: T }>>> {
  await new Promise((resolve) => setImmediate(resolve))
  return s.events.slice(since).filter((e): e is Extract<BusEvent, { type: T }> => e.type === type)
}

t.test('instant message threads', async (t) => {
  let now = Date.UTC(2026, 10, 21, 9, 0, 0)
  const clock = (): number => now
  const s = await imServices(t, { clock })
  const alice = await s.viewer('alice')
  const bob = await s.viewer('bob')
  const carol = await s.viewer('carol')
  const sam = await s.viewer('sam')

  async function thread (from: ImViewer, to: ImViewer[], body = 'Can you look at this?') {
    now += 1000
    return await s.im.startThread(from, { agentIds: to.map((v) => v.id), body, clientMsgId: msgId() })
  }

  t.test('startThread: one thread about a chat, its starter joined, the invitee invited, message 1', async (t) => {
    const { chat } = await given.activeChat(s, 'alice')
    const since = await mark(s)
    const { conversation, message } = await s.im.startThread(alice, { agentIds: [bob.id], body: '  Dana cannot connect; ideas?  ', clientMsgId: msgId(), related: { kind: 'chat', ref: String(chat.id) } })
    t.equal(conversation.kind, 'thread')
    t.equal(conversation.status, 'active')
    t.equal(conversation.title, 'Bob Brown', 'titled by the others\' names')
    t.same(conversation.related, { kind: 'chat', ref: String(chat.id), label: `Chat #${chat.id} · Dana Doyle`, url: `/livechat/console/chats/${chat.id}` })
    t.equal(message.seq, 1)
    t.equal(message.body, 'Dana cannot connect; ideas?', 'trimmed')
    t.equal(conversation.lastSeq, 1)
    t.equal(conversation.unread, 0, 'the starter has read what they wrote')
    t.equal(conversation.mine?.joinedAt, now)
    const people = await s.im.participants(alice, conversation.id)
    t.same(people.map((p) => [p.name, p.joinedAt === null, p.invitedBy]), [['Alice Adams', false, null], ['Bob Brown', true, alice.id]])
    const forBob = await s.im.get(bob, conversation.id)
    t.equal(forBob.title, 'Alice Adams')
    t.equal(forBob.unread, 1)
    const sent = await eventsOf(s, 'im.message', since)
    t.equal(sent.length, 1)
    t.same(sent[0]!.recipients, [bob.id], 'a pop-up for the invitee, not the author')
    t.same((await eventsOf(s, 'im.updated', since)).map((e) => e.agentIds.sort()), [[alice.id, bob.id].sort()])
  })

  t.test('startThread: about a help desk ticket, labelled with its summary and linked to it', async (t) => {
    const ticket = await s.knex('tickets').first('ref', 'summary')
    const { conversation } = await s.im.startThread(alice, { agentIds: [bob.id], body: 'Seen this one?', clientMsgId: msgId(), related: { kind: 'ticket', ref: ticket.ref } })
    t.same(conversation.related, { kind: 'ticket', ref: ticket.ref, label: `${ticket.ref} · ${ticket.summary}`, url: `/tickets/${ticket.ref}` })
  })

  t.test('startThread: the New form sent twice, one after the other or at once, starts one thread', async (t) => {
    const before = await counts(s)
    const id = msgId()
    const input = { agentIds: [bob.id], body: 'Sent twice by a double click', clientMsgId: id }
    const first = await s.im.startThread(alice, input)
    const again = await s.im.startThread(alice, input)
    t.equal(again.conversation.id, first.conversation.id, 'the resend answers with the thread it started')
    t.equal(again.message.seq, 1)
    const racing = { ...input, clientMsgId: msgId() }
    const [a, b] = await Promise.all([s.im.startThread(alice, racing), s.im.startThread(alice, racing)])
    t.equal(a.conversation.id, b.conversation.id, 'two copies at once: one thread')
    const after = await counts(s)
    t.equal(after.lc_im_conversations! - before.lc_im_conversations!, 2, 'two threads in all, one per form')
    t.equal(after.lc_im_messages! - before.lc_im_messages!, 2, 'and one first message each')
  })

  t.test('post: seqs follow each other, concurrent posts included, and a resent client id is stored once', async (t) => {
    const { conversation } = await thread(alice, [bob])
    const id = msgId()
    const first = await s.im.post(alice, conversation.id, 'Second line', id)
    t.equal(first.seq, 2)
    const again = await s.im.post(alice, conversation.id, 'Second line', id)
    t.same(again, first, 'the stored message comes back')
    const posted = await Promise.all([1, 2, 3, 4, 5].map(async (i) => await s.im.post(alice, conversation.id, `Burst ${i}`, msgId())))
    t.same(posted.map((m) => m.seq).sort((a, b) => a - b), [3, 4, 5, 6, 7])
    const stored = await s.im.messages(alice, conversation.id)
    t.same(stored.map((m) => m.seq), [1, 2, 3, 4, 5, 6, 7], 'no gaps, no copies')
    t.equal((await s.im.get(alice, conversation.id)).lastSeq, 7)
    t.same((await s.im.messagesBetween(conversation.id, 2, 4)).map((m) => m.seq), [3, 4])
  })

  t.test('post: an invited agent who writes joins the thread with an event line first', async (t) => {
    const { conversation } = await thread(alice, [bob])
    const since = await mark(s)
    const reply = await s.im.post(bob, conversation.id, 'On it', msgId())
    t.equal(reply.seq, 3)
    const lines = await s.im.messages(bob, conversation.id)
    t.same(lines.map((m) => [m.seq, m.kind, m.body]), [[1, 'text', 'Can you look at this?'], [2, 'event', 'Bob Brown joined'], [3, 'text', 'On it']])
    t.not((await s.im.participants(bob, conversation.id)).find((p) => p.agentId === bob.id)?.joinedAt, null)
    t.same((await eventsOf(s, 'im.message', since)).map((e) => e.recipients), [[alice.id], [alice.id]], 'the author gets no pop-up of their own lines')
  })

  t.test('invite, join, leave: event lines; the last one out makes it inactive; writing restarts it', async (t) => {
    const { conversation } = await thread(alice, [bob])
    const id = conversation.id
    await s.im.invite(alice, id, [carol.id])
    await t.rejects(s.im.invite(alice, id, [carol.id]), code('LC_ERR_IM_AGENTS'), 'Carol is there already')
    const joined = await s.im.join(carol, id)
    t.not(joined.mine?.joinedAt, null)
    const seqBefore = joined.lastSeq
    t.equal((await s.im.join(carol, id)).lastSeq, seqBefore, 'joining again is no change')
    await s.im.join(bob, id)
    await s.im.leave(carol, id)
    await s.im.leave(bob, id)
    t.equal((await s.im.get(alice, id)).status, 'active')
    const last = await s.im.leave(alice, id)
    t.equal(last.status, 'inactive', 'the last joined participant left')
    t.equal(last.inactiveAt, now)
    await t.rejects(s.im.join(bob, id), code('LC_ERR_IM_INACTIVE'))
    await t.rejects(s.im.invite(alice, id, [sam.id]), code('LC_ERR_IM_NOT_PARTICIPANT'), 'who left may not invite')
    await s.im.post(carol, id, 'Back to this', msgId())
    const after = await s.im.get(carol, id)
    t.equal(after.status, 'active')
    t.equal(after.inactiveAt, null)
    const bodies = (await s.im.messages(alice, id)).map((m) => m.body)
    t.same(bodies.slice(1), ['Alice Adams invited Carol Chen', 'Carol Chen joined', 'Bob Brown joined', 'Carol Chen left', 'Bob Brown left', 'Alice Adams left', 'Carol Chen restarted the conversation', 'Back to this'])
    t.same((await s.im.participants(alice, id)).filter((p) => p.leftAt === null).map((p) => p.name), ['Carol Chen'])
  })

  t.test('unread: an offline agent\'s counts grow with each message and drop as they read', async (t) => {
    await s.knex('lc_agent_presence').where({ agent_id: carol.id }).delete()
    const before = await s.im.unreadTotal(carol.id)
    const { conversation } = await thread(alice, [carol])
    await s.im.post(alice, conversation.id, 'Two', msgId())
    await s.im.post(alice, conversation.id, 'Three', msgId())
    t.equal(await s.im.unreadTotal(carol.id), before + 3)
    t.equal((await s.im.get(carol, conversation.id)).unread, 3)
    t.equal((await s.im.get(carol, conversation.id)).mine?.online, false)
    await s.im.markRead(carol, conversation.id, 2)
    t.equal((await s.im.get(carol, conversation.id)).unread, 1)
    await s.im.markRead(carol, conversation.id, 1)
    t.equal((await s.im.get(carol, conversation.id)).unread, 1, 'an older read never takes it back')
    await s.im.markRead(carol, conversation.id, 999)
    t.equal((await s.im.get(carol, conversation.id)).mine?.lastReadSeq, 3, 'no further than the latest message')
    t.equal(await s.im.unreadTotal(carol.id), before)
    await s.im.leave(carol, conversation.id)
    await s.im.post(alice, conversation.id, 'Four', msgId())
    t.equal(await s.im.unreadTotal(carol.id), before, 'who left is not counted')
  })

  t.test('list: own threads, most recent first; supervisors see an agent\'s by agent; a plain agent may not', async (t) => {
    const older = await thread(alice, [bob], 'About the printer queue')
    const newer = await thread(alice, [carol], 'About 100% disk usage')
    const ids = (await s.im.list(alice, { kind: 'thread', view: 'active' })).map((c) => c.id)
    t.ok(ids.indexOf(newer.conversation.id) < ids.indexOf(older.conversation.id), 'latest activity first')
    now += 1000
    await s.im.post(bob, older.conversation.id, 'Fixed', msgId())
    const again = (await s.im.list(alice, { kind: 'thread', view: 'active' })).map((c) => c.id)
    t.ok(again.indexOf(older.conversation.id) < again.indexOf(newer.conversation.id), 'a new message moves it up')
    const row = (await s.im.list(alice, { kind: 'thread', view: 'active' })).find((c) => c.id === older.conversation.id)!
    t.equal(row.lastMessage?.body, 'Fixed')
    t.same(row.participants.map((p) => p.name), ['Alice Adams', 'Bob Brown'])
    t.equal(row.participantCount, 2)
    t.notOk((await s.im.list(bob, { kind: 'thread', view: 'active' })).some((c) => c.id === newer.conversation.id), 'Bob is not in the other one')
    t.notOk((await s.im.list(sam, { kind: 'thread', view: 'active' })).some((c) => c.id === older.conversation.id), 'a supervisor\'s own view is their own')
    const byAgent = await s.im.list(sam, { kind: 'thread', view: 'agent', agentId: bob.id })
    t.ok(byAgent.some((c) => c.id === older.conversation.id))
    t.notOk(byAgent.some((c) => c.id === newer.conversation.id))
    await t.rejects(s.im.list(alice, { kind: 'thread', view: 'agent', agentId: bob.id }), code('LC_ERR_FORBIDDEN'))
    await t.rejects(s.im.list(alice, { kind: 'thread', view: 'agent', agentId: alice.id }), code('LC_ERR_FORBIDDEN'))
    t.same((await s.im.list(alice, { kind: 'thread', view: 'active', q: '100%' })).map((c) => c.id), [newer.conversation.id], '% is taken literally')
    t.same((await s.im.list(alice, { kind: 'thread', view: 'active', q: 'printer' })).map((c) => c.id), [older.conversation.id], 'message text')
    t.ok((await s.im.list(alice, { kind: 'thread', view: 'active', q: 'carol' })).some((c) => c.id === newer.conversation.id), 'participant names')
    await t.rejects(s.im.list(alice, { kind: 'thread', view: 'active', q: 'x'.repeat(101) }), code('LC_ERR_SEARCH_TEXT_LONG'))
    t.same(await s.im.list(alice, { kind: 'thread', view: 'active', limit: 1 }).then((l) => l.length), 1)
  })

  t.test('visibility: others\' threads and unseen ids are one 404; supervisors read but do not write', async (t) => {
    const { conversation } = await thread(alice, [bob])
    await t.rejects(s.im.get(carol, conversation.id), code('LC_ERR_IM_NOT_FOUND'))
    await t.rejects(s.im.messages(carol, conversation.id), code('LC_ERR_IM_NOT_FOUND'))
    await t.rejects(s.im.post(carol, conversation.id, 'Hi', msgId()), code('LC_ERR_IM_NOT_FOUND'))
    await t.rejects(s.im.get(alice, 987654), code('LC_ERR_IM_NOT_FOUND'))
    await t.rejects(s.im.post(alice, 987654, 'Hi', msgId()), code('LC_ERR_IM_NOT_FOUND'))
    t.equal((await s.im.messages(sam, conversation.id)).length, 1)
    t.equal((await s.im.get(sam, conversation.id)).mine, null)
    t.equal((await s.im.get(sam, conversation.id)).unread, 0)
    const before = await counts(s)
    await t.rejects(s.im.post(sam, conversation.id, 'Let me in', msgId()), code('LC_ERR_IM_NOT_PARTICIPANT'))
    await t.rejects(s.im.join(sam, conversation.id), code('LC_ERR_IM_NOT_PARTICIPANT'))
    t.same(await counts(s), before, 'nothing changed')
    t.equal(await s.im.admits(carol.id, conversation.id), false)
    t.equal(await s.im.admits(bob.id, conversation.id), true)
    t.equal(await s.im.admits(sam.id, conversation.id), true)
  })

  t.test('delete and undelete: inactive threads only, by a participant or a supervisor with livechat.delete', async (t) => {
    const { conversation } = await thread(alice, [bob])
    const id = conversation.id
    const before = await counts(s)
    const [active] = await s.im.deleteThreads(alice, [id])
    t.equal(active!.ok, false)
    t.equal(active!.error?.code, 'LC_ERR_IM_DELETE_ACTIVE')
    t.equal(active!.error?.statusCode, 409)
    t.match(active!.error?.message, /Bob Brown is still active; only inactive conversations can be deleted/)
    t.equal((await s.im.get(alice, id)).deletedAt, null, 'nothing changed')
    t.same(await counts(s), before)
    await s.im.leave(alice, id)
    t.equal((await s.im.get(alice, id)).status, 'inactive')
    const [stranger] = await s.im.deleteThreads(carol, [id])
    t.equal(stranger!.error?.code, 'LC_ERR_IM_NOT_FOUND')
    const [unsure] = await s.im.deleteThreads(await s.viewer('sam', { delete: false }), [id])
    t.equal(unsure!.error?.code, 'LC_ERR_IM_DELETE_NOT_YOURS')
    const [done, missing] = await s.im.deleteThreads(alice, [id, 987654])
    t.same(done, { id, ok: true })
    t.equal(missing!.error?.code, 'LC_ERR_IM_NOT_FOUND')
    const deleted = await s.im.get(bob, id)
    t.equal(deleted.deletedAt, now)
    t.equal(deleted.deletedByName, 'Alice Adams')
    t.ok((await s.im.list(bob, { kind: 'thread', view: 'deleted' })).some((c) => c.id === id))
    t.notOk((await s.im.list(bob, { kind: 'thread', view: 'inactive' })).some((c) => c.id === id), 'deleted threads leave the other views')
    t.notOk((await s.im.list(carol, { kind: 'thread', view: 'deleted' })).some((c) => c.id === id))
    t.ok((await s.im.list(sam, { kind: 'thread', view: 'deleted' })).some((c) => c.id === id), 'a supervisor with livechat.delete sees every deleted thread')
    const [twice] = await s.im.deleteThreads(bob, [id])
    t.equal(twice!.error?.code, 'LC_ERR_IM_ALREADY_DELETED')
    t.match(twice!.error?.message, /already deleted by Alice Adams/)
    await t.rejects(s.im.post(bob, id, 'Hello?', msgId()), { code: 'LC_ERR_IM_DELETED', statusCode: 409 })
    await t.rejects(s.im.join(bob, id), code('LC_ERR_IM_DELETED'))
    t.same(await s.im.undeleteThreads(bob, [id]), [{ id, ok: true }])
    t.equal((await s.im.get(alice, id)).deletedAt, null)
    const [notDeleted] = await s.im.undeleteThreads(bob, [id])
    t.equal(notDeleted!.error?.code, 'LC_ERR_IM_NOT_DELETED')
    await s.im.deleteThreads(alice, [id])
    t.same(await s.im.undeleteThreads(sam, [id]), [{ id, ok: true }], 'a supervisor with livechat.delete may undelete any')
  })

  t.test('bad input: empty and oversized messages, wrong agents, unseen related items; nothing is stored', async (t) => {
    const { conversation } = await thread(alice, [bob])
    const before = await counts(s)
    await t.rejects(s.im.post(alice, conversation.id, '   \n ', msgId()), { code: 'LC_ERR_MESSAGE_EMPTY', statusCode: 422 })
    await t.rejects(s.im.post(alice, conversation.id, 'x'.repeat(s.settings.maxMessageLength + 1), msgId()), { code: 'LC_ERR_MESSAGE_TOO_LONG', statusCode: 422 })
    const start = async (agentIds: string[], extra: object = {}) => await s.im.startThread(alice, { agentIds, body: 'Hello', clientMsgId: msgId(), ...extra })
    await t.rejects(start([]), { code: 'LC_ERR_IM_AGENTS', message: /at least one agent/ })
    await t.rejects(start([alice.id]), { code: 'LC_ERR_IM_AGENTS', message: /other agents/ })
    await t.rejects(start(['987654']), { code: 'LC_ERR_IM_AGENTS', message: /no longer exists/ })
    const dana = await s.user('dana')
    await t.rejects(start([dana.id]), { code: 'LC_ERR_IM_AGENTS', message: /Dana Doyle is not a live chat agent/ })
    await t.rejects(start(Array.from({ length: 21 }, (_, i) => String(1000 + i))), { code: 'LC_ERR_IM_AGENTS', message: /at most 20/ })
    await t.rejects(s.im.startThread(alice, { agentIds: [bob.id], body: ' ', clientMsgId: msgId() }), code('LC_ERR_MESSAGE_EMPTY'))
    const { chat } = await given.activeChat(s, 'alice')
    await t.rejects(s.im.startThread(carol, { agentIds: [bob.id], body: 'Hi', clientMsgId: msgId(), related: { kind: 'chat', ref: String(chat.id) } }), { code: 'LC_ERR_IM_RELATED', message: new RegExp(`Chat #${chat.id} does not exist, or you may not see it`) })
    await t.rejects(start([bob.id], { related: { kind: 'chat', ref: 'abc' } }), code('LC_ERR_IM_RELATED'))
    await t.rejects(start([bob.id], { related: { kind: 'ticket', ref: 'INC999999' } }), { code: 'LC_ERR_IM_RELATED', message: /No ticket INC999999/ })
    await t.rejects(s.im.invite(alice, conversation.id, []), code('LC_ERR_IM_AGENTS'))
    await t.rejects(s.im.invite(alice, conversation.id, [dana.id]), code('LC_ERR_IM_AGENTS'))
    t.same(await counts(s), before, 'nothing stored')
  })

  t.test('messages, transcript: the latest hundred, older pages before a seq, the whole in plain text', async (t) => {
    const { conversation } = await thread(alice, [bob], 'Line 1')
    for (let i = 2; i <= 120; i++) await s.im.post(alice, conversation.id, `Line ${i}`, msgId())
    const latest = await s.im.messages(bob, conversation.id)
    t.equal(latest.length, 100)
    t.same([latest[0]!.seq, latest[99]!.seq], [21, 120])
    const older = await s.im.messages(bob, conversation.id, { beforeSeq: 21 })
    t.same(older.map((m) => m.seq), Array.from({ length: 20 }, (_, i) => i + 1))
    await s.im.leave(bob, conversation.id)
    const text = await s.im.transcript(alice, conversation.id)
    const lines = text.trimEnd().split('\n')
    t.equal(lines[0], 'Instant message with Alice Adams, Bob Brown')
    t.match(lines[1], /^\[2026-11-21 \d\d:\d\d\] Alice Adams: Line 1$/)
    t.match(lines[lines.length - 1], /^\[2026-11-21 \d\d:\d\d\] Bob Brown left$/)
    t.equal(lines.length, 1 + 121)
    await t.rejects(s.im.transcript(carol, conversation.id), code('LC_ERR_IM_NOT_FOUND'))
  })

  t.test('onlineAgents and agentDirectory: who has a console open, but oneself and who is in already', async (t) => {
    await given.available(s, 'bob')
    await given.available(s, 'carol')
    await s.knex('lc_agent_presence').where({ agent_id: carol.id }).update({ heartbeat_at: now - 10 * 60_000 })
    const online = await s.im.onlineAgents(alice)
    t.ok(online.some((c) => c.agentId === bob.id && c.online))
    t.notOk(online.some((c) => c.agentId === alice.id), 'not oneself')
    t.notOk(online.some((c) => c.agentId === carol.id), 'a stale heartbeat is offline')
    const { conversation } = await thread(alice, [bob])
    t.notOk((await s.im.onlineAgents(alice, conversation.id)).some((c) => c.agentId === bob.id), 'Bob is in the thread')
    const directory = await s.im.agentDirectory(alice)
    t.ok(directory.online.some((c) => c.agentId === bob.id))
    t.ok(directory.offline.some((c) => c.agentId === carol.id))
    t.ok(directory.offline.some((c) => c.agentId === sam.id), 'group members who never opened a console')
    t.notOk([...directory.online, ...directory.offline].some((c) => c.agentId === alice.id))
    t.notOk([...directory.online, ...directory.offline].some((c) => c.name === 'Dana Doyle'), 'customers are no agents')
    const names = directory.offline.map((c) => c.name)
    t.same(names, [...names].sort((a, b) => a.localeCompare(b, 'en')), 'by name')
    const found = await s.im.agentDirectory(alice, 'ada')
    t.same([...found.online, ...found.offline].map((c) => c.name), ['Ada Admin'], 'found by name among the host\'s agents')
  })

  t.test('makeIdleInactive: threads without a message for the setting\'s hours become inactive, once', async (t) => {
    const idle = await thread(alice, [bob])
    now += 23 * hour
    const busy = await thread(alice, [carol])
    now += 2 * hour
    const since = await mark(s)
    t.ok(await s.im.makeIdleInactive(24 * hour) >= 1)
    t.equal((await s.im.get(alice, idle.conversation.id)).status, 'inactive')
    t.equal((await s.im.get(alice, busy.conversation.id)).status, 'active')
    t.ok((await eventsOf(s, 'im.updated', since)).some((e) => e.conversationId === idle.conversation.id))
    t.equal(await s.im.makeIdleInactive(24 * hour), 0, 'nothing more to do')
  })
})
