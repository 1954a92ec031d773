import knexFactory from 'knex'
import t from 'tap'
import { statementTemplate, writeGroups } from '../../plugin/db/grouped.ts'
import { isUniqueViolation } from '../../plugin/db/index.ts'
import { lanes } from '../../plugin/db/lanes.ts'
import { statementCounter, testDatabase } from '../helpers/db.ts'

t.test('statementTemplate builds once and binds each value in its place', async (t) => {
  const { knex, drop } = await testDatabase()
  t.teardown(drop)
  const select = statementTemplate<'a' | 'b'>((v) => knex('things').where({ a: v('a'), kind: 'fixed' }).andWhere('b', '>', v('b') as number).first())
  const one = select({ a: 1, b: 2 })
  const other = select({ a: 'x', b: null })
  t.equal(one.sql, other.sql, 'the same SQL for every value')
  t.same(one.bindings, knex('things').where({ a: 1, kind: 'fixed' }).andWhere('b', '>', 2).first().toSQL().bindings)
  t.same(other.bindings.slice(0, 2), ['x', 'fixed'])
})

t.test('writeGroups', async (t) => {
  const { knex, dialect, drop } = await testDatabase()
  t.teardown(drop)
  const groups = writeGroups(knex)
  if (dialect === 'mysql') {
    t.equal(groups, undefined, 'MySQL/MariaDB writes side by side on its connections: messages go in lanes of their own instead (lanes, below)')
    return
  }
  await knex.schema.createTable('grouped_notes', (table) => {
    table.increments('id')
    table.string('key', 20).notNullable().unique()
    table.boolean('flag').notNullable()
  })
  const insert = statementTemplate<'key' | 'flag'>((v) => knex('grouped_notes').insert({ key: v('key'), flag: v('flag') }))
  const count = statementTemplate<'key'>((v) => knex('grouped_notes').count({ n: '*' }).where('key', v('key') as string))
  const { statements, start, stop } = statementCounter(knex)

  t.test('jobs that arrive together share one transaction and settle after its commit', async (t) => {
    start()
    const ids = await Promise.all(['a', 'b', 'c'].map(async (key) => await groups!.run((db) => db.run(insert({ key, flag: true })).lastInsertRowid)))
    stop()
    t.equal(new Set(ids).size, 3)
    t.equal(statements.filter((s) => /^begin/i.test(s)).length, 1, 'one BEGIN')
    t.equal(statements.filter((s) => /^commit/i.test(s)).length, 1, 'one COMMIT')
    t.equal(statements.filter((s) => /^savepoint/i.test(s)).length, 3, 'a savepoint each')
    const rows = await knex('grouped_notes').orderBy('id')
    t.same(rows.map((r: { key: string, flag: number }) => [r.key, r.flag]), [['a', 1], ['b', 1], ['c', 1]], 'booleans are stored as SQLite stores them')
  })

  t.test('a job that fails is undone alone; the others in its group are kept', async (t) => {
    const results = await Promise.allSettled([
      groups!.run((db) => db.run(insert({ key: 'd', flag: false })).changes),
      groups!.run((db) => { db.run(insert({ key: 'e', flag: false })); return db.run(insert({ key: 'a', flag: false })).changes }),
      groups!.run((db) => db.get(count({ key: 'e' })))
    ])
    t.equal(results[0].status, 'fulfilled')
    t.equal(results[1].status, 'rejected')
    t.ok(results[1].status === 'rejected' && isUniqueViolation(results[1].reason), 'the unique violation reaches its caller')
    t.same(results[2].status === 'fulfilled' && results[2].value, { n: 0 }, 'what the failed job wrote is gone before the next job runs')
    t.same((await knex('grouped_notes').whereIn('key', ['d', 'e']).pluck('key')).sort(), ['d'])
  })

  t.test('a job alone needs no savepoint, and its failure leaves nothing behind', async (t) => {
    start()
    await t.rejects(groups!.run((db) => { db.run(insert({ key: 'f', flag: true })); throw new Error('changed my mind') }), /changed my mind/)
    stop()
    t.notOk(statements.some((s) => /^savepoint/i.test(s)))
    t.equal(await knex('grouped_notes').where('key', 'f').first(), undefined)
  })

  t.test('a job queued by a settled one runs too (the drain is not left waiting)', async (t) => {
    const chained = await groups!.run(() => 1).then(async (n) => await groups!.run(() => n + 1))
    t.equal(chained, 2)
  })

  t.test('grouped jobs wait for a knex transaction that holds the connection', async (t) => {
    const order: string[] = []
    await knex.transaction(async (trx) => {
      const job = groups!.run((db) => { order.push('job'); return db.run(insert({ key: 'g', flag: true })) })
      await new Promise((resolve) => setTimeout(resolve, 20))
      await trx('grouped_notes').insert({ key: 'h', flag: true })
      order.push('trx')
      void job
    })
    while (order.length < 2) await new Promise((resolve) => setTimeout(resolve, 5))
    t.same(order, ['trx', 'job'])
  })
})

t.test('writeGroups: none on a SQLite pool of more than one connection, whose other connection may hold the write lock', async (t) => {
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true, pool: { min: 1, max: 2 } })
  t.teardown(async () => { await knex.destroy() })
  t.equal(writeGroups(knex), undefined)
})

t.test('lanes', async (t) => {
  const tick = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

  t.test('items of one turn go together; items of a key that is being written wait for it, in order; other keys run beside', async (t) => {
    const groups: number[][] = []
    let running = 0
    let most = 0
    // Keys by tens: 1 and 12 are keys 0 and 1.
    const l = lanes<number, number>({ concurrency: 3, keyOf: (n) => Math.floor(n / 10), max: 100 }, async (items) => {
      groups.push(items)
      most = Math.max(most, ++running)
      await tick()
      await tick()
      running--
      return items.map((n) => ({ ok: true, value: n * 10 }))
    })
    const first = [l.add(1), l.add(12)]
    await tick()
    const later = [2, 23, 13, 3, 34].map((n) => l.add(n))
    t.same(await Promise.all([...first, ...later]), [10, 120, 20, 230, 130, 30, 340])
    t.same(groups, [[1, 12], [23, 34], [2, 13, 3]], 'keys 2 and 3 at once; keys 0 and 1 after their first group')
    t.equal(most, 2, 'two groups at once')
  })

  t.test('no more than `concurrency` groups at once, and at most `max` items a group', async (t) => {
    const groups: number[][] = []
    let running = 0
    let most = 0
    const l = lanes<number, number>({ concurrency: 2, keyOf: (n) => n, max: 2 }, async (items) => {
      groups.push(items)
      most = Math.max(most, ++running)
      await tick()
      running--
      return items.map((n) => ({ ok: true, value: n }))
    })
    await Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => l.add(n)))
    t.same(groups, [[1, 2], [3, 4], [5, 6], [7]])
    t.equal(most, 2)
  })

  t.test('each item settles by its own outcome; `again` goes first in a later group; a run that throws fails its whole group', async (t) => {
    const groups: number[][] = []
    const l = lanes<number, number>({ concurrency: 1, keyOf: () => 0, max: 100 }, async (items) => {
      groups.push(items)
      if (items.includes(9)) throw new Error('database away')
      return items.map((n, i) => groups.length === 1 && i === 3 ? { again: true } : n === 3 ? { ok: false, error: new Error('refused') } : { ok: true, value: n })
    })
    const results = await Promise.allSettled([1, 2, 3, 2].map((n) => l.add(n)))
    t.same(results.map((r) => r.status === 'fulfilled' ? r.value : (r.reason as Error).message), [1, 2, 'refused', 2])
    t.same(groups, [[1, 2, 3, 2], [2]], 'the item answered again went in a group of its own')
    const failed = await Promise.allSettled([l.add(8), l.add(9)])
    t.same(failed.map((r) => r.status === 'rejected' && (r.reason as Error).message), ['database away', 'database away'])
    t.equal(await l.add(10), 10, 'it goes on after a failed group')
  })
})
