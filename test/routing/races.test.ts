import knexFactory, { type Knex } from 'knex'
import t from 'tap'
import { knexConfig } from '../../knexfile.ts'
import { createChatService, type ChatService } from '../../plugin/chats/service.ts'
import type { Chat } from '../../plugin/chats/types.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { memoryBus } from '../../plugin/realtime/bus.ts'
import { createDistributor, type Distributor } from '../../plugin/routing/distributor.ts'
import { createRoutingService, type RoutingService } from '../../plugin/routing/service.ts'
import { given, services, type Services } from '../helpers/given.ts'

/**
 * Race safety of routing (docs/design.md §5): however many agents, drains and instances act at
 * once, no chat is given twice and no agent goes over their limit. Runs on whatever
 * database DATABASE_URL selects; the two-instance burst needs a server database.
 */

interface Agent { id: string, username: string, name: string }

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** Host users with the agent role, `prefix001`…, as the host's own admin would add them. */
async function addAgents (knex: Knex, prefix: string, count: number): Promise<Agent[]> {
  const at = Date.now()
  const rows = Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(3, '0')
    return { username: `${prefix}${n}`, name: `${prefix[0]!.toUpperCase()}${prefix.slice(1)} ${n}`, email: `${prefix}${n}@helpdesk.example`, roles: 'agent', password_hash: 'not-a-password-hash', created_at: at }
  })
  for (let i = 0; i < rows.length; i += 100) await knex('users').insert(rows.slice(i, i + 100))
  const stored = await knex('users').select('id', 'username', 'name').whereIn('username', rows.map((r) => r.username)).orderBy('username')
  return stored.map((r: Record<string, unknown>) => ({ id: String(r.id), username: String(r.username), name: String(r.name) }))
}

async function newGroup (routing: RoutingService, name: string, distribution: 'cherry_pick' | 'round_robin', limit: number): Promise<number> {
  const departmentId = await routing.createDepartment({ name: `${name} department` })
  return await routing.createGroup({ departmentId, name, distribution, defaultMaxChats: limit })
}

const customerOf = (i: number) => ({ name: `Customer ${i}`, email: `customer${i}@customer.example`, question: `Question ${i}`, customer: null })

/** Per chat: how many times it was given to an agent (history) and how many "joined" events it holds. */
async function givenCounts (knex: Knex, chatIds: number[]): Promise<{ history: Map<number, number>, joined: Map<number, number> }> {
  const history = new Map<number, number>()
  const joined = new Map<number, number>()
  for (let i = 0; i < chatIds.length; i += 500) {
    const ids = chatIds.slice(i, i + 500)
    const h = await knex('lc_chat_history').select('chat_id').count({ n: '*' }).whereIn('chat_id', ids).whereIn('action', ['assigned', 'accepted']).groupBy('chat_id')
    for (const r of h as Array<Record<string, unknown>>) history.set(Number(r.chat_id), Number(r.n))
    const j = await knex('lc_messages').select('chat_id').count({ n: '*' }).whereIn('chat_id', ids).andWhere('kind', 'event').andWhere('body', 'like', '% joined the chat').groupBy('chat_id')
    for (const r of j as Array<Record<string, unknown>>) joined.set(Number(r.chat_id), Number(r.n))
  }
  return { history, joined }
}

/** Active chats per agent, read straight from the table. */
async function activeByAgent (knex: Knex, agentIds: string[]): Promise<Map<string, number>> {
  const rows = await knex('lc_chats').select('agent_id').count({ n: '*' }).where('status', 'active').whereIn('agent_id', agentIds).whereNull('deleted_at').groupBy('agent_id')
  return new Map(rows.map((r: Record<string, unknown>) => [String(r.agent_id), Number(r.n)]))
}

interface Instance {
  knex: Knex
  chats: ChatService
  routing: RoutingService
  distributor: Distributor
  /** What the distributor logged: a failed drain (a deadlock that escaped the retry, say) lands here. */
  errors: Array<{ msg: string, err: unknown }>
}

/** One app instance: its own knex pool, bus, services and distributor, on a database shared with others. */
function instance (knex: Knex): Instance {
  const manifest = loadManifest()
  const bus = memoryBus()
  const errors: Instance['errors'] = []
  const routing = createRoutingService({ db: knex, bus, settings: { heartbeatTimeoutSeconds: 60 } })
  const chats = createChatService({ db: knex, bus, host: sqlHost(knex, manifest.host), routing, settings: { maxMessageLength: 10000 } })
  const distributor = createDistributor({ chats, routing, bus, log: { error: (obj, msg) => { errors.push({ msg, err: (obj as { err?: unknown }).err }) } }, settings: { reofferSeconds: 60 } })
  return { knex, chats, routing, distributor, errors }
}

/** A second knex pool on the per-file MariaDB database `s` runs on (another process, as far as the server can tell). */
async function secondConnection (s: Services): Promise<Knex> {
  const [rows] = await s.knex.raw('select database() as db') as [Array<{ db: string }>]
  const url = new URL(process.env.DATABASE_URL!)
  url.pathname = `/${rows[0]!.db}`
  return knexFactory(knexConfig({ DATABASE_URL: url.href }))
}

const describeErrors = (errors: Instance['errors']): string[] => errors.map((e) => `${e.msg}: ${(e.err as { code?: string })?.code ?? ''} ${(e.err as Error)?.message ?? String(e.err)}`)

t.test('acceptChat: of 20 agents accepting one queued chat at once, exactly one wins and 19 hear who', async (t) => {
  const s = await services(t)
  const groupId = await newGroup(s.routing, 'Crowd', 'cherry_pick', 4)
  const agents = await addAgents(s.knex, 'racer', 20)
  for (const a of agents) await s.routing.setMember(groupId, a.id, { active: true })
  const scopes = await Promise.all(agents.map(async (a) => await s.scope(a.username)))
  t.ok(scopes.every((sc) => sc.activeIn.includes(groupId)), 'all 20 are active members of the group')

  for (let round = 1; round <= 3; round++) {
    const { chat } = await s.chats.startChat({ ...customerOf(round), groupId })
    const results = await Promise.allSettled(scopes.map(async (scope) => await s.chats.acceptChat(chat.id, scope)))
    const won = results.flatMap((r) => r.status === 'fulfilled' ? [r.value] : [])
    const lost = results.flatMap((r) => r.status === 'rejected' ? [r.reason as { code?: string, statusCode?: number, message: string }] : [])
    t.equal(won.length, 1, `round ${round}: exactly one accept succeeds`)
    const winner = agents.find((a) => a.id === won[0]?.chat.agentId)
    t.ok(winner, `round ${round}: the winner is one of the 20`)
    t.equal(lost.length, 19, `round ${round}: the other 19 are refused`)
    t.same(lost.filter((e) => e.code !== 'LC_ERR_CHAT_TAKEN' || e.statusCode !== 409 || e.message !== `Already taken by ${winner?.name}`).map((e) => `${e.code}: ${e.message}`), [],
      `round ${round}: every loser gets 409 LC_ERR_CHAT_TAKEN "Already taken by ${winner?.name}"`)

    const stored = await s.chats.get(chat.id)
    t.equal(stored.status, 'active')
    t.equal(stored.agentId, winner?.id, `round ${round}: chat.agentId is the winner`)
    const events = (await s.chats.messages(chat.id)).filter((m) => m.kind === 'event')
    t.same(events.map((m) => m.body), [`${winner?.name} joined the chat`], `round ${round}: exactly one "joined" event is stored`)
    t.same((await s.chats.history(chat.id)).filter((h) => h.action === 'accepted').map((h) => h.actor_name), [winner?.name], `round ${round}: one accepted history row`)
  }
})

t.test('claimCapacity: a manual accept racing auto-assignment for the same agent never takes them over their limit', async (t) => {
  const s = await services(t)
  const limit = 3
  const rounds = 8
  const agents = await addAgents(s.knex, 'juggler', rounds)
  // Another instance's routing service: its Available switch drains nothing here, so the queue waits for the race below.
  const elsewhere = createRoutingService({ db: s.knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 60 } })
  let mixed = 0
  for (const [round, agent] of agents.entries()) {
    // The agent picks from a cherry-picking queue and is fed by a round-robin group, both with the same limit.
    const picked = await newGroup(s.routing, `Picked ${round}`, 'cherry_pick', limit)
    const robin = await newGroup(s.routing, `Robin ${round}`, 'round_robin', limit)
    await s.routing.setMember(picked, agent.id, { active: true })
    await s.routing.setMember(robin, agent.id, { active: true })
    const scope = await s.scope(agent.username)
    const start = async (i: number, groupId: number): Promise<Chat> => (await s.chats.startChat({ ...customerOf(100 * round + i), groupId })).chat
    const waiting = await Promise.all([0, 1, 2, 3, 4].map(async (i) => await start(i, picked)))
    const arrived = await Promise.all([5, 6, 7, 8, 9].map(async (i) => await start(i, robin)))
    t.ok(arrived.every((c) => c.status === 'queued'), `round ${round}: round-robin chats wait while the agent is unavailable`)
    await elsewhere.setAvailable(agent.id, true, limit)

    // Five manual accepts, a drain and five direct auto-assignments (what another instance's drain does), each
    // started after a few turns of the event loop, in a different interleaving each round.
    const work: Array<() => Promise<unknown>> = [
      ...waiting.map((c) => async () => await s.chats.acceptChat(c.id, scope)),
      async () => { await s.distributor.drain(robin) },
      ...arrived.map((c) => async () => await s.chats.assignChat(c.id, agent.id))
    ]
    const settled = await Promise.allSettled(work.map(async (fn, i) => {
      for (let turns = (i * (round + 3) + round) % work.length; turns > 0; turns--) await new Promise((resolve) => setImmediate(resolve))
      return await fn()
    }))
    const failures = settled.flatMap((r) => r.status === 'rejected' ? [(r.reason as { code?: string }).code ?? String(r.reason)] : [])
    t.ok(failures.every((code) => code === 'LC_ERR_AGENT_AT_LIMIT'), `round ${round}: accepts are refused only for the limit (${failures.join(', ') || 'none refused'})`)
    const mine = await s.chats.agentChats(agent.id, 'active')
    const manual = mine.filter((c) => c.groupId === picked).length
    const auto = mine.filter((c) => c.groupId === robin).length
    if (manual > 0 && auto > 0) mixed++
    t.equal(mine.length, limit, `round ${round}: the agent ends with exactly ${limit} chats (${manual} accepted, ${auto} auto-assigned), never more`)
    t.equal(manual, 5 - failures.length, `round ${round}: every accept that succeeded holds a chat, every refused one none`)
    const rows = await s.knex('lc_chats').select('status', 'agent_id').whereIn('group_id', [picked, robin])
    t.same(rows.filter((c: { status: string, agent_id: string | null }) => !(c.status === 'queued' && c.agent_id === null) && !(c.status === 'active' && c.agent_id === agent.id)), [],
      `round ${round}: every chat is either the agent's or still queued`)
    const counts = await givenCounts(s.knex, mine.map((c) => c.id))
    t.ok([...counts.history.values(), ...counts.joined.values()].every((n) => n === 1) && counts.history.size === limit, `round ${round}: each chat was given once`)
  }
  t.ok(mixed > 0, `the race really interleaved: ${mixed} of ${rounds} rounds ended with both accepted and auto-assigned chats`)
})

t.test('reoffer: an auto-assigned chat left unanswered goes back to the queue and on to another agent', async (t) => {
  let now = Date.UTC(2026, 0, 5, 9, 0, 0)
  const s = await services(t, { clock: () => now })
  const groupId = await newGroup(s.routing, 'Relay', 'round_robin', 2)
  const [first, second] = await addAgents(s.knex, 'relay', 2) as [Agent, Agent]
  for (const a of [first, second]) {
    await s.routing.setMember(groupId, a.id, { active: true })
    await given.available(s, a.username, 1)
  }

  const { chat } = await s.chats.startChat({ ...customerOf(1), groupId })
  t.equal(chat.status, 'active', 'round robin gave the chat at once')
  t.ok(chat.autoAssigned, 'as an auto-assignment')
  const slow = chat.agentId === first.id ? first : second
  const other = slow === first ? second : first
  t.equal(chat.agentId, slow.id)

  now += 30_000
  await s.routing.heartbeat([first.id, second.id])
  t.equal(await s.distributor.reoffer(), 0, 'nothing moves before reofferSeconds')
  t.equal((await s.chats.get(chat.id)).agentId, slow.id)

  now += 31_000
  // Both consoles are open: it is the silence that counts, not a stale heartbeat.
  await s.routing.heartbeat([first.id, second.id])
  t.equal(await s.distributor.reoffer(), 1, 'the unanswered chat is re-offered')
  const moved = await s.chats.get(chat.id)
  t.equal(moved.status, 'active', 'and given again at once')
  t.equal(moved.agentId, other.id, 'to the other agent')
  t.match(await s.routing.presence(slow.id), { status: 'available', missedOffers: 1 }, 'one miss leaves the silent agent available, counted')
  t.equal((await s.routing.presence(other.id)).status, 'available')
  t.same((await s.chats.history(chat.id)).map((h) => [h.action, h.actor_name]).filter(([a]) => a !== 'started'),
    [['assigned', slow.name], ['reoffered', 'Live chat'], ['assigned', other.name]], 'history: assigned, reoffered, assigned')
  const events = (await s.chats.messages(chat.id)).filter((m) => m.kind === 'event').map((m) => m.body)
  t.same(events, [`${slow.name} joined the chat`, 'Connecting you with another agent', `${other.name} joined the chat`], 'the customer sees the hand-over')
  await sleep(10)
  t.ok(s.events.some((e) => e.type === 'agent.notice' && e.agentId === slow.id && /went unanswered for 60 seconds/.test(e.text)), 'the silent agent is told why')
  t.same((await s.chats.agentChats(slow.id, 'active')).map((c) => c.id), [], 'the silent agent no longer has it')

  // The new agent answers: however long they then take, the chat stays theirs.
  await s.chats.postMessage(chat.id, { kind: 'agent', id: other.id, name: other.name }, 'Hello, I am here', null)
  now += 120_000
  await s.routing.heartbeat([first.id, second.id])
  t.equal(await s.distributor.reoffer(), 0, 'an answered chat is not re-offered')
  t.equal((await s.chats.get(chat.id)).agentId, other.id)

  // With nobody else able to take it, a re-offered chat comes back to the agent who missed it.
  const next = await s.chats.startChat({ ...customerOf(2), groupId })
  t.equal(next.chat.agentId, slow.id, 'the other agent is full (Available for 1): the silent one, still available, gets it')
  now += 61_000
  await s.routing.heartbeat([first.id, second.id])
  t.equal(await s.distributor.reoffer(), 1)
  const back = await s.chats.get(next.chat.id)
  t.equal(back.status, 'active', 'nobody else could take it: it is offered to them again')
  t.equal(back.agentId, slow.id)
  t.equal(back.queuedAt, next.chat.queuedAt, 'from its old place in line')
  t.match(await s.routing.presence(slow.id), { status: 'available', missedOffers: 2 }, 'their second miss in a row')

  // The third in a row makes them unavailable: now the chat waits in the queue.
  now += 61_000
  await s.routing.heartbeat([first.id, second.id])
  t.equal(await s.distributor.reoffer(), 1)
  const waiting = await s.chats.get(next.chat.id)
  t.equal(waiting.status, 'queued', 'nobody could take it: it waits')
  t.equal(waiting.agentId, null)
  t.equal(waiting.queuedAt, next.chat.queuedAt, 'at its old place in line')
  t.equal((await s.routing.presence(slow.id)).status, 'unavailable', 'the silent agent became unavailable')
  await s.routing.setAvailable(slow.id, true, 1)
  t.equal((await s.chats.get(next.chat.id)).agentId, slow.id, 'switching Available back on drains the queue to them')
})

// The UPDATE that moves a re-offered chat re-checks that its agent still has not written,
// so an answer committed between the job's read and its UPDATE keeps the chat where it is.
t.test('reoffer: a chat its agent answers while the re-offer job runs stays with them', async (t) => {
  let now = Date.UTC(2026, 0, 5, 9, 0, 0)
  const s = await services(t, { clock: () => now })
  const groupId = await newGroup(s.routing, 'Late', 'round_robin', 2)
  const [agent] = await addAgents(s.knex, 'late', 1) as [Agent]
  await s.routing.setMember(groupId, agent.id, { active: true })
  await given.available(s, agent.username, 2)
  const { chat } = await s.chats.startChat({ ...customerOf(1), groupId })
  t.equal(chat.agentId, agent.id)
  now += 61_000
  await s.routing.heartbeat([agent.id])
  // The job's own service runs on a connection that holds its transaction back until the
  // reply is committed: so the job has listed the chat as unanswered (its read is done) when
  // the agent's first reply lands, on every run and on both databases.
  let listed!: () => void
  const atTransaction = new Promise<void>((resolve) => { listed = resolve })
  let release!: () => void
  const replied = new Promise<void>((resolve) => { release = resolve })
  const held = new Proxy(s.knex, {
    get (target, prop, receiver) {
      if (prop !== 'transaction') return Reflect.get(target, prop, receiver)
      return async (...args: Parameters<Knex['transaction']>) => { listed(); await replied; return await target.transaction(...args) }
    }
  })
  const jobChats = createChatService({ db: held, bus: s.bus, host: s.host, routing: s.routing, settings: { maxMessageLength: 10000 }, clock: () => now })
  const job = jobChats.reofferUnanswered(60_000, 3)
  await atTransaction
  const answered = await s.chats.postMessage(chat.id, { kind: 'agent', id: agent.id, name: agent.name }, 'Hello, looking at it now', null)
  release()
  const moved = (await job).length
  t.equal(answered.duplicate, false, 'the reply is stored and sent to the customer')
  const after = await s.chats.get(chat.id)
  t.equal(after.lastAgentMessageAt, now, 'the chat records the answer')
  t.equal(moved, 0, 'so the job moves nothing')
  t.equal(after.status, 'active', 'the chat stays active')
  t.equal(after.agentId, agent.id, 'with the agent who answered')
  t.match(await s.routing.presence(agent.id), { status: 'available', missedOffers: 0 }, 'who stays available, with no miss counted')
  t.notOk((await s.chats.messages(chat.id)).some((m) => m.body === 'Connecting you with another agent'), 'the customer is not told they are being moved after the agent answered')
})

const skipBurst = process.env.DATABASE_URL
  ? false
  : 'needs MariaDB/MySQL: two app instances cannot share the per-file in-memory SQLite database (one process, one connection); set DATABASE_URL=mysql://… to run it'

t.test('distributor: 500 chats in a burst onto 50 round-robin agents on two instances', { skip: skipBurst }, async (t) => {
  const s = await services(t)
  const second = await secondConnection(s)
  let closed = false
  const closeSecond = async (): Promise<void> => { if (!closed) { closed = true; await second.destroy() } }
  t.teardown(closeSecond)
  const a = instance(s.knex)
  const b = instance(second)
  const limit = 3
  const groupId = await newGroup(a.routing, 'Burst', 'round_robin', limit)
  const agents = await addAgents(s.knex, 'robin', 50)
  const agentIds = agents.map((x) => x.id)
  for (const agent of agents) {
    await a.routing.setMember(groupId, agent.id, { active: true })
    await (agent.username.endsWith('0') ? b : a).routing.setAvailable(agent.id, true, limit)
  }
  t.equal(await a.routing.availableIn(groupId), 50, 'all 50 agents are available with a fresh heartbeat')

  // Watch every agent's load while the burst runs; meanwhile the consoles keep beating (on instance b).
  const watch = { on: true, samples: 0, worst: 0, beats: 0 }
  const watcher = (async () => {
    while (watch.on) {
      const counts = await activeByAgent(s.knex, agentIds)
      watch.worst = Math.max(watch.worst, ...counts.values())
      watch.samples++
      await sleep(2)
    }
  })()
  const beater = (async () => {
    while (watch.on) {
      await b.routing.heartbeat(agentIds)
      watch.beats++
      await sleep(20)
    }
  })()

  const chats = 500
  const began = Date.now()
  const started = await Promise.allSettled(Array.from({ length: chats }, async (_, i) =>
    await (i % 2 === 0 ? a : b).chats.startChat({ ...customerOf(i), groupId })))
  watch.on = false
  await Promise.all([watcher, beater])
  t.comment(`burst of ${chats} chats over two instances took ${Date.now() - began} ms; load sampled ${watch.samples} times, ${watch.beats} heartbeats`)
  t.same(started.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)), [], 'every chat was stored')
  t.same(describeErrors([...a.errors, ...b.errors]), [], 'no drain failed on either instance (no deadlock escaped the retry)')
  t.ok(watch.worst <= limit, `no agent was seen over the limit while the burst ran (most seen: ${watch.worst})`)

  const ids = started.flatMap((r) => r.status === 'fulfilled' ? [r.value.chat.id] : [])
  const rows = await s.knex('lc_chats').select('id', 'status', 'agent_id').whereIn('id', ids)
  t.equal(rows.length, chats)
  const active = rows.filter((r: { status: string, agent_id: string | null }) => r.status === 'active' && r.agent_id !== null)
  const queued = rows.filter((r: { status: string, agent_id: string | null }) => r.status === 'queued' && r.agent_id === null)
  t.equal(active.length + queued.length, chats, 'every chat is either active with an agent or queued')
  t.equal(active.length, 50 * limit, 'capacity (50 × 3) is used up')
  t.equal(queued.length, chats - 50 * limit, 'the rest wait')

  const counts = await givenCounts(s.knex, ids)
  t.same([...counts.history].filter(([, n]) => n > 1), [], 'no chat has two assigned/accepted history rows')
  t.same([...counts.joined].filter(([, n]) => n > 1), [], 'no chat has two "joined" events')
  t.equal(counts.history.size, active.length, 'every active chat has exactly one assignment')
  t.equal(counts.joined.size, active.length, 'and one "joined" event')
  const load = await activeByAgent(s.knex, agentIds)
  t.same(agents.filter((x) => load.get(x.id) !== limit).map((x) => `${x.username}: ${load.get(x.id) ?? 0}`), [], `round robin filled every agent to exactly ${limit}`)
  // No chat ended during the burst, so an agent's assignments are the most they ever held at once.
  const perAgent = await s.knex('lc_chat_history').select('actor_id').count({ n: '*' }).whereIn('chat_id', ids).whereIn('action', ['assigned', 'accepted']).groupBy('actor_id')
  t.same(perAgent.filter((r: Record<string, unknown>) => Number(r.n) > limit), [], 'no agent was ever given more than their limit')

  // Free 20 slots on both instances at once: the 20 oldest waiting chats fill them.
  const line = await s.knex('lc_chats').select('id').whereIn('id', ids).andWhere('status', 'queued').orderBy([{ column: 'queued_at' }, { column: 'id' }])
  const oldest = line.slice(0, 20).map((r: { id: number }) => Number(r.id))
  const enders = agents.slice(0, 20)
  const ending: Chat[] = []
  for (const agent of enders) ending.push((await a.chats.agentChats(agent.id, 'active'))[0]!)
  const ended = await Promise.allSettled(ending.map(async (c, i) => {
    const agent = enders[i]!
    return await (i % 2 === 0 ? a : b).chats.endChat(c.id, { kind: 'agent', id: agent.id, name: agent.name })
  }))
  t.same(ended.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)), [], '20 chats ended')
  t.same(describeErrors([...a.errors, ...b.errors]), [], 'no drain failed')

  const after = await s.knex('lc_chats').select('id', 'status', 'agent_id').whereIn('id', ids)
  const nowActive = new Set(after.filter((r: { status: string }) => r.status === 'active').map((r: { id: number }) => Number(r.id)))
  t.equal(nowActive.size, 50 * limit, 'the freed capacity is used again at once')
  t.same(oldest.filter((id: number) => !nowActive.has(id)), [], 'by the 20 oldest waiting chats')
  t.equal(after.filter((r: { status: string }) => r.status === 'queued').length, chats - 50 * limit - 20, 'and only by them')
  const refill = await givenCounts(s.knex, ids)
  t.same([...refill.history].filter(([, n]) => n > 1), [], 'still no chat given twice')
  const finalLoad = await activeByAgent(s.knex, agentIds)
  t.same([...finalLoad].filter(([, n]) => n > limit), [], 'and nobody over the limit')
  t.same(enders.filter((x) => finalLoad.get(x.id) !== limit).map((x) => x.username), [], 'each freed slot went back to the agent who freed it (the only one with room)')

  // Waves of ends on both instances: each wave's freed capacity takes the oldest waiting chats, until none wait.
  const order = (await s.knex('lc_chats').select('id').whereIn('id', ids).andWhere('status', 'queued').orderBy([{ column: 'queued_at' }, { column: 'id' }])).map((r: { id: number }) => Number(r.id))
  for (let wave = 1; wave <= 3; wave++) {
    const current = await s.knex('lc_chats').select('id', 'agent_id').whereIn('id', ids).andWhere('status', 'active')
    await Promise.all(current.map(async (r: { id: number, agent_id: string }, i: number) => {
      const agent = agents.find((x) => x.id === r.agent_id)!
      await (i % 2 === 0 ? a : b).chats.endChat(Number(r.id), { kind: 'agent', id: agent.id, name: agent.name })
    }))
    const waiting = (await s.knex('lc_chats').select('id').whereIn('id', ids).andWhere('status', 'queued')).map((r: { id: number }) => Number(r.id)).sort((x: number, y: number) => x - y)
    const expected = order.slice(Math.min(order.length, wave * 50 * limit)).sort((x: number, y: number) => x - y)
    t.same(waiting, expected, `wave ${wave}: ${current.length} chats ended, the ${order.length - expected.length} oldest of the line are taken, the ${expected.length} youngest still wait`)
    const load = await activeByAgent(s.knex, agentIds)
    t.same([...load].filter(([, n]) => n > limit), [], `wave ${wave}: nobody over the limit`)
  }
  t.same(describeErrors([...a.errors, ...b.errors]), [], 'no drain failed while the queue drained')
  const assigned = await s.knex('lc_chat_history').select('chat_id').count({ n: '*' }).whereIn('chat_id', order).andWhere('action', 'assigned').groupBy('chat_id')
  t.equal(assigned.filter((r: Record<string, unknown>) => Number(r.n) === 1).length, order.length, 'each chat that waited was assigned exactly once')
  const finalCounts = await givenCounts(s.knex, ids)
  t.same([...finalCounts.history].filter(([, n]) => n > 1), [], 'no chat was ever given twice')
  t.same([...finalCounts.joined].filter(([, n]) => n > 1), [], 'no chat has two "joined" events')
  await closeSecond()
})
