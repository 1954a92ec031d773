import type { Knex } from 'knex'
import { createFullTextIndex, dropFullTextIndex, type FullTextIndex } from '../plugin/db/fulltext.ts'

// What Advanced Search needs besides the messages' index (022), for 100,000 chats and more:
// - a full-text index on the customer's name, email and username (lc_chats), searched by
//   the search string and, to narrow them first, by the Customer Name and Username fields;
//   the question is the chat's first message, so 022 already covers it;
// - an index on lc_chats.created_at, for the date range and "newest first";
// - a full-text index on custom field values (lc_chat_field_values).
// Transaction mode: three DDL steps on MySQL, which commits each one on its own. If a step
// fails, the ones already done are undone before the error goes up, so the migration either
// ran whole or left nothing behind and can simply be run again. On SQLite it is one
// transaction. On SQLite the triggers fire only when an indexed column changes, so the
// UPDATE of lc_chats that every message makes costs nothing more.
// Written out here, not imported from the store: a migration stays as it ran.
const customer: FullTextIndex = { table: 'lc_chats', key: 'id', columns: ['customer_name', 'customer_email', 'customer_username'], name: 'lc_chats_customer_ft' }
// lc_chat_field_values has a two-column primary key; SQLite's FTS5 keys on the table's rowid.
const values: FullTextIndex = { table: 'lc_chat_field_values', key: 'rowid', columns: ['value'], name: 'lc_chat_field_values_ft' }

async function addCreatedIndex (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chats', (table) => { table.index(['created_at'], 'lc_chats_created') })
}

async function dropCreatedIndex (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chats', (table) => { table.dropIndex(['created_at'], 'lc_chats_created') })
}

export async function up (knex: Knex): Promise<void> {
  const done: Array<() => Promise<void>> = []
  try {
    await createFullTextIndex(knex, customer)
    done.push(async () => { await dropFullTextIndex(knex, customer) })
    await addCreatedIndex(knex)
    done.push(async () => { await dropCreatedIndex(knex) })
    await createFullTextIndex(knex, values)
  } catch (err) {
    for (const undo of done.reverse()) await undo()
    throw err
  }
}

export async function down (knex: Knex): Promise<void> {
  await dropFullTextIndex(knex, values)
  await dropCreatedIndex(knex)
  await dropFullTextIndex(knex, customer)
}
