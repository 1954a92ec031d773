import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement. The block list (docs/features.md#block-list): an
// address or CIDR range customers may not chat from. A removed entry keeps its row with who
// removed it and when, so the rows are the list's history too; the list itself is the rows
// not removed and not expired.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_blocked_addresses', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.string('range', 50).notNullable().comment('canonical: an address (203.0.113.7, 2001:db8::1) or a network and its prefix (203.0.113.0/24)')
    table.string('reason', 200).notNullable()
    table.bigInteger('expires_at').nullable().comment('epoch ms after which the entry no longer blocks; null: until removed')
    table.string('added_by', 64).notNullable().comment('host user id of the administrator')
    table.string('added_by_name', 120).notNullable().comment('their name as it was')
    table.bigInteger('added_at').notNullable()
    table.string('removed_by', 64).nullable()
    table.string('removed_by_name', 120).nullable()
    table.bigInteger('removed_at').nullable().comment('null while the entry is on the list')
    table.index(['removed_at'], 'lc_blocked_addresses_removed')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('lc_blocked_addresses')
}
