import type { Knex } from 'knex'
import { getDialect } from '../plugin/db/index.ts'

// Transaction mode: one ALTER on MySQL (its three changes in one statement, so a run cut
// short leaves all or none of them); on SQLite the default transaction. A waiting
// customer's window shows their place in line and the estimated wait (docs/design.md §9),
// and thousands of windows opening on a long line each asked for both:
// - the place is a count of the chats ahead in the group: with whether a chat is held for a
//   named agent and whether it was deleted in the index, it reads one range of the index and
//   none of the rows. The old index is the new one's prefix: every read it served this serves.
// - the estimate reads the group's last assignments: from an index on the group and when the
//   chat was assigned, the newest twenty, not every chat the group ever had.
const line = ['group_id', 'status', 'queued_at', 'transferred_to', 'deleted_at']
const assigned = ['group_id', 'assigned_at']

export async function up (knex: Knex): Promise<void> {
  if (getDialect(knex) === 'mysql') {
    await knex.raw('ALTER TABLE lc_chats DROP INDEX lc_chats_group_queue, ADD INDEX lc_chats_group_queue (??), ADD INDEX lc_chats_group_assigned (??)', [line, assigned])
    return
  }
  await knex.schema.alterTable('lc_chats', (table) => {
    table.dropIndex(['group_id', 'status', 'queued_at'], 'lc_chats_group_queue')
    table.index(line, 'lc_chats_group_queue')
    table.index(assigned, 'lc_chats_group_assigned')
  })
}

export async function down (knex: Knex): Promise<void> {
  if (getDialect(knex) === 'mysql') {
    await knex.raw('ALTER TABLE lc_chats DROP INDEX lc_chats_group_assigned, DROP INDEX lc_chats_group_queue, ADD INDEX lc_chats_group_queue (??)', [['group_id', 'status', 'queued_at']])
    return
  }
  await knex.schema.alterTable('lc_chats', (table) => {
    table.dropIndex(assigned, 'lc_chats_group_assigned')
    table.dropIndex(line, 'lc_chats_group_queue')
    table.index(['group_id', 'status', 'queued_at'], 'lc_chats_group_queue')
  })
}
