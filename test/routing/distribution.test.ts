import t from 'tap'
import { given, services } from '../helpers/given.ts'

/** Distribution and capacity rules (docs/features.md#distribution; docs/design.md §5). */
t.test('distribution', async (t) => {
  let now = Date.UTC(2026, 10, 21, 9, 0, 0)
  const s = await services(t, { clock: () => now })
  // The in-process bus hands events over on a later tick.
  const settled = async (): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, 20)) }
  const sales = await s.groupId('Sales')
  const l1 = await s.groupId('Support L1')
  const newAgent = async (username: string, name: string): Promise<string> => {
    const [id] = await s.knex('users').insert({ username, name, email: `${username}@helpdesk.example`, roles: 'agent', password_hash: 'x', created_at: now })
    return String(id)
  }
  // The example of docs/features.md#round-robin: Sue handles five chats, Bob two, Joe one; Joe's last chat ended longest ago.
  const [joe, bobby, sue] = [await newAgent('joe', 'Joe'), await newAgent('bobby', 'Bob'), await newAgent('sue', 'Sue')]
  await s.routing.setMember(sales, joe, { maxChats: 1 })
  await s.routing.setMember(sales, bobby, { maxChats: 2 })
  await s.routing.setMember(sales, sue, { maxChats: 5 })
  await s.knex('lc_group_members').where({ group_id: sales, agent_id: String((await s.user('carol')).id) }).update({ active: false })
  await s.knex('lc_agent_presence').insert([
    { agent_id: joe, status: 'unavailable', max_chats: 0, last_chat_ended_at: now - 3_600_000, updated_at: now },
    { agent_id: bobby, status: 'unavailable', max_chats: 0, last_chat_ended_at: now - 600_000, updated_at: now },
    { agent_id: sue, status: 'unavailable', max_chats: 0, last_chat_ended_at: now - 60_000, updated_at: now }
  ])

  t.test('Available for N is refused above the agent\'s limit, with the limit named', async (t) => {
    await t.rejects(s.routing.setAvailable(joe, true, 2), { code: 'LC_ERR_AVAILABLE_OVER_LIMIT', statusCode: 422, message: /at most 1 chats at once; choose 1 or fewer/ })
    t.equal((await s.routing.presence(joe)).status, 'unavailable', 'nothing changed')
  })

  t.test('round robin: Joe, whose last chat ended longest ago, then by share of capacity in use', async (t) => {
    for (const id of [joe, bobby, sue]) await s.routing.setAvailable(id, true)
    t.same((await s.routing.rank(sales)).map((c) => c.agentId), [joe, bobby, sue], 'all idle: the earliest "last chat ended" first')
    const first = await given.queuedChat(s, { group: 'Sales' })
    t.equal((await s.chats.get(first.chat.id)).agentId, joe, 'the first chat goes to Joe')
    t.ok((await s.chats.get(first.chat.id)).autoAssigned)
    // Joe is full (1/1). Bob 0/2 and Sue 0/5 tie on share and count; Bob's last chat ended earlier.
    const second = await given.queuedChat(s, { group: 'Sales' })
    t.equal((await s.chats.get(second.chat.id)).agentId, bobby)
    // Bob 1/2 = 50 %, Sue 0/5 = 0 %: Sue.
    const third = await given.queuedChat(s, { group: 'Sales' })
    t.equal((await s.chats.get(third.chat.id)).agentId, sue)
    // Bob 50 %, Sue 20 %: Sue again; then Sue 40 % < Bob 50 %: Sue; then Bob 50 % < Sue 60 %: Bob.
    const more = []
    for (let i = 0; i < 3; i++) more.push((await s.chats.get((await given.queuedChat(s, { group: 'Sales' })).chat.id)).agentId)
    t.same(more, [sue, sue, bobby])
    await settled()
    t.ok(s.events.some((e) => e.type === 'agent.alert' && e.reason === 'assigned' && e.agentId === joe), 'the agent is alerted')
  })

  t.test('capacity: nobody goes over their limit; chats over capacity queue and drain oldest first', async (t) => {
    // Joe 1/1, Bob 2/2, Sue 3/5: two more fit, then the queue fills.
    const extra = []
    for (let i = 0; i < 4; i++) extra.push((await given.queuedChat(s, { group: 'Sales', name: `Extra ${i}` })).chat.id)
    const states = await Promise.all(extra.map(async (id) => await s.chats.get(id)))
    t.same(states.map((c) => c.status), ['active', 'active', 'queued', 'queued'])
    for (const [id, limit] of [[joe, 1], [bobby, 2], [sue, 5]] as const) {
      t.ok((await s.chats.agentChats(id, 'active')).length <= limit, `${id} within ${limit}`)
    }
    const bobsChat = (await s.chats.agentChats(bobby, 'active'))[0]!
    now += 1000
    await s.chats.endChat(bobsChat.id, { kind: 'agent', id: bobby, name: 'Bob' })
    t.equal((await s.chats.get(extra[2]!)).agentId, bobby, 'the oldest queued chat takes the freed place')
    t.equal((await s.chats.get(extra[3]!)).status, 'queued', 'the next one still waits')
    await s.routing.setAvailable(joe, false)
    await s.routing.setAvailable(sue, true, 5)
    t.equal((await s.chats.get(extra[3]!)).status, 'queued', 'Sue is full at 5')
    await s.routing.setMember(sales, joe, { maxChats: 2 })
    await s.routing.setAvailable(joe, true, 2)
    t.equal((await s.chats.get(extra[3]!)).agentId, joe, 'raising N drains the queue')
  })

  t.test('a stale agent gets nothing new', async (t) => {
    const agent = await newAgent('stale', 'Stale Sam')
    await s.routing.setMember(l1, agent)
    await s.routing.setAvailable(agent, true)
    now += 120_000
    t.notOk((await s.routing.rank(l1)).some((c) => c.agentId === agent), 'past the heartbeat timeout')
    t.equal(await s.routing.sweepStale() > 0, true)
    t.equal((await s.routing.presence(agent)).status, 'unavailable')
    // Read together (the wallboard, the API's group presence), each as it is read alone.
    const together = await s.routing.presences([agent, joe, 'never-here'])
    t.same(together.get(agent), await s.routing.presence(agent))
    t.same(together.get(joe), await s.routing.presence(joe))
    t.match(together.get('never-here'), { status: 'unavailable', maxChats: 0 }, 'an agent with no row: unavailable')
    t.same(await s.routing.presences([]), new Map())
  })

  t.test('cherry picking: chats wait; only active members accept; supervisors may', async (t) => {
    const { chat } = await given.queuedChat(s)
    t.equal((await s.chats.get(chat.id)).status, 'queued', 'never assigned automatically')
    await settled()
    t.ok(s.events.some((e) => e.type === 'agent.alert' && e.reason === 'queued' && e.groupId === l1 && e.chatId === chat.id))
    // Carol is not in Support L1: to her the chat does not exist, as when she opens it.
    await t.rejects(s.chats.acceptChat(chat.id, await s.scope('carol')), { code: 'LC_ERR_CHAT_NOT_FOUND', statusCode: 404 })
    t.equal((await s.chats.get(chat.id)).status, 'queued', 'nothing changed')
    const sam = await s.scope('sam')
    t.same(sam.activeIn, [], 'sam takes no chats himself')
    t.equal((await s.chats.acceptChat(chat.id, sam)).chat.agentId, (await s.user('sam')).id, 'but may pick one as supervisor')
    await t.rejects(s.chats.acceptChat(chat.id, await s.scope('carol')), { code: 'LC_ERR_CHAT_NOT_FOUND', statusCode: 404 },
      'nor does she learn who took it')
    await t.rejects(s.chats.acceptChat(chat.id, await s.scope('bob')), { code: 'LC_ERR_CHAT_TAKEN', statusCode: 409, message: /Already taken by Sam/ },
      'a member of its group who lost the race is told who won')
  })

  t.test('accepting over the limit is refused with the limit named', async (t) => {
    await s.knex('lc_group_members').where({ group_id: l1, agent_id: String((await s.user('bob')).id) }).update({ max_chats: 1 })
    await given.activeChat(s, 'bob')
    const next = await given.queuedChat(s)
    await t.rejects(s.chats.acceptChat(next.chat.id, await s.scope('bob')), { code: 'LC_ERR_AGENT_AT_LIMIT', statusCode: 409, message: /You already have 1 active chats, your limit/ })
    t.equal((await s.chats.get(next.chat.id)).status, 'queued')
  })

  t.test('transfer: to a group, to an agent, auto-assign; bad targets change nothing', async (t) => {
    const { chat, agent } = await given.activeChat(s, 'alice')
    const alice = await s.scope('alice')
    await s.chats.postMessage(chat.id, { kind: 'agent', id: agent.id, name: agent.name }, 'Let me get someone from level 2', null)
    const idleFrom = (await s.chats.get(chat.id)).lastAgentMessageAt
    const l2 = await s.groupId('Support L2')
    await t.rejects(s.chats.transferChat(chat.id, alice, { groupId: 999999, agentId: null, auto: false, comment: '' }), { code: 'LC_ERR_GROUP_NOT_FOUND', statusCode: 422 })
    await s.knex('lc_group_members').where({ group_id: l2, agent_id: String((await s.user('carol')).id) }).update({ active: false })
    await t.rejects(s.chats.transferChat(chat.id, alice, { groupId: l2, agentId: (await s.user('carol')).id, auto: false, comment: '' }), { code: 'LC_ERR_TRANSFER_TARGET', message: /Carol Chen is inactive in Support L2/ })
    await s.knex('lc_group_members').where({ group_id: l2, agent_id: String((await s.user('carol')).id) }).update({ active: true })
    await t.rejects(s.chats.transferChat(chat.id, alice, { groupId: l2, agentId: (await s.user('bob')).id, auto: false, comment: '' }), { code: 'LC_ERR_TRANSFER_TARGET', message: /Bob Brown is not a member of Support L2/ })
    await t.rejects(s.chats.transferChat(chat.id, await s.scope('bob'), { groupId: l2, agentId: null, auto: false, comment: '' }), { code: 'LC_ERR_CHAT_NOT_FOUND' }, 'not bob\'s chat')
    t.equal((await s.chats.get(chat.id)).agentId, agent.id, 'nothing changed')

    const carol = await s.user('carol')
    const moved = await s.chats.transferChat(chat.id, alice, { groupId: l2, agentId: carol.id, auto: false, comment: 'VPN profile is corrupt; needs L2 rights' })
    t.match(moved, { status: 'queued', groupId: l2, transferredTo: carol.id, transferComment: 'VPN profile is corrupt; needs L2 rights', lastAgentMessageAt: idleFrom })
    t.equal((await s.chats.messages(chat.id)).at(-1)!.body, 'You are being transferred to Carol Chen; please stay with us', 'the customer is told')
    t.notOk((await s.chats.transferred(await s.scope('bob'))).some((c) => c.id === chat.id))
    t.ok((await s.chats.transferred(await s.scope('carol'))).some((c) => c.id === chat.id), 'in Carol\'s Transferred tab')
    t.equal((await s.chats.counts(await s.scope('carol'))).transferred >= 1, true)
    await t.rejects(s.chats.transferChat(chat.id, alice, { groupId: l2, agentId: null, auto: false, comment: '' }), { code: 'LC_ERR_CHAT_STATE_CONFLICT', statusCode: 409 }, 'no longer active')
    const accepted = await s.chats.acceptChat(chat.id, await s.scope('carol'))
    t.equal(accepted.chat.agentId, carol.id)
    t.equal(accepted.chat.lastAgentMessageAt, idleFrom, 'idle time is not reset by the transfer')
    t.match(await s.chats.history(chat.id), [{ action: 'started' }, { action: 'accepted' }, { action: 'transferred' }, { action: 'accepted' }])

    // Group + auto-assign into the round-robin Sales group, where only carol is... inactive: back to active, available.
    await s.knex('lc_group_members').where({ group_id: sales, agent_id: carol.id }).update({ active: true })
    const joeFree = await s.routing.setAvailable(joe, false)
    t.equal(joeFree.status, 'unavailable')
    await s.routing.setAvailable(carol.id, true, 3)
    await s.knex('lc_chats').where('group_id', sales).andWhere('status', 'active').update({ status: 'ended' })
    await s.routing.setAvailable(bobby, true, 2)
    const auto = await s.chats.transferChat(chat.id, await s.scope('carol'), { groupId: sales, agentId: null, auto: true, comment: 'Wants a quote' })
    t.equal(auto.status, 'active')
    t.not(auto.agentId, carol.id, 'the chat left carol')
    t.equal(auto.agentId, bobby, 'for the best available agent of Sales')
  })

  t.test('take: a supervisor takes an active chat from an agent; agents cannot', async (t) => {
    await s.knex('lc_group_members').update({ max_chats: 20 })
    const { chat, agent } = await given.activeChat(s, 'alice')
    await t.rejects(s.chats.takeChat(chat.id, await s.scope('bob')), { code: 'LC_ERR_CHAT_NOT_FOUND' })
    const taken = await s.chats.takeChat(chat.id, await s.scope('sam'))
    t.equal(taken.chat.agentId, (await s.user('sam')).id)
    t.equal((await s.chats.messages(chat.id)).at(-1)!.body, 'Sam Supervisor took over the chat')
    await settled()
    t.ok(s.events.some((e) => e.type === 'agent.notice' && e.agentId === agent.id))
    await t.rejects(s.chats.postMessage(chat.id, { kind: 'agent', id: agent.id, name: agent.name }, 'still mine?', null), { code: 'LC_ERR_CHAT_NOT_FOUND' })
  })

  t.test('re-offer: an unanswered auto-assigned chat goes to another agent; one miss leaves its agent available', async (t) => {
    await s.knex('lc_chats').where('group_id', sales).whereIn('status', ['active', 'queued']).update({ status: 'ended' })
    for (const id of [joe, bobby, sue]) await s.routing.setAvailable(id, false)
    await s.routing.setAvailable(sue, true, 5)
    const { chat } = await given.queuedChat(s, { group: 'Sales', name: 'Patient Pat' })
    t.equal((await s.chats.get(chat.id)).agentId, sue)
    await s.routing.setAvailable(bobby, true, 2)
    now += 30_000
    t.equal(await s.distributor.reoffer(), 0, 'not yet: 30 s of 60')
    now += 31_000
    await s.routing.heartbeat([bobby])
    t.equal(await s.distributor.reoffer(), 1)
    const after = await s.chats.get(chat.id)
    t.equal(after.agentId, bobby, 'given to the next agent')
    // One miss is not enough to switch her off (reofferMissesBeforeUnavailable, 3 by default).
    t.match(await s.routing.presence(sue), { status: 'available', missedOffers: 1 })
    await settled()
    t.ok(s.events.some((e) => e.type === 'agent.notice' && e.agentId === sue && /went unanswered for 60 seconds.*\(1 of 3 missed in a row; after 3 you will be made unavailable\)/.test(e.text)))
    t.match(await s.chats.history(chat.id), [{ action: 'started' }, { action: 'assigned' }, { action: 'reoffered' }, { action: 'assigned' }])
    await s.chats.postMessage(chat.id, { kind: 'agent', id: bobby, name: 'Bob' }, 'Hello Pat!', null)
    now += 120_000
    await s.routing.heartbeat([bobby])
    t.equal(await s.distributor.reoffer(), 0, 'an answered chat stays')
  })

  t.test('re-offer: the chat remembers who let it go, so no drain hands it back while another agent can take it', async (t) => {
    await s.knex('lc_chats').where('group_id', sales).whereIn('status', ['active', 'queued']).update({ status: 'ended' })
    for (const id of [joe, bobby, sue]) await s.routing.setAvailable(id, false)
    await s.routing.setAvailable(sue, true, 5)
    const { chat } = await given.queuedChat(s, { group: 'Sales', name: 'Quiet Quinn' })
    t.equal((await s.chats.get(chat.id)).agentId, sue)
    // Bob comes in with room; his last chat ended after Sue's, so idle she ranks before him.
    await s.routing.setAvailable(bobby, true, 2)
    await s.knex('lc_agent_presence').where({ agent_id: bobby }).update({ last_chat_ended_at: now })
    now += 61_000
    await s.routing.heartbeat([sue, bobby])
    const moved = await s.chats.reofferUnanswered(60_000, 3)
    t.same(moved.map((m) => m.agentId), [sue])
    t.equal((await s.chats.get(chat.id)).reofferedFrom, sue, 'in the same transaction that moved it')
    t.match(await s.routing.presence(sue), { status: 'available', missedOffers: 1 }, 'and her miss is counted there too (switching Available on had cleared the last one)')
    t.same((await s.routing.rank(sales)).map((c) => c.agentId), [sue, bobby])
    await s.distributor.drain(sales)
    t.equal((await s.chats.get(chat.id)).agentId, bobby, 'yet the chat is Bob\'s, not back with Sue')
  })

  t.test('transfer to a disabled group is refused with its name; nothing changes', async (t) => {
    await s.knex('lc_group_members').update({ max_chats: 50 })
    const { chat } = await given.activeChat(s, 'alice')
    const l2 = await s.groupId('Support L2')
    await s.routing.updateGroup(l2, { enabled: false })
    t.teardown(async () => { await s.routing.updateGroup(l2, { enabled: true }) })
    await t.rejects(s.chats.transferChat(chat.id, await s.scope('alice'), { groupId: l2, agentId: null, auto: false, comment: '' }), { code: 'LC_ERR_GROUP_NOT_FOUND', statusCode: 422, message: 'Group Support L2 does not exist or takes no chats; pick another group' })
    t.match(await s.chats.get(chat.id), { status: 'active', groupId: l1 })
  })

  t.test('a transfer held for a named agent: others are refused, a supervisor may take it', async (t) => {
    const { chat } = await given.activeChat(s, 'alice')
    const l1Chat = chat.id
    await s.chats.transferChat(l1Chat, await s.scope('alice'), { groupId: l1, agentId: (await s.user('bob')).id, auto: false, comment: 'Bob knows this customer' })
    await t.rejects(s.chats.acceptChat(l1Chat, await s.scope('alice')), { code: 'LC_ERR_CHAT_STATE_CONFLICT', message: /waiting for Bob Brown now, so it cannot be accepted by you/ })
    const sam = await s.scope('sam')
    t.equal((await s.chats.acceptChat(l1Chat, sam)).chat.agentId, sam.id)
  })

  t.test('queue position counts within the group; the customer leaving an assigned chat leaves it with the agent', async (t) => {
    const a = await given.queuedChat(s, { name: 'First' })
    const b = await given.queuedChat(s, { name: 'Second', group: 'Support L2' })
    t.equal(await s.chats.queuePosition(b.chat), 0, 'L2 has its own line')
    t.ok(await s.chats.queuePosition(a.chat) !== undefined)
  })
})
