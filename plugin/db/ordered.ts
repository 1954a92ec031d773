import type { Knex } from 'knex'
import { affected } from './index.ts'

type Db = Knex | Knex.Transaction

/** What every row of an ordered table has: its id and its place. */
export interface OrderedRow { id: number, sort_order: number }

/** The reads and writes of a table of rows the administrator puts in order (custom fields, manual events). */
export interface OrderedTable<Row extends OrderedRow, Columns> {
  /** Every row in the administrator's order; the id breaks ties. */
  all: (db: Db) => Promise<Row[]>
  one: (db: Db, id: number) => Promise<Row | undefined>
  /** A new row goes last. */
  insert: (db: Db, row: Columns & { created_at: number }) => Promise<number>
  update: (db: Db, id: number, row: Partial<Columns & { sort_order: number }>) => Promise<number>
  remove: (db: Db, id: number) => Promise<number>
}

export function orderedTable<Row extends OrderedRow, Columns extends object> (table: string): OrderedTable<Row, Columns> {
  return {
    async all (db) {
      return await db(table).orderBy([{ column: 'sort_order' }, { column: 'id' }]) as Row[]
    },
    async one (db, id) {
      return await db(table).where({ id }).first() as Row | undefined
    },
    async insert (db, row) {
      const last = await db(table).max({ n: 'sort_order' }).first() as { n: number | string | null } | undefined
      const [id] = await db(table).insert({ ...row, sort_order: Number(last?.n ?? 0) + 1 })
      return Number(id)
    },
    async update (db, id, row) {
      return affected(await db(table).where({ id }).update(row))
    },
    async remove (db, id) {
      return affected(await db(table).where({ id }).delete())
    }
  }
}
