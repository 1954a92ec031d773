import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Canned replies, global (group_id null) or for one group. Transaction mode: one DDL statement.
// Shortcuts are unique per scope, but a unique index over (group_id, shortcut) would let any
// number of global rows share a shortcut (NULLs differ on both databases), so the canned
// service enforces it in a transaction that locks the index range this plain index covers.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_canned_replies', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.integer('group_id').unsigned().nullable().references('id').inTable('lc_groups').onDelete('CASCADE')
      .comment('the group whose agents may use it; null means every agent')
    table.string('title', 120).notNullable()
    table.string('shortcut', 40).notNullable().comment('typed after a slash in the reply box; lower case, letters, digits and dashes')
    table.text('body').notNullable().comment('may hold {{customer.name}}, {{customer.email}}, {{agent.name}}, {{chat.number}}, filled when inserted')
    table.string('created_by', 64).notNullable()
    table.bigInteger('created_at').notNullable()
    table.bigInteger('updated_at').notNullable()
    table.index(['group_id', 'shortcut'], 'lc_canned_replies_scope_shortcut')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('lc_canned_replies')
}
