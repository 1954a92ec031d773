import type { Knex } from 'knex'
import { createChatService, type ChatService } from '../../plugin/chats/service.ts'
import type { Chat } from '../../plugin/chats/types.ts'
import type { HostAdapter, HostUser } from '../../plugin/host/adapter.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import type { AgentScope } from '../../plugin/chats/types.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { permissionsFor, resolveSettings } from '../../plugin/settings.ts'
import { createDistributor, type Distributor } from '../../plugin/routing/distributor.ts'
import { createAccess } from '../../plugin/security/access.ts'
import { memoryBus } from '../../plugin/realtime/bus.ts'
import type { Bus, BusEvent } from '../../plugin/realtime/bus-events.ts'
import { createRoutingService, type RoutingService } from '../../plugin/routing/service.ts'
import { preparedDatabase } from './db.ts'

export interface Services {
  knex: Knex
  dialect: 'mysql' | 'sqlite'
  host: HostAdapter
  bus: Bus
  events: BusEvent[]
  chats: ChatService
  routing: RoutingService
  distributor: Distributor
  user: (username: string) => Promise<HostUser>
  /** What the seeded agent may see and take, as the console computes it. */
  scope: (username: string) => Promise<AgentScope>
  groupId: (name: string) => Promise<number>
}

/** Services over a fresh, seeded database, without HTTP: for testing rules directly. */
export async function services (t: { teardown: (fn: () => unknown) => void }, opts: { clock?: () => number } = {}): Promise<Services> {
  const { knex, dialect, drop } = await preparedDatabase()
  t.teardown(drop)
  const manifest = loadManifest()
  const host = sqlHost(knex, manifest.host)
  const bus = memoryBus()
  const events: BusEvent[] = []
  bus.subscribe((e) => { events.push(e) })
  const routing = createRoutingService({ db: knex, bus, settings: { heartbeatTimeoutSeconds: 60 }, clock: opts.clock })
  const chats = createChatService({ db: knex, bus, host, routing, settings: { maxMessageLength: 10000 }, clock: opts.clock })
  const distributor = createDistributor({ chats, routing, bus, log: { error: (obj, msg) => { throw Object.assign(new Error(msg), obj) } }, settings: { reofferSeconds: 60 }, clock: opts.clock })
  const access = createAccess({ host, settings: resolveSettings(manifest, {}), routing })
  const scope = async (username: string): Promise<AgentScope> => {
    const u = await user(username)
    return await access.scopeOf(u, permissionsFor(resolveSettings(manifest, {}), u.roles))
  }
  const groupId = async (name: string): Promise<number> => {
    const g = (await routing.groups()).find((x) => x.name === name)
    if (!g) throw new Error(`no seeded group ${name}`)
    return g.id
  }
  const user = async (username: string): Promise<HostUser> => {
    const [found] = (await host.findUsers(username)).filter((u) => u.username === username)
    if (!found) throw new Error(`no seeded user ${username}`)
    return found
  }
  return { knex, dialect, host, bus, events, chats, routing, distributor, user, scope, groupId }
}

/** Small factories for the states a test starts from. */
export const given = {
  /** A chat waiting in a group's queue (Support L1, a cherry-picking group, unless told). */
  async queuedChat (s: Services, fields: { name?: string, email?: string, question?: string, group?: string } = {}): Promise<{ chat: Chat, token: string }> {
    const { group = 'Support L1', ...rest } = fields
    return await s.chats.startChat({ name: 'Dana Doyle', email: 'dana@customer.example', question: 'My VPN will not connect', customer: null, groupId: await s.groupId(group), ...rest })
  },

  async activeChat (s: Services, agentUsername = 'alice', group = 'Support L1'): Promise<{ chat: Chat, token: string, agent: HostUser }> {
    const { chat, token } = await given.queuedChat(s, { group })
    const agent = await s.user(agentUsername)
    const accepted = await s.chats.acceptChat(chat.id, await s.scope(agentUsername))
    return { chat: accepted.chat, token, agent }
  },

  /** The agent switched Available on (for N chats) with a console open. */
  async available (s: Services, username: string, n?: number): Promise<HostUser> {
    const agent = await s.user(username)
    await s.routing.setAvailable(agent.id, true, n)
    return agent
  }
}

/**
 * The reports' smallest history, on the app's own database: one chat in Support L1 that alice
 * takes and answers, one waiting in Sales. The reports page's and the API's tests both read
 * their figures from it.
 */
export async function reportHistory (knex: Knex) {
  const host = sqlHost(knex, loadManifest().host)
  const routing = createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 60 } })
  const chats = createChatService({ db: knex, bus: memoryBus(), host, routing, settings: { maxMessageLength: 10000 } })
  const groups = await routing.groups()
  const group = (name: string): number => groups.find((g) => g.name === name)!.id
  const userId = async (username: string): Promise<string> => (await host.findUsers(username)).find((u) => u.username === username)!.id
  const [alice, bob, sam] = [await userId('alice'), await userId('bob'), await userId('sam')]
  const customer = { name: 'Dana Doyle', email: 'dana@customer.example', customer: null }
  const l1 = await chats.startChat({ ...customer, question: 'VPN', groupId: group('Support L1') })
  const aliceScope: AgentScope = { id: alice, name: 'Alice Adams', activeIn: [group('Support L1')], visible: [group('Support L1')], supervise: false }
  await chats.acceptChat(l1.chat.id, aliceScope)
  await chats.postMessage(l1.chat.id, { kind: 'agent', id: alice, name: 'Alice Adams' }, 'Hello', null)
  await chats.startChat({ ...customer, question: 'Prices', groupId: group('Sales') })
  return { host, routing, chats, group, alice, bob, sam, customer, l1, aliceScope }
}
