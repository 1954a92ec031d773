import type { Knex } from 'knex'
import { utf8mb4 } from '../db.ts'

// One table per migration: MySQL commits DDL implicitly, so a failed step must not leave
// half a migration applied.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (table) => {
    utf8mb4(knex, table)
    table.increments('id')
    table.string('username', 64).notNullable().unique()
    table.string('name', 120).notNullable()
    table.string('email', 200).notNullable()
    table.string('password_hash', 255).notNullable()
    table.string('roles', 200).notNullable().defaultTo('').comment('Space-separated role names: customer, agent, supervisor, admin')
    table.bigInteger('created_at').notNullable().comment('Epoch milliseconds')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('users')
}
