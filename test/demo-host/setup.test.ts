import t from 'tap'
import { checkCredentials, safeNext } from '../../demo-host/auth.ts'
import { hostMigrationSource, hostMigrationsTable } from '../../demo-host/migrations/index.ts'
import { hashPassword, verifyPassword } from '../../demo-host/passwords.ts'
import { seedDemo } from '../../demo-host/seed.ts'
import { kbArticles } from '../../demo-host/seed-kb.ts'
import { prepareDatabase } from '../../demo-host/setup.ts'
import { testDatabase } from '../helpers/db.ts'

const tables = ['users', 'sessions', 'tickets', 'ticket_activity', 'ticket_templates', 'kb_articles', 'host_plugins']

t.test('prepareDatabase', async (t) => {
  const { knex, drop } = await testDatabase()
  t.teardown(drop)

  async function counts (): Promise<Record<string, number>> {
    const out: Record<string, number> = {}
    for (const table of tables) out[table] = Number((await knex(table).count({ n: '*' }).first())?.n)
    return out
  }

  await prepareDatabase(knex)
  const first = await counts()

  t.test('seeds 7 users, 20+ articles, templates of both kinds and tickets with activity', async (t) => {
    t.ok(first.users! >= 7)
    t.ok(first.kb_articles! >= 20)
    t.ok(first.tickets! >= 6)
    t.ok(first.ticket_activity! >= 6)
    for (const kind of ['incident', 'work_order']) {
      const n = Number((await knex('ticket_templates').where({ kind }).count({ n: '*' }).first())?.n)
      t.ok(n >= 2 && n <= 4, `${n} ${kind} templates`)
    }
    const roles = Object.fromEntries((await knex('users').select('username', 'roles')).map((r) => [r.username, r.roles]))
    t.match(roles, { alice: 'agent', bob: 'agent', carol: 'agent', sam: 'supervisor', admin: 'admin', dana: 'customer', erin: 'customer' })
  })

  t.test('every seeded article has a category and several paragraphs', async (t) => {
    for (const a of await knex('kb_articles').whereIn('title', kbArticles.map((k) => k.title)).select('title', 'body', 'category')) {
      t.ok(a.category, a.title)
      t.ok(String(a.body).split(/\n\s*\n/).length >= 3, `${a.title} has paragraphs`)
    }
  })

  t.test('ticket refs are the kind prefix and the zero-padded id; times are numbers', async (t) => {
    for (const row of await knex('tickets').select('id', 'ref', 'kind', 'created_at', 'updated_at')) {
      const prefix = { incident: 'INC', work_order: 'WO', ticket: 'TKT' }[row.kind as string]
      t.equal(row.ref, `${prefix}${String(row.id).padStart(6, '0')}`)
      t.ok(Number(row.updated_at) >= Number(row.created_at))
    }
  })

  t.test('running it again changes no counts', async (t) => {
    await prepareDatabase(knex)
    await seedDemo(knex)
    t.same(await counts(), first)
  })

  t.test('a deleted seed row comes back, and only that one', async (t) => {
    await knex('users').where({ username: 'carol' }).delete()
    await seedDemo(knex)
    t.same(await counts(), first)
    t.ok(await checkCredentials(knex, 'carol', 'demo'))
  })

  t.test('every seeded user signs in with "demo"', async (t) => {
    for (const username of ['alice', 'bob', 'carol', 'sam', 'admin', 'dana', 'erin']) {
      t.ok(await checkCredentials(knex, username, 'demo'), username)
    }
    t.equal(await checkCredentials(knex, 'alice', 'Demo'), null)
  })

  t.test('host migrations keep their own bookkeeping table', async (t) => {
    const done = await knex(hostMigrationsTable).select('name')
    t.equal(done.length, (await hostMigrationSource.getMigrations([])).length)
  })
})

// Every test file has a private database, so rolling back touches nothing shared.
t.test('host migrations go down and up again', async (t) => {
  const { knex, drop } = await testDatabase()
  t.teardown(drop)
  const config = { migrationSource: hostMigrationSource, tableName: hostMigrationsTable }
  await knex.migrate.latest(config)
  await knex.migrate.rollback(config, true)
  for (const table of tables) t.notOk(await knex.schema.hasTable(table), `${table} dropped`)
  await knex.migrate.latest(config)
  for (const table of tables) t.ok(await knex.schema.hasTable(table), `${table} created`)
})

t.test('passwords', async (t) => {
  t.test('hashes are salted scrypt and verify', async (t) => {
    const a = await hashPassword('correct horse')
    const b = await hashPassword('correct horse')
    t.match(a, /^scrypt\$16384\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{88}$/)
    t.not(a, b, 'a fresh salt each time')
    t.ok(await verifyPassword('correct horse', a))
    t.notOk(await verifyPassword('correct horse!', a))
  })

  t.test('malformed or hostile stored hashes never verify', async (t) => {
    const good = await hashPassword('x')
    const [, , salt, hash] = good.split('$')
    for (const stored of ['', 'plain', `bcrypt$16384$${salt}$${hash}`, `scrypt$3$${salt}$${hash}`, `scrypt$1073741824$${salt}$${hash}`, `scrypt$16384$${salt}$AAAA`]) {
      t.notOk(await verifyPassword('x', stored), stored.slice(0, 20))
    }
  })
})

t.test('safeNext', async (t) => {
  t.equal(safeNext('/tickets?kind=incident'), '/tickets?kind=incident')
  for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', 'evil', '', '/a\nb', '/a\\b', undefined, 42]) {
    t.equal(safeNext(bad), null, String(bad))
  }
})
