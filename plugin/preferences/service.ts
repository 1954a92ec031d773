import type { Knex } from 'knex'
import * as store from './store.ts'

export type PreferenceService = ReturnType<typeof createPreferenceService>

/**
 * What an agent chose for themselves and the console remembers across sessions and
 * devices (the lists' View → Visible Fields, the alerts). Values are JSON; the caller
 * owns their shape and checks it on the way out.
 */
export function createPreferenceService ({ db, clock = Date.now }: { db: Knex, clock?: () => number }) {
  return {
    /** The stored value, or undefined when the agent never chose (or it is not JSON any more). */
    async get (agentId: string, key: string): Promise<unknown> {
      const row = await store.getPreference(db, agentId, key)
      if (!row) return undefined
      try {
        return JSON.parse(row.value) as unknown
      } catch {
        return undefined
      }
    },

    async set (agentId: string, key: string, value: unknown): Promise<void> {
      await store.putPreference(db, { agent_id: agentId, key, value: JSON.stringify(value), updated_at: clock() })
    }
  }
}
