import type { Knex } from 'knex'

type Db = Knex | Knex.Transaction

export interface LcAgentPreferenceRow {
  agent_id: string
  key: string
  value: string
  updated_at: number | string
}

export async function getPreference (db: Db, agentId: string, key: string): Promise<LcAgentPreferenceRow | undefined> {
  return await db<LcAgentPreferenceRow>('lc_agent_preferences').where({ agent_id: agentId, key }).first()
}

/** Insert or replace in one statement (ON CONFLICT on SQLite, ON DUPLICATE KEY on MySQL). */
export async function putPreference (db: Db, row: LcAgentPreferenceRow): Promise<void> {
  await db('lc_agent_preferences').insert(row).onConflict(['agent_id', 'key']).merge(['value', 'updated_at'])
}
