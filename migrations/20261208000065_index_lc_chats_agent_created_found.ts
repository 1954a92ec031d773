import type { Knex } from 'knex'
import { getDialect } from '../plugin/db/index.ts'

// Transaction mode: one ALTER on MySQL (both indexes or neither); on SQLite the default
// transaction. Two reads of a search on a large desk (docs/design.md §9), neither written per
// message (no column here changes when a message is sent):
// - Advanced Search with a date range narrows the messages found to the chats started in it
//   (and the agent's, when one is asked for) before grouping them: one range of
//   (agent_id, created_at), whose entries hold the chat id, rather than every chat of the
//   days by lc_chats_created and then each one's row for its agent.
// - a list's search box ranks the chats found by when they started before reading any row:
//   each found chat's status, group, agent and start from a copy of those columns keyed by
//   id, a tenth of the size of the rows, then the rows of the page's chats only.
const agentCreated = ['agent_id', 'created_at']
const found = ['id', 'status', 'deleted_at', 'group_id', 'agent_id', 'created_at']

export async function up (knex: Knex): Promise<void> {
  if (getDialect(knex) === 'mysql') {
    await knex.raw('ALTER TABLE lc_chats ADD INDEX lc_chats_agent_created (??), ADD INDEX lc_chats_found (??)', [agentCreated, found])
    return
  }
  await knex.schema.alterTable('lc_chats', (table) => {
    table.index(agentCreated, 'lc_chats_agent_created')
    table.index(found, 'lc_chats_found')
  })
}

export async function down (knex: Knex): Promise<void> {
  if (getDialect(knex) === 'mysql') {
    await knex.raw('ALTER TABLE lc_chats DROP INDEX lc_chats_found, DROP INDEX lc_chats_agent_created')
    return
  }
  await knex.schema.alterTable('lc_chats', (table) => {
    table.dropIndex(found, 'lc_chats_found')
    table.dropIndex(agentCreated, 'lc_chats_agent_created')
  })
}
