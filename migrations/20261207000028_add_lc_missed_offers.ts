import type { Knex } from 'knex'

// Re-offer that keeps the desk staffed (docs/features.md#re-offer): an agent is made
// unavailable only after reofferMissesBeforeUnavailable offers in a row went unanswered, so
// the run is counted where their presence lives; and a re-offered chat remembers who let it
// go, so any instance's drain hands it to someone else while someone else can take it.
// Two statements on MySQL (DDL commits implicitly); `down` drops what exists, so a rerun is clean.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_agent_presence', (table) => {
    table.integer('missed_offers').notNullable().defaultTo(0).comment('offers in a row this agent let go unanswered while available; 0 after an answer or Available switched on')
    table.bigInteger('missed_offer_at').nullable().comment('when the last of them was counted (epoch ms): an answer written before it does not clear it')
  })
  await knex.schema.alterTable('lc_chats', (table) => {
    table.string('reoffered_from', 64).nullable().comment('the agent who last let this chat go unanswered: distribution gives it to another while one can take it')
  })
}

export async function down (knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn('lc_chats', 'reoffered_from')) await knex.schema.alterTable('lc_chats', (table) => { table.dropColumn('reoffered_from') })
  if (await knex.schema.hasColumn('lc_agent_presence', 'missed_offer_at')) {
    await knex.schema.alterTable('lc_agent_presence', (table) => {
      table.dropColumn('missed_offers')
      table.dropColumn('missed_offer_at')
    })
  }
}
