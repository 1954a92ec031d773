import type { Knex } from 'knex'
import { utf8mb4 } from '../db.ts'

// The desk's own departments and who works in them (manifest.json host.departments), which
// live chat's administration page offers to import. Two tables, so two DDL statements on
// MySQL (each commits on its own): each is made only when missing, so a rerun after a
// failure finishes the job, and `down` drops what exists.
export async function up (knex: Knex): Promise<void> {
  if (!await knex.schema.hasTable('departments')) {
    await knex.schema.createTable('departments', (table) => {
      utf8mb4(knex, table)
      table.increments('id')
      table.string('name', 120).notNullable().unique()
    })
  }
  if (!await knex.schema.hasTable('department_members')) {
    await knex.schema.createTable('department_members', (table) => {
      utf8mb4(knex, table)
      table.integer('department_id').unsigned().notNullable().references('id').inTable('departments').onDelete('CASCADE')
      table.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE')
      table.primary(['department_id', 'user_id'])
    })
  }
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('department_members')
  await knex.schema.dropTableIfExists('departments')
}
