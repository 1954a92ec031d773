import { createHash, randomBytes, scryptSync } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import knexFactory, { type Knex } from 'knex'
import { demoPassword } from '../../demo-host/seed.ts'
import { prepareDatabase } from '../../demo-host/setup.ts'
import { knexConfig } from '../../knexfile.ts'

let counter = 0

export interface TestDatabase { knex: Knex, dialect: 'mysql' | 'sqlite', drop: () => Promise<void> }

/**
 * A private, empty database for one test file: SQLite in memory, or, with DATABASE_URL, a
 * fresh MariaDB/MySQL database of its own, so test files run side by side without sharing rows.
 */
export async function testDatabase (): Promise<TestDatabase> {
  const url = process.env.DATABASE_URL
  if (!url) return sqliteDatabase(':memory:')
  return mysqlDatabase(url, await createMysqlDatabase(url))
}

/**
 * A private database as prepareDatabase leaves it (host and plugin migrations, demo seed),
 * copied from a template made once for the current sources: migrating and seeding anew for
 * every test costs far more than copying. Tests of the migrations and of the seed itself
 * use testDatabase and prepareDatabase instead, so the real path stays tested.
 */
export async function preparedDatabase (): Promise<TestDatabase> {
  const url = process.env.DATABASE_URL
  if (!url) return sqliteDatabase(await sqliteTemplate())
  return mysqlDatabase(url, await createMysqlDatabase(url, await mysqlTemplate(url)))
}

function sqliteDatabase (filename: string | Buffer): TestDatabase {
  const config = knexConfig({}, ':memory:')
  // better-sqlite3 opens a Buffer as a private in-memory copy of that database image.
  const knex = knexFactory({ ...config, connection: { filename: filename as string } })
  return { knex, dialect: 'sqlite', drop: async () => { await knex.destroy() } }
}

function mysqlDatabase (url: string, name: string): TestDatabase {
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  const knex = knexFactory(knexConfig({ DATABASE_URL: parsed.href }))
  return {
    knex,
    dialect: 'mysql',
    drop: async () => {
      await knex.raw('DROP DATABASE IF EXISTS ??', [name])
      await knex.destroy()
    }
  }
}

/** A connection to the server itself, for creating databases and copying the template. */
function mysqlAdmin (url: string): Knex {
  const server = new URL(url)
  server.pathname = '/'
  const config = knexConfig({ DATABASE_URL: server.href })
  // One connection: session settings (the database in USE, foreign key checks, a named
  // lock) must hold for every statement that follows.
  return knexFactory({ ...config, connection: { ...(config.connection as object), multipleStatements: true }, pool: { min: 0, max: 1 } })
}

async function createMysqlDatabase (url: string, template?: MysqlTemplate): Promise<string> {
  const name = `${mysqlBaseName(url)}_${process.pid}_${++counter}`
  const sql = [`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`]
  if (template) {
    // One round trip: the tables as the template declares them (foreign keys included,
    // which CREATE TABLE … LIKE would drop), then their rows.
    sql.push(`USE \`${name}\``, 'SET FOREIGN_KEY_CHECKS = 0', ...template.tables.map((t) => t.ddl))
    sql.push(...template.tables.map((t) => `INSERT INTO \`${t.name}\` SELECT * FROM \`${template.name}\`.\`${t.name}\``))
  }
  const admin = mysqlAdmin(url)
  try { await admin.raw(sql.join(';\n')) } finally { await admin.destroy() }
  return name
}

function mysqlBaseName (url: string): string {
  return new URL(url).pathname.slice(1) || 'livechat_test'
}

/**
 * What the template depends on: the migrations, the seed and the plugin code it runs, the
 * connection settings, the installed packages and this file. A change to any of them makes
 * a new template, so a stale one is never used.
 */
let sourceHashMemo: string | undefined
function sourceHash (): string {
  if (sourceHashMemo) return sourceHashMemo
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
  const files = ['manifest.json', 'knexfile.ts', 'package-lock.json', 'test/helpers/db.ts']
  for (const dir of ['migrations', 'demo-host', 'plugin']) {
    for (const entry of readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (entry.endsWith('.ts')) files.push(join(dir, entry))
    }
  }
  const hash = createHash('sha256')
  for (const file of files.sort()) hash.update(`${file}\0`).update(readFileSync(join(root, file))).update('\0')
  sourceHashMemo = hash.digest('hex').slice(0, 12)
  return sourceHashMemo
}

// The seed dates things relative to when it runs (tickets hours old, articles days old):
// templates are made again after this long, so those ages stay close to what they claim.
const templateMaxAgeMs = 10 * 60_000

const sqliteTemplateDir = join(tmpdir(), 'livechat-test-templates')
/**
 * prepareDatabase, then the seeded accounts' passwords hashed at scrypt's lowest cost the
 * desk accepts (N = 1024, stored in each hash as it always is): every sign-in of a test then
 * costs about 2 ms of CPU instead of 40. The password and the way it is checked are the same.
 */
async function prepareTemplate (knex: Knex): Promise<void> {
  await prepareDatabase(knex)
  const salt = randomBytes(16)
  const key = scryptSync(demoPassword.normalize('NFKC'), salt, 64, { N: 1024, r: 8, p: 1 })
  await knex('users').update({ password_hash: `scrypt$1024$${salt.toString('base64')}$${key.toString('base64')}` })
}

let sqliteImage: Promise<Buffer> | undefined

/**
 * The template as an SQLite database image, kept in the temp directory for the other test
 * processes. Written under a temporary name and renamed, so a reader never sees half a file
 * and a crashed writer leaves only a temporary file behind; processes that make it at the
 * same time write the same image.
 */
async function sqliteTemplate (): Promise<Buffer> {
  sqliteImage ??= (async () => {
    const file = join(sqliteTemplateDir, `${sourceHash()}.sqlite3`)
    const made = await stat(file).then((s) => s.mtimeMs, () => 0)
    if (Date.now() - made < templateMaxAgeMs) return await readFile(file)
    const knex = knexFactory(knexConfig({}, ':memory:'))
    let image: Buffer
    try {
      await prepareTemplate(knex)
      const connection = await knex.client.acquireConnection() as { serialize: () => Buffer }
      image = connection.serialize()
      await knex.client.releaseConnection(connection)
    } finally {
      await knex.destroy()
    }
    await mkdir(sqliteTemplateDir, { recursive: true })
    const partial = `${file}.${process.pid}.partial`
    await writeFile(partial, image)
    await rename(partial, file)
    await removeOldTemplates(file)
    return image
  })()
  return await sqliteImage
}

/** Templates of other sources, and partial files of crashed writers, once a day old. */
async function removeOldTemplates (keep: string): Promise<void> {
  for (const entry of await readdir(sqliteTemplateDir)) {
    const file = join(sqliteTemplateDir, entry)
    if (file === keep) continue
    const s = await stat(file).catch(() => undefined)
    if (s && Date.now() - s.mtimeMs > 86_400_000) await rm(file, { force: true })
  }
}

interface MysqlTemplate { name: string, tables: Array<{ name: string, ddl: string }> }
let mysqlTemplatePromise: Promise<MysqlTemplate> | undefined

/**
 * The template as a database on the server, named after the sources and the ten minutes it
 * was made in, so one being copied is never remade under a reader. It is made under a named
 * lock (the server releases it when a crashed holder's connection goes) and marked complete
 * by its last step: a database without the mark is half made and is made again.
 */
async function mysqlTemplate (url: string): Promise<MysqlTemplate> {
  mysqlTemplatePromise ??= (async () => {
    const prefix = `${mysqlBaseName(url)}_tpl_`
    const period = Math.floor(Date.now() / templateMaxAgeMs)
    const name = `${prefix}${sourceHash()}_${period}`
    const mark = 'template_complete'
    const admin = mysqlAdmin(url)
    try {
      const [[locked]] = await admin.raw('SELECT GET_LOCK(?, 120) AS ok', [prefix]) as [[{ ok: number }]]
      if (locked?.ok !== 1) throw new Error(`could not lock ${prefix}: another test process holds it`)
      const [marks] = await admin.raw('SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [name, mark]) as [unknown[]]
      if (marks.length === 0) {
        await admin.raw('DROP DATABASE IF EXISTS ??; CREATE DATABASE ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [name, name])
        const server = new URL(url)
        server.pathname = `/${name}`
        const knex = knexFactory(knexConfig({ DATABASE_URL: server.href }))
        try { await prepareTemplate(knex) } finally { await knex.destroy() }
        await admin.raw('CREATE TABLE ??.?? (id INT)', [name, mark])
        // Templates of earlier periods: a test process copies its template within minutes.
        const [old] = await admin.raw('SHOW DATABASES LIKE ?', [`${prefix.replaceAll('_', '\\_')}%`]) as [Array<Record<string, string>>]
        for (const row of old) {
          const db = Object.values(row)[0] ?? ''
          if (Number(db.split('_').at(-1)) < period - 1) await admin.raw('DROP DATABASE IF EXISTS ??', [db])
        }
      }
      const [[others]] = await admin.raw(`SELECT (SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = ?)
        + (SELECT COUNT(*) FROM information_schema.views WHERE table_schema = ?)
        + (SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = ?) AS n`, [name, name, name]) as [[{ n: number }]]
      if (Number(others.n) > 0) throw new Error(`${name} has triggers, views or routines, which copying its tables leaves out`)
      const [rows] = await admin.raw('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_type = ? AND table_name <> ?', [name, 'BASE TABLE', mark]) as [Array<{ name: string }>]
      const tables: MysqlTemplate['tables'] = []
      for (const { name: table } of rows) {
        const [[created]] = await admin.raw('SHOW CREATE TABLE ??.??', [name, table]) as [[{ 'Create Table': string }]]
        tables.push({ name: table, ddl: created['Create Table'] })
      }
      await admin.raw('SELECT RELEASE_LOCK(?)', [prefix])
      return { name, tables }
    } finally {
      await admin.destroy()
    }
  })()
  return await mysqlTemplatePromise
}

/**
 * One database for several app instances, each with a knex pool of its own: a fresh
 * MariaDB/MySQL database with DATABASE_URL, else an SQLite file in `dir` (an in-memory
 * SQLite database cannot be shared between pools: a file can). `first` is the first pool;
 * `another()` opens the next. Pass cleanups to `onCleanup`; pools from `another()` are
 * the caller's to close.
 */
export async function sharedDatabase (dir: string, onCleanup: (fn: () => Promise<void>) => void): Promise<{ first: Knex, another: () => Knex }> {
  if (process.env.DATABASE_URL) {
    const { knex, drop } = await testDatabase()
    onCleanup(drop)
    return { first: knex, another: () => knexFactory(knex.client.config as Knex.Config) }
  }
  const file = join(dir, 'shared.sqlite3')
  const another = (): Knex => knexFactory(knexConfig({}, file))
  const first = another()
  onCleanup(async () => { await first.destroy() })
  return { first, another }
}

/**
 * The statements the plugin runs while counting: the cost tests compare what a change asks
 * of the database, never how long it took. `quiet()` waits until nothing has run for 200 ms,
 * so what sockets do as they open is not counted against the change that follows.
 */
export function statementCounter (knex: Knex) {
  const statements: string[] = []
  let counting = false
  knex.on('query', (q: { sql: string }) => { if (counting) statements.push(q.sql) })
  const start = (): void => { statements.length = 0; counting = true }
  const stop = (): void => { counting = false }
  async function quiet (): Promise<void> {
    for (let tries = 0; tries < 50; tries++) {
      start()
      await new Promise((resolve) => setTimeout(resolve, 200))
      stop()
      if (statements.length === 0) return
    }
    throw new Error(`still busy: ${statements.slice(0, 5).join(' | ')}`)
  }
  return { statements, start, stop, quiet }
}
