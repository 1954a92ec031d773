import knexFactory, { type Knex } from 'knex'
import t from 'tap'
import { knexConfig } from '../../knexfile.ts'
import { createChatService, type ChatService } from '../../plugin/chats/service.ts'
import type { Chat } from '../../plugin/chats/types.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { memoryBus } from '../../plugin/realtime/bus.ts'
import { createDistributor } from '../../plugin/routing/distributor.ts'
import { createRoutingService, type RoutingService } from '../../plugin/routing/service.ts'
import { services, type Services } from '../helpers/given.ts'

/**
 * Round robin's batches (docs/design.md §5): a drain gives a whole queue in one transaction,
 * shares it out by load as one chat at a time would, never past an agent's room whatever
 * the plan says, and two instances draining one database at once give no chat twice and
 * no agent too many. On whatever database DATABASE_URL selects.
 */

interface Agent { id: string, name: string }

async function addAgents (knex: Knex, prefix: string, count: number): Promise<Agent[]> {
  const at = Date.now()
  const rows = Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(3, '0')
    return { username: `${prefix}${n}`, name: `${prefix} ${n}`, email: `${prefix}${n}@helpdesk.example`, roles: 'agent', password_hash: 'not-a-password-hash', created_at: at }
  })
  await knex('users').insert(rows)
  const stored = await knex('users').select('id', 'name').whereIn('username', rows.map((r) => r.username)).orderBy('username')
  return stored.map((r: Record<string, unknown>) => ({ id: String(r.id), name: String(r.name) }))
}

async function roundRobinGroup (routing: RoutingService, name: string, limit: number, agents: Agent[]): Promise<number> {
  const departmentId = await routing.createDepartment({ name: `${name} department` })
  const groupId = await routing.createGroup({ departmentId, name, distribution: 'round_robin', defaultMaxChats: limit })
  for (const a of agents) await routing.setMember(groupId, a.id, { active: true })
  return groupId
}

const customer = (i: number) => ({ name: `Customer ${i}`, email: `customer${i}@customer.example`, question: `Question ${i}`, customer: null })

/** Another instance's routing service on the same database: its Available switch drains nothing in the services under test. */
const elsewhere = (knex: Knex, clock?: () => number): RoutingService => createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 60 }, clock })

/** Active chats per agent, straight from the table. */
async function loads (knex: Knex, agents: Agent[]): Promise<Map<string, number>> {
  const rows = await knex('lc_chats').select('agent_id').count({ n: '*' }).where('status', 'active').whereIn('agent_id', agents.map((a) => a.id)).groupBy('agent_id')
  return new Map(rows.map((r: Record<string, unknown>) => [String(r.agent_id), Number(r.n)]))
}

/** Chats with more than one assignment in History or more than one "joined" event. */
async function givenTwice (knex: Knex, chatIds: number[]): Promise<number[]> {
  const h = await knex('lc_chat_history').select('chat_id').count({ n: '*' }).whereIn('chat_id', chatIds).whereIn('action', ['assigned', 'accepted']).groupBy('chat_id')
  const j = await knex('lc_messages').select('chat_id').count({ n: '*' }).whereIn('chat_id', chatIds).andWhere('kind', 'event').andWhere('body', 'like', '% joined the chat').groupBy('chat_id')
  return [...h, ...j].filter((r: Record<string, unknown>) => Number(r.n) > 1).map((r: Record<string, unknown>) => Number(r.chat_id))
}

t.test('a drain gives a whole queue in one transaction of the same few statements, each chat as a single assignment would', async (t) => {
  const s = await services(t)
  const agents = await addAgents(s.knex, 'batcher', 10)
  const groupId = await roundRobinGroup(s.routing, 'Batch', 4, agents)
  const started = []
  for (let i = 0; i < 30; i++) started.push((await s.chats.startChat({ ...customer(i), groupId })).chat)
  t.ok(started.every((c) => c.status === 'queued'), 'with nobody available the 30 chats wait')
  const other = elsewhere(s.knex)
  for (const a of agents) await other.setAvailable(a.id, true, 4)

  const asked: Array<{ sql: string, trx: boolean }> = []
  const count = (q: { sql?: string, __knexTxId?: string }): void => { asked.push({ sql: q.sql ?? '', trx: q.__knexTxId !== undefined }) }
  s.knex.on('query', count)
  await s.distributor.drain(groupId)
  s.knex.off('query', count)
  const inTransaction = asked.filter((q) => q.trx)
  t.equal(asked.filter((q) => /^\s*begin/i.test(q.sql)).length, 1, 'one transaction')
  t.ok(inTransaction.length <= 16, `of ${inTransaction.length} statements for 30 chats (at most 16, however many chats)`)

  const after = await Promise.all(started.map(async (c) => await s.chats.get(c.id)))
  t.ok(after.every((c) => c.status === 'active' && c.autoAssigned), 'every chat is active, auto-assigned')
  t.same([...(await loads(s.knex, agents)).values()], Array(10).fill(3), 'round robin shares them out: 3 each')
  const names = new Map(agents.map((a) => [a.id, a.name]))
  for (const c of after.slice(0, 3)) {
    const events = (await s.chats.messages(c.id)).map((m) => [m.seq, m.kind, m.body])
    t.same(events, [[1, 'text', c.question], [2, 'event', `${names.get(c.agentId!)} joined the chat`]], `chat ${c.id}: the question, then who joined, seq 2`)
    t.same((await s.chats.history(c.id)).map((h) => [h.action, h.actor_name]), [['started', c.customerName], ['assigned', names.get(c.agentId!)]], `chat ${c.id}: started, assigned`)
    t.equal(c.lastSeq, 2)
    t.equal(c.messageCount, 2)
  }
  const facts = await s.knex('lc_chat_facts').select('chat_id', 'agent_id', 'first_assigned_at').whereIn('chat_id', after.map((c) => c.id))
  t.ok(facts.length === 30 && facts.every((f: Record<string, unknown>) => f.agent_id === after.find((c) => c.id === Number(f.chat_id))!.agentId && f.first_assigned_at !== null),
    'the reports\' facts name each chat\'s agent and when it was first assigned')
  const loadsOf = new Map<string, number[]>()
  const withLoads = await s.knex('lc_chat_facts').select('agent_id', 'agent_load').whereIn('chat_id', after.map((c) => c.id))
  for (const f of withLoads as Array<{ agent_id: string, agent_load: number }>) loadsOf.set(f.agent_id, [...loadsOf.get(f.agent_id) ?? [], Number(f.agent_load)].sort())
  t.same([...loadsOf.values()], Array(10).fill([1, 2, 3]), 'each agent\'s three chats carry the load they had as each was given: 1, 2, 3 (docs/reports.md)')
  const words = await s.knex('lc_message_words').countDistinct({ n: 'message_id' }).whereIn('chat_id', after.map((c) => c.id)).andWhere('word', 'joined').first()
  t.equal(Number(words?.n), 30, 'each "joined" event is searchable, as any event')
  await new Promise((resolve) => setImmediate(resolve))
  const heard = (type: string): Set<number> => new Set(s.events.flatMap((e) => {
    if (e.type !== type) return []
    if (e.type === 'chat.updated') return e.chat.status === 'active' ? [e.chat.id] : []
    return e.type === 'agent.chats' || e.type === 'agent.alert' ? [e.chatId] : []
  }))
  for (const type of ['chat.updated', 'agent.chats', 'agent.alert']) {
    const ids = heard(type)
    t.ok(after.every((c) => ids.has(c.id)), `${type} is published for every chat given`)
  }
})

t.test('within a batch the lowest share of capacity goes first, ties to the fewest chats, then the longest since an assignment', async (t) => {
  let now = Date.UTC(2026, 0, 5, 9, 0, 0)
  const clock = (): number => now
  const s = await services(t, { clock })
  const [a, b, c] = await addAgents(s.knex, 'share', 3) as [Agent, Agent, Agent]
  const groupId = await roundRobinGroup(s.routing, 'Shares', 4, [a, b, c])
  const other = elsewhere(s.knex, clock)
  await other.setAvailable(a.id, true, 4)
  // a already has two (given a minute ago), b none of 4, c none of 2.
  for (let i = 0; i < 2; i++) await s.chats.startChat({ ...customer(100 + i), groupId })
  now += 60_000
  await other.setAvailable(b.id, true, 4)
  await other.setAvailable(c.id, true, 2)
  await other.heartbeat([a.id, b.id, c.id])
  t.same([...(await loads(s.knex, [a, b, c]))], [[a.id, 2]], 'a has two chats, b and c none')
  now += 1000
  for (let i = 0; i < 5; i++) await s.chats.startChat({ ...customer(i), groupId })
  // b (0/4) and c (0/2) first; at a share of a half each, c (fewest chats) fills; a and b tie at 2 of 4, and a's last assignment is the older.
  now += 1000
  await s.distributor.drain(groupId)
  t.same(Object.fromEntries(await loads(s.knex, [a, b, c])), { [a.id]: 3, [b.id]: 2, [c.id]: 2 }, 'a 3 of 4, b 2 of 4, c 2 of 2')
})

t.test('a batch keeps every agent within their room and gives only chats still queued, whatever its plan says', async (t) => {
  const s = await services(t)
  const [solo] = await addAgents(s.knex, 'solo', 1) as [Agent]
  const groupId = await roundRobinGroup(s.routing, 'Solo', 3, [solo])
  const chats: Chat[] = []
  for (let i = 0; i < 4; i++) chats.push((await s.chats.startChat({ ...customer(i), groupId })).chat)
  await s.chats.endChat(chats[0]!.id, { kind: 'customer', id: null, name: 'Customer 0' })
  const other = elsewhere(s.knex)
  await other.setAvailable(solo.id, true, 2)
  // A plan that hands the agent everything, the cancelled chat too.
  const { given, seen } = await s.chats.assignQueued(groupId, [solo.id], () => chats.map((c) => ({ chatId: c.id, agentId: solo.id })))
  t.equal(seen, 3, 'the three chats still waiting were read')
  t.same(given.map((c) => c.id), [chats[1]!.id, chats[2]!.id], 'two given: Available for 2 is their room')
  t.equal((await s.chats.get(chats[0]!.id)).status, 'cancelled', 'the cancelled chat stays cancelled')
  t.equal((await s.chats.get(chats[3]!.id)).status, 'queued', 'the last waits')
  const none = await s.chats.assignQueued(groupId, [solo.id], () => [{ chatId: chats[3]!.id, agentId: solo.id }])
  t.same(none.given, [], 'a full agent is given nothing')
})

/** A second knex pool on the database `s` runs on: another process as far as the server can tell (SQLite: the same pool, its one writer). */
async function secondPool (s: Services): Promise<{ knex: Knex, close: () => Promise<void> }> {
  if (s.dialect === 'sqlite') return { knex: s.knex, close: async () => {} }
  const [rows] = await s.knex.raw('select database() as db') as [Array<{ db: string }>]
  const url = new URL(process.env.DATABASE_URL!)
  url.pathname = `/${rows[0]!.db}`
  const knex = knexFactory(knexConfig({ DATABASE_URL: url.href }))
  return { knex, close: async () => { await knex.destroy() } }
}

t.test('two instances draining one database through a burst give no chat twice and no agent too many', async (t) => {
  const s = await services(t)
  const second = await secondPool(s)
  t.teardown(second.close)
  const errors: string[] = []
  const instance = (knex: Knex): { chats: ChatService, routing: RoutingService } => {
    const bus = memoryBus()
    const routing = createRoutingService({ db: knex, bus, settings: { heartbeatTimeoutSeconds: 60 } })
    const chats = createChatService({ db: knex, bus, host: sqlHost(knex, loadManifest().host), routing, settings: { maxMessageLength: 10000 } })
    createDistributor({ chats, routing, bus, log: { error: (obj, msg) => { errors.push(`${msg}: ${(obj as { err?: Error }).err?.message ?? ''}`) } }, settings: { reofferSeconds: 60 } })
    return { chats, routing }
  }
  const one = instance(s.knex)
  const two = instance(second.knex)
  const limit = 5
  const agents = await addAgents(s.knex, 'pair', 12)
  const groupId = await roundRobinGroup(one.routing, 'Pair', limit, agents)
  for (const [i, a] of agents.entries()) await (i % 2 === 0 ? one : two).routing.setAvailable(a.id, true, limit)

  const started = await Promise.all(Array.from({ length: 120 }, async (_, i) => (await (i % 2 === 0 ? one : two).chats.startChat({ ...customer(i), groupId })).chat))
  t.same(errors, [], 'no drain failed on either instance')
  const ids = started.map((c) => c.id)
  const rows = await s.knex('lc_chats').select('status').whereIn('id', ids)
  t.equal(rows.filter((r: { status: string }) => r.status === 'active').length, 12 * limit, 'capacity (12 × 5) is used up')
  t.equal(rows.filter((r: { status: string }) => r.status === 'queued').length, 120 - 12 * limit, 'the rest wait')
  t.same(await givenTwice(s.knex, ids), [], 'no chat was given twice')
  t.same([...(await loads(s.knex, agents)).values()], Array(12).fill(limit), `every agent has exactly ${limit}`)
})
