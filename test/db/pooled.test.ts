import t from 'tap'
import { isUniqueViolation } from '../../plugin/db/index.ts'
import { pooled } from '../../plugin/db/pooled.ts'
import { statementCounter, testDatabase } from '../helpers/db.ts'

// plugin/db/pooled.ts: transactions on a pooled MySQL/MariaDB connection without knex's
// transaction object, as a message written alone runs them (docs/design.md §9).
t.test('pooled transactions', async (t) => {
  const db = await testDatabase()
  t.teardown(db.drop)
  if (db.dialect === 'sqlite') {
    t.equal(pooled(db.knex), undefined, 'none on SQLite: its grouped writes run their own')
    return
  }
  const pool = pooled(db.knex)!
  await db.knex.schema.createTable('pooled_notes', (table) => {
    table.increments('id')
    table.string('note', 20).notNullable().unique()
  })
  const insert = (note: string) => ({ sql: 'insert into `pooled_notes` (`note`) values (?)', bindings: [note] })
  const notes = async (): Promise<string[]> => (await db.knex('pooled_notes').orderBy('id').pluck('note')) as string[]

  t.test('commits what the function wrote and answers what it answered; each statement raises knex\'s query event', async (t) => {
    const { statements, start, stop } = statementCounter(db.knex)
    start()
    const id = await pool.transaction(async (tx) => Number((await tx.query(insert('first'))).insertId))
    stop()
    t.ok(id > 0)
    t.same(await notes(), ['first'])
    t.same(statements.map((s) => s.trim().split(' ')[0]!.toLowerCase()), ['begin', 'insert', 'commit'])
  })

  t.test('rolls back when the function throws, and the connection serves the next one', async (t) => {
    const err = await pool.transaction(async (tx) => {
      await tx.query(insert('second'))
      await tx.query(insert('first'))
    }).catch((e: unknown) => e)
    t.ok(isUniqueViolation(err), 'the driver\'s error, as knex would give it')
    t.same(await notes(), ['first'], 'nothing of the failed transaction stays')
    await pool.transaction(async (tx) => { await tx.query(insert('third')) })
    t.same(await notes(), ['first', 'third'])
    t.same((await pool.query({ sql: 'select count(*) as n from `pooled_notes`', bindings: [] }))[0], { n: 2 })
  })
})
