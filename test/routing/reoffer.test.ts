import type { Knex } from 'knex'
import t from 'tap'
import { createAdminViews } from '../../plugin/admin/view-models.ts'
import { createChatService, type ChatService } from '../../plugin/chats/service.ts'
import type { AgentScope } from '../../plugin/chats/types.ts'
import { createConsoleViews } from '../../plugin/console/view-models.ts'
import type { HostAdapter } from '../../plugin/host/adapter.ts'
import { memoryBus } from '../../plugin/realtime/bus.ts'
import type { Bus, BusEvent } from '../../plugin/realtime/bus-events.ts'
import { createDistributor, type Distributor } from '../../plugin/routing/distributor.ts'
import { createRoutingService, type RoutingService } from '../../plugin/routing/service.ts'
import { pluginViews } from '../../plugin/web/views.ts'
import { services } from '../helpers/given.ts'

/**
 * Re-offer (docs/features.md#re-offer; docs/design.md §5): a chat round robin gave an agent who
 * does not answer within reofferSeconds (60) goes to the next agent, and the agent is made
 * unavailable only after reofferMissesBeforeUnavailable (3) such misses in a row, told each
 * time. Runs on whatever database DATABASE_URL selects.
 */

interface Agent { id: string, name: string }

/** One app instance on the desk's database: its own bus, services and distributor, as after a start. */
interface Instance {
  bus: Bus
  events: BusEvent[]
  routing: RoutingService
  chats: ChatService
  distributor: Distributor
}

const settled = async (): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, 20)) }
const customer = (i: number) => ({ name: `Customer ${i}`, email: `customer${i}@customer.example`, question: `Question ${i}`, customer: null })

/**
 * A fresh database with one round-robin group (limit 2) and a clock the test moves. `misses`
 * is reofferMissesBeforeUnavailable; left out, the distributor falls back to its documented default.
 */
async function desk (t: Parameters<typeof services>[0], misses?: number) {
  let now = Date.UTC(2026, 0, 5, 9, 0, 0)
  const clock = (): number => now
  const s = await services(t, { clock })
  const instance = (): Instance => {
    const bus = memoryBus()
    const events: BusEvent[] = []
    bus.subscribe((e) => { events.push(e) })
    const routing = createRoutingService({ db: s.knex, bus, settings: { heartbeatTimeoutSeconds: 60 }, clock })
    const chats = createChatService({ db: s.knex, bus, host: s.host, routing, settings: { maxMessageLength: 10000 }, clock })
    const settings = misses === undefined ? { reofferSeconds: 60 } : { reofferSeconds: 60, reofferMissesBeforeUnavailable: misses }
    const distributor = createDistributor({ chats, routing, bus, log: { error: (obj, msg) => { throw Object.assign(new Error(msg), obj) } }, settings, clock })
    return { bus, events, routing, chats, distributor }
  }
  const app = instance()
  const departmentId = await app.routing.createDepartment({ name: 'Relay desk' })
  const groupId = await app.routing.createGroup({ departmentId, name: 'Relay', distribution: 'round_robin', defaultMaxChats: 2 })
  const agents: Agent[] = []

  return {
    knex: s.knex as Knex,
    host: s.host as HostAdapter,
    app,
    instance,
    groupId,
    now: () => now,
    /** A host agent, active in the group (limit `n` unless told) and available for `n` chats with a console open. */
    async agent (username: string, name: string, n: number, limit?: number): Promise<Agent> {
      const [id] = await s.knex('users').insert({ username, name, email: `${username}@helpdesk.example`, roles: 'agent', password_hash: 'x', created_at: now })
      const agent = { id: String(id), name }
      await app.routing.setMember(groupId, agent.id, { active: true, maxChats: limit ?? n })
      await app.routing.setAvailable(agent.id, true, n)
      agents.push(agent)
      return agent
    },
    /** Time passes; every agent's console stays open (it is the silence that counts, not a stale heartbeat). */
    /** Forgets the bus events so far (once delivered): what follows is what the next step published. */
    async quiet (on: Instance = app): Promise<void> {
      await settled()
      on.events.length = 0
    },
    async later (ms: number): Promise<void> {
      now += ms
      await app.routing.heartbeat(agents.map((a) => a.id))
    },
    async start (i: number, on: Instance = app) {
      return (await on.chats.startChat({ ...customer(i), groupId })).chat
    },
    async answer (chatId: number, agent: Agent, on: Instance = app): Promise<void> {
      await on.chats.postMessage(chatId, { kind: 'agent', id: agent.id, name: agent.name }, 'Hello, looking at it now', null)
    },
    /**
     * `busy` holds the first chat, answered (its offer is settled), and `next` is available
     * again with room for `max`: round robin then offers the coming chats to `next` first.
     * Returns the first chat.
     */
    async answeredFirst (busy: Agent, next: Agent, max: number) {
      await app.routing.setAvailable(next.id, false)
      const first = await this.start(1)
      await this.answer(first.id, busy)
      await app.routing.setAvailable(next.id, true, max)
      return first
    },
    notices (agent: Agent, on: Instance = app): string[] {
      return on.events.flatMap((e) => e.type === 'agent.notice' && e.agentId === agent.id ? [e.text] : [])
    },
    /** The re-offer History rows of a chat, with their data. */
    async reoffers (chatId: number, on: Instance = app): Promise<Array<Record<string, unknown>>> {
      return (await on.chats.history(chatId)).filter((h) => h.action === 'reoffered').map((h) => JSON.parse(h.data ?? '{}') as Record<string, unknown>)
    },
    /** What a supervisor of every group sees beside each agent on Active Live Chat Groups. */
    async activeGroups (on: Instance = app): Promise<Map<string, string | null>> {
      const views = createAdminViews({
        base: '/livechat',
        routing: on.routing,
        chats: on.chats,
        host: s.host,
        clock,
        settings: { queuePositionMessage: '', queuePositionMessageOne: '', queueNextMessage: '', heartbeatTimeoutSeconds: 60, reofferMissesBeforeUnavailable: misses ?? 3 }
      })
      const scope: AgentScope = { id: 'supervisor', name: 'Supervisor', activeIn: [], visible: 'all', supervise: true }
      const model = await views.agentGroups(scope)
      return new Map(model.agents.map((a) => [a.agentId, a.missedOffers]))
    },
    /** The History tab's lines of a chat, as its agent or a supervisor reads them. */
    async historyLines (chatId: number, on: Instance = app): Promise<string[]> {
      const views = createConsoleViews({ base: '/livechat', chats: on.chats, routing: on.routing, host: s.host, views: pluginViews(), clock, settings: { purgeAfterDays: 90, idleWarningSeconds: 120, idleHighSeconds: 300 } })
      return (await views.history(chatId)).entries.map((e) => `${e.who}: ${e.what}`)
    }
  }
}

const oneOfThree = 'A chat assigned to you went unanswered for 60 seconds and went back to the queue for the next available agent (1 of 3 missed in a row; after 3 you will be made unavailable). Answering a chat given to you starts the count again.'

t.test('one missed offer: the chat goes to another available agent, not back; its agent stays available and is told 1 of 3', async (t) => {
  const d = await desk(t)
  const ann = await d.agent('ann', 'Ann Archer', 2)
  const ben = await d.agent('ben', 'Ben Bishop', 2)
  const first = await d.start(1)
  const busy = first.agentId === ann.id ? ann : ben
  const slow = busy === ann ? ben : ann
  await d.answer(first.id, busy)
  const chat = await d.start(2)
  t.equal(chat.agentId, slow.id, 'round robin gives the second chat to the idle agent')

  await d.later(30_000)
  t.equal(await d.app.distributor.reoffer(), 0, 'nothing moves before reofferSeconds')
  await d.later(31_000)
  await d.quiet()
  t.equal(await d.app.distributor.reoffer(), 1, 'the unanswered chat is re-offered; the answered one stays')
  // Back in the queue the silent agent, with no chat, ranks before the busy one with one: it goes to the busy one all the same.
  const moved = await d.app.chats.get(chat.id)
  t.equal(moved.status, 'active')
  t.equal(moved.agentId, busy.id, 'given to the next agent, not back to the one who missed it')
  t.equal((await d.app.chats.get(first.id)).agentId, busy.id)
  t.match(await d.app.routing.presence(slow.id), { status: 'available', missedOffers: 1 }, 'the silent agent stays available, one miss counted')
  t.match(await d.app.routing.presence(busy.id), { status: 'available', missedOffers: 0 })
  await settled()
  t.same(d.notices(slow), [oneOfThree], 'told why, and how far from being made unavailable')
  t.notOk(d.app.events.some((e) => e.type === 'presence.changed' && e.agentId === slow.id), 'their availability did not change')
  t.same(await d.reoffers(chat.id), [{ agent: slow.id, afterMs: 60_000, missed: 1, limit: 3, madeUnavailable: false }])
  t.same((await d.app.chats.history(chat.id)).map((h) => h.action), ['started', 'assigned', 'reoffered', 'assigned'])
  t.match((await d.historyLines(chat.id)).join('\n'), `Live chat: Gave the chat back to distribution: ${slow.name} did not answer within 60 seconds; 1 of 3 missed in a row`)
  t.equal((await d.activeGroups()).get(slow.id), 'Missed 1 offer in a row', 'supervisors see it beside the agent')
  t.equal((await d.activeGroups()).get(busy.id), null)
})

t.test('three offers missed in a row make the agent unavailable, told why; the chat then waits for someone who can take it', async (t) => {
  const d = await desk(t)
  const ann = await d.agent('ann', 'Ann Archer', 1)
  const ben = await d.agent('ben', 'Ben Bishop', 3)
  // Ben has a chat he answered, so each new chat goes to Ann first (0 of 1 against 1 of 3, then 2 of 3).
  const first = await d.answeredFirst(ben, ann, 1)
  t.equal(first.agentId, ben.id)

  await d.quiet()
  const missed = []
  let mark = 0
  for (let i = 1; i <= 3; i++) {
    const chat = await d.start(i + 1)
    t.equal(chat.agentId, ann.id, `chat ${i} goes to Ann`)
    await d.later(61_000)
    if (i === 3) { await settled(); mark = d.app.events.length }
    t.equal(await d.app.distributor.reoffer(), 1, `Ann misses chat ${i}`)
    missed.push(chat.id)
    const after = await d.app.chats.get(chat.id)
    if (i < 3) {
      t.equal(after.agentId, ben.id, `chat ${i} goes on to Ben`)
      await d.answer(chat.id, ben)
      t.match(await d.app.routing.presence(ann.id), { status: 'available', missedOffers: i }, `${i} missed, still available`)
    } else {
      t.equal(after.status, 'queued', 'the third waits: Ann is off and Ben is full')
      t.equal(after.agentId, null)
      t.equal(after.reofferedFrom, ann.id)
    }
  }
  t.match(await d.app.routing.presence(ann.id), { status: 'unavailable', missedOffers: 3 }, 'the third miss in a row made Ann unavailable')
  await settled()
  t.same(d.notices(ann), [
    oneOfThree,
    oneOfThree.replace('1 of 3', '2 of 3'),
    'A chat assigned to you went unanswered for 60 seconds and went back to the queue for the next available agent. That is 3 missed in a row, so you are now unavailable; switch Available back on when you are ready.'
  ], 'each miss told, the last with why she is off')
  t.ok(d.app.events.slice(mark).some((e) => e.type === 'presence.changed' && e.agentId === ann.id), 'her console\'s Available switch follows')
  t.same(await d.reoffers(missed[2]!), [{ agent: ann.id, afterMs: 60_000, missed: 3, limit: 3, madeUnavailable: true }])
  t.match((await d.historyLines(missed[2]!)).join('\n'), `Gave the chat back to distribution: ${ann.name} did not answer within 60 seconds; 3 missed in a row, so they were made unavailable`)
  t.equal((await d.activeGroups()).get(ann.id), 'Made unavailable after missing 3 offers in a row', 'supervisors see why she is off')

  // Switching Available back on starts the count again; nobody else can take the waiting chat, so it comes back to her.
  await d.app.routing.setAvailable(ann.id, true, 1)
  t.match(await d.app.routing.presence(ann.id), { status: 'available', missedOffers: 0 })
  t.equal((await d.app.chats.get(missed[2]!)).agentId, ann.id)
  t.equal((await d.activeGroups()).get(ann.id), null)
})

t.test('an answer in between starts the count again; only a first answer to an offer counts', async (t) => {
  const d = await desk(t)
  const ann = await d.agent('ann', 'Ann Archer', 2)
  const ben = await d.agent('ben', 'Ben Bishop', 2)
  const slowOf = async (i: number) => {
    const chat = await d.start(i)
    return { chat, agent: chat.agentId === ann.id ? ann : ben, other: chat.agentId === ann.id ? ben : ann }
  }
  // Ann (or Ben) misses one offer...
  const a = await slowOf(1)
  await d.later(61_000)
  t.equal(await d.app.distributor.reoffer(), 1)
  await d.answer(a.chat.id, a.other)
  t.equal((await d.app.routing.presence(a.agent.id)).missedOffers, 1)
  // ...then answers the next one given to them: the run ends.
  const b = await d.start(2)
  t.equal(b.agentId, a.agent.id, 'the next chat goes to the one with none')
  await d.answer(b.id, a.agent)
  t.equal((await d.app.routing.presence(a.agent.id)).missedOffers, 0, 'the answer ended the run')
  t.equal((await d.app.chats.get(b.id)).agentId, a.agent.id)
  // Missing one after that is 1 of 3 again, not 2 of 3 (the other agent is full, so the next chat is theirs).
  await d.app.routing.setAvailable(a.other.id, true, 1)
  const c = await d.start(3)
  t.equal(c.agentId, a.agent.id)
  await d.later(61_000)
  t.equal(await d.app.distributor.reoffer(), 1)
  await settled()
  t.same(d.notices(a.agent), [oneOfThree, oneOfThree], 'both times 1 of 3')
  t.equal((await d.app.routing.presence(a.agent.id)).missedOffers, 1)
  // Writing again in a chat answered before is not answering an offer: the miss stands.
  await d.answer(b.id, a.agent)
  t.equal((await d.app.routing.presence(a.agent.id)).missedOffers, 1, 'a later message in an answered chat does not end the run')
})

t.test('reofferMissesBeforeUnavailable 0: misses are told and counted, and nobody is made unavailable', async (t) => {
  const d = await desk(t, 0)
  const ann = await d.agent('ann', 'Ann Archer', 1)
  const chat = await d.start(1)
  t.equal(chat.agentId, ann.id)
  await d.quiet()
  for (let i = 1; i <= 5; i++) {
    await d.later(61_000)
    t.equal(await d.app.distributor.reoffer(), 1, `miss ${i}`)
    // Ann is the only agent who can take it: it comes back to her each time.
    t.equal((await d.app.chats.get(chat.id)).agentId, ann.id, `back with Ann after miss ${i}`)
  }
  t.match(await d.app.routing.presence(ann.id), { status: 'available', missedOffers: 5 }, 'five in a row, still available')
  await settled()
  t.same(d.notices(ann), Array(5).fill('A chat assigned to you went unanswered for 60 seconds and went back to the queue for the next available agent.'))
  t.notOk(d.app.events.some((e) => e.type === 'presence.changed' && e.agentId === ann.id))
  t.same((await d.reoffers(chat.id)).map((r) => [r.missed, r.madeUnavailable]), [[1, false], [2, false], [3, false], [4, false], [5, false]])
  t.equal((await d.activeGroups()).get(ann.id), 'Missed 5 offers in a row')
})

// While the only agent who can take a re-offered chat is the one who missed it, it goes back to
// them at once: the customer is better served by them than by nobody, and the count goes on.
t.test('with nobody else able to take it, the chat comes straight back to the agent who missed it', async (t) => {
  const d = await desk(t)
  const ann = await d.agent('ann', 'Ann Archer', 2)
  const ben = await d.agent('ben', 'Ben Bishop', 1)
  const bens = await d.answeredFirst(ben, ann, 2)
  t.equal(bens.agentId, ben.id)
  const chat = await d.start(2)
  t.equal(chat.agentId, ann.id, 'Ben is full (1 of 1)')
  await d.later(61_000)
  t.equal(await d.app.distributor.reoffer(), 1)
  const back = await d.app.chats.get(chat.id)
  t.equal(back.status, 'active')
  t.equal(back.agentId, ann.id, 'back with Ann, the only one with room')
  t.equal(back.reofferedFrom, null, 'given again: nobody is kept from it now')
  t.same((await d.app.chats.history(chat.id)).map((h) => [h.action, h.actor_name]).filter(([a]) => a !== 'started'),
    [['assigned', ann.name], ['reoffered', 'Live chat'], ['assigned', ann.name]])
  t.match(await d.app.routing.presence(ann.id), { status: 'available', missedOffers: 1 })

  // A drain in any instance keeps to the rule: once Ben has room, a chat Ann let go goes to him, though she ranks first.
  await d.later(61_000)
  const elsewhere = d.instance()
  await elsewhere.chats.endChat(bens.id, { kind: 'agent', id: ben.id, name: ben.name })
  const moved = await elsewhere.chats.reofferUnanswered(60_000, 3)
  t.same(moved.map((m) => [m.agentId, m.missed]), [[ann.id, { counted: true, missed: 2, madeUnavailable: false }]])
  t.same((await elsewhere.routing.rank(d.groupId)).map((c) => c.agentId), [ann.id, ben.id], 'Ann ranks first: both idle, Ben\'s last chat ended later')
  await elsewhere.distributor.drain(d.groupId)
  t.equal((await elsewhere.chats.get(chat.id)).agentId, ben.id, 'the drain gives it to Ben')
})

t.test('the count is kept with the agent\'s presence: it carries from one job run to the next, and across a restart', async (t) => {
  const d = await desk(t)
  const ann = await d.agent('ann', 'Ann Archer', 1)
  const ben = await d.agent('ben', 'Ben Bishop', 2)
  await d.answeredFirst(ben, ann, 1)

  const one = await d.start(2)
  t.equal(one.agentId, ann.id)
  await d.later(61_000)
  t.equal(await d.app.distributor.reoffer(), 1, 'first run: one miss')
  await d.answer(one.id, ben)
  t.equal(await d.app.distributor.reoffer(), 0, 'a run with nothing to re-offer leaves the count alone')
  t.equal((await d.app.routing.presence(ann.id)).missedOffers, 1)

  // Another instance (or this one restarted) runs the job next time.
  const restarted = d.instance()
  const two = await d.start(3, restarted)
  t.equal(two.agentId, ann.id)
  await d.later(61_000)
  t.equal(await restarted.distributor.reoffer(), 1, 'second run, on the restarted instance')
  await settled()
  t.same(d.notices(ann, restarted), [oneOfThree.replace('1 of 3', '2 of 3')], 'it knows of the first miss')
  t.equal((await restarted.routing.presence(ann.id)).missedOffers, 2)
})
