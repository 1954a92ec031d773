import type { Knex } from 'knex'

// Departments and groups imported from the help desk (docs/features.md#import-from-the-help-desk)
// remember the desk's own id, so a second import links to them instead of making another, and
// a department renamed in the desk is still known for what it is. Unique: two imports racing
// cannot both create the desk's department. NULL for one made here; many NULLs are allowed on
// both databases. Two statements on MySQL (DDL commits implicitly); `down` drops what exists,
// so a rerun is clean.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_departments', (table) => {
    table.string('host_id', 64).nullable().comment('the help desk\'s id of the department this was imported from or linked to; null when made here')
    table.unique(['host_id'], { indexName: 'lc_departments_host_id' })
  })
  await knex.schema.alterTable('lc_groups', (table) => {
    table.string('host_id', 64).nullable().comment('the help desk\'s id of the group this was imported from or linked to; null when made here')
    table.unique(['host_id'], { indexName: 'lc_groups_host_id' })
  })
}

export async function down (knex: Knex): Promise<void> {
  for (const [tableName, index] of [['lc_groups', 'lc_groups_host_id'], ['lc_departments', 'lc_departments_host_id']] as const) {
    if (!await knex.schema.hasColumn(tableName, 'host_id')) continue
    await knex.schema.alterTable(tableName, (table) => {
      table.dropUnique(['host_id'], index)
      table.dropColumn('host_id')
    })
  }
}
