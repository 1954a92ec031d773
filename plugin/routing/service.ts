import type { Knex } from 'knex'
import type { Bus } from '../realtime/events.ts'
import * as store from './store.ts'

export interface RoutingServiceDeps {
  db: Knex
  bus: Bus
  clock?: () => number
  heartbeatTimeoutSeconds: number
}

export type RoutingService = ReturnType<typeof createRoutingService>

/**
 * Agent availability (DESIGN §5). An agent counts as available only while they chose
 * to be and an open console keeps their heartbeat fresh.
 */
export function createRoutingService ({ db, bus, clock = Date.now, heartbeatTimeoutSeconds }: RoutingServiceDeps) {
  const freshSince = (): number => clock() - heartbeatTimeoutSeconds * 1000

  async function presence (agentId: string): Promise<store.Presence> {
    const row = await store.getPresence(db, agentId)
    return row ? store.toPresence(row) : { agentId, status: 'unavailable', maxChats: 4, heartbeatAt: null }
  }

  return {
    presence,

    /** The Available switch. Turning it on also counts as a heartbeat: the agent is plainly here. */
    async setAvailable (agentId: string, available: boolean): Promise<store.Presence> {
      const at = clock()
      await store.upsertPresence(db, agentId, available ? { status: 'available', heartbeat_at: at } : { status: 'unavailable' }, at)
      await bus.publish({ type: 'presence.changed', agentId })
      return await presence(agentId)
    },

    /** Called for every agent with an open console socket on this instance. */
    async heartbeat (agentIds: string[]): Promise<void> {
      await store.touchHeartbeats(db, agentIds, clock())
    },

    /** Whether any agent could answer a chat now: the portal link says so. */
    async anyoneAvailable (): Promise<boolean> {
      return await store.countAvailable(db, freshSince()) > 0
    },

    /** The presence-sweep job: agents whose consoles all closed become unavailable. */
    async sweepStale (): Promise<number> {
      const ids = await store.markStaleUnavailable(db, freshSince(), clock())
      for (const agentId of ids) await bus.publish({ type: 'presence.changed', agentId })
      return ids.length
    }
  }
}
