import type { Knex } from 'knex'

/** The cheapest question the database answers: it is there and takes queries. */
export async function ping (db: Knex): Promise<void> {
  await db.raw('select 1')
}
