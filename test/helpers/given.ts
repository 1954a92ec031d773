import type { Knex } from 'knex'
import { prepareDatabase } from '../../demo-host/setup.ts'
import { createChatService, type ChatService } from '../../plugin/chats/service.ts'
import type { Chat } from '../../plugin/chats/types.ts'
import type { HostAdapter, HostUser } from '../../plugin/host/adapter.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { memoryBus } from '../../plugin/realtime/bus.ts'
import type { Bus, BusEvent } from '../../plugin/realtime/events.ts'
import { createRoutingService, type RoutingService } from '../../plugin/routing/service.ts'
import { testDatabase } from './db.ts'

export interface Services {
  knex: Knex
  dialect: 'mysql' | 'sqlite'
  host: HostAdapter
  bus: Bus
  events: BusEvent[]
  chats: ChatService
  routing: RoutingService
  user: (username: string) => Promise<HostUser>
}

/** Services over a fresh, seeded database, without HTTP: for testing rules directly. */
export async function services (t: { teardown: (fn: () => unknown) => void }, opts: { clock?: () => number } = {}): Promise<Services> {
  const { knex, dialect, drop } = await testDatabase()
  await prepareDatabase(knex)
  t.teardown(drop)
  const manifest = loadManifest()
  const host = sqlHost(knex, manifest.host)
  const bus = memoryBus()
  const events: BusEvent[] = []
  bus.subscribe((e) => { events.push(e) })
  const chats = createChatService({ db: knex, bus, host, maxMessageLength: 10000, clock: opts.clock })
  const routing = createRoutingService({ db: knex, bus, heartbeatTimeoutSeconds: 60, clock: opts.clock })
  const user = async (username: string): Promise<HostUser> => {
    const [found] = (await host.findUsers(username)).filter((u) => u.username === username)
    if (!found) throw new Error(`no seeded user ${username}`)
    return found
  }
  return { knex, dialect, host, bus, events, chats, routing, user }
}

/** Small factories for the states a test starts from (STYLE §7). */
export const given = {
  async queuedChat (s: Services, fields: { name?: string, email?: string, question?: string } = {}): Promise<{ chat: Chat, token: string }> {
    return await s.chats.startChat({ name: 'Dana Doyle', email: 'dana@customer.example', question: 'My VPN will not connect', customer: null, ...fields })
  },

  async activeChat (s: Services, agentUsername = 'alice'): Promise<{ chat: Chat, token: string, agent: HostUser }> {
    const { chat, token } = await given.queuedChat(s)
    const agent = await s.user(agentUsername)
    const accepted = await s.chats.acceptChat(chat.id, agent)
    return { chat: accepted.chat, token, agent }
  }
}
