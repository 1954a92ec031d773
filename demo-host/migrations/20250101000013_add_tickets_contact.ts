import type { Knex } from 'knex'

// A guest's ticket keeps whom to answer: the requester's name and email as the ticket was
// filed (manifest.json host.tickets.requesterName, requesterEmail), and where it came from
// (host.tickets.channel). One DDL statement: MySQL commits it on its own.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('tickets', (table) => {
    table.string('requester_name', 255).nullable().comment('Requester name as filed; a guest has no user row')
    table.string('requester_email', 255).nullable().comment('Requester email as filed')
    table.string('channel', 32).nullable().comment('Where the ticket came from, e.g. livechat')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('tickets', (table) => {
    table.dropColumn('requester_name')
    table.dropColumn('requester_email')
    table.dropColumn('channel')
  })
}
