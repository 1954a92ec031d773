import { existsSync } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import knexFactory from 'knex'
import t from 'tap'
import { knexConfig } from '../../knexfile.ts'

// The embedded database's own configuration, whatever DATABASE_URL the run uses.
t.test('a SQLite file database is checkpointed beside its connection, and closes whole', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'livechat-checkpoints-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = join(dir, 'desk.sqlite3')
  const knex = knexFactory(knexConfig({}, file))
  const [own] = await knex.raw('pragma wal_autocheckpoint') as Array<{ wal_autocheckpoint: number }>
  t.equal(own?.wal_autocheckpoint, 1000, 'the connection keeps its own checkpoints, which start the WAL over')
  // The connection's own checkpoints off: only the worker can copy pages into the file now.
  await knex.raw('pragma wal_autocheckpoint = 0')
  await knex.schema.createTable('notes', (table) => {
    table.increments('id')
    table.text('body').notNullable()
  })
  const before = (await stat(file)).size
  const body = 'x'.repeat(2000)
  await knex.transaction(async (trx) => {
    for (let i = 0; i < 20; i++) await trx('notes').insert(Array.from({ length: 100 }, () => ({ body })))
  })
  t.ok(existsSync(`${file}-wal`), 'the rows went to the WAL first')

  let after = before
  for (let waited = 0; after < before + 2_000_000 && waited < 10_000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    after = (await stat(file).catch(() => ({ size: 0 }))).size
  }
  t.ok(after >= before + 2_000_000, `the worker copied the 4 MB of rows into the database file (${before} → ${after} bytes) while the connection stayed open`)

  // Live writes go on beside it.
  await knex('notes').insert({ body: 'after' })
  await knex.destroy()
  t.notOk(existsSync(`${file}-wal`), 'closing left no WAL beside the file: the worker closed first, the connection last')
  // Read-only and without the WAL: what a copy of the file alone would hold.
  const copy = knexFactory({ client: 'better-sqlite3', connection: { filename: file, options: { readonly: true } }, useNullAsDefault: true })
  t.teardown(async () => { await copy.destroy() })
  t.same(await copy('notes').count({ n: '*' }), [{ n: 2001 }], 'the file alone holds every row')
})
