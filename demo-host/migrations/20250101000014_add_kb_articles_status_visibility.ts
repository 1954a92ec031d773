import type { Knex } from 'knex'

// An article's state and who may read it (docs/hosts.md#knowledge-and-audience): a draft
// ('draft') is shown to nobody, an internal article ('internal') to agents only. Rows already
// there stay published and public. One ALTER statement: MySQL commits it on its own.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('kb_articles', (table) => {
    table.string('status', 16).notNullable().defaultTo('published').comment('published or draft')
    table.string('visibility', 16).notNullable().defaultTo('public').comment('public or internal (agents only)')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('kb_articles', (table) => {
    table.dropColumn('visibility')
    table.dropColumn('status')
  })
}
