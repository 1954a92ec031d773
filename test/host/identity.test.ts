import { createHash } from 'node:crypto'
import t from 'tap'
import type { HostMapping } from '../../plugin/host/mapping.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { checkIdentityMapping, sqlIdentity } from '../../plugin/host/sql-identity.ts'
import { loadManifest, validateManifest } from '../../plugin/manifest.ts'
import { testDatabase } from '../helpers/db.ts'
import { createThreadDesk, decodeThreadDeskSession } from '../helpers/thread-desk.ts'

// A desk shaped like osTicket (test/helpers/thread-desk.ts), on SQLite and, with
// DATABASE_URL, on MariaDB: agents and customers in two tables, sessions under their raw id
// with who is signed in inside the session data (docs/hosts.md, "Who is signed in").

t.test('sqlHost on a thread desk: sessions and users in its own shape', async (t) => {
  const { knex, dialect, drop } = await testDatabase()
  t.teardown(drop)
  const desk = await createThreadDesk(knex, dialect)
  const host = sqlHost(knex, desk.mapping, { decodeSession: decodeThreadDeskSession })
  const cookie = (id: string): { headers: { cookie: string } } => ({ headers: { cookie: `other=1; OSTSESSID=${id}` } })

  t.test('currentUser: an agent\'s session, a customer\'s, both, expired, unknown and over-long cookies', async (t) => {
    const agent = await desk.session('csrf|{"token":"x"};_auth|{"staff":{"id":3}}')
    t.same(await host.currentUser(cookie(agent)), { id: 'a:3', kind: 'agent', username: 'ada', name: 'Ada Lovelace', email: 'ada@desk.example', roles: ['agent'] }, 'names from first and last, trimmed; the role by its id')
    const customer = await desk.session('_auth|{"user":{"id":3}}')
    t.same(await host.currentUser(cookie(customer)), { id: 'c:3', kind: 'customer', username: 'fan@customer.example', name: 'Lovelace Fan', email: 'fan@customer.example', roles: ['customer'] }, 'the same id in the other table is someone else')
    const both = await desk.session('_auth|{"staff":{"id":2},"user":{"id":1}}')
    t.match(await host.currentUser(cookie(both)), { id: 'a:2', kind: 'agent', name: 'Sam Stone' }, 'a session carrying both logins is the agent\'s')
    const gone = await desk.session('_auth|{"staff":{"id":99},"user":{"id":1}}')
    t.match(await host.currentUser(cookie(gone)), { id: 'c:1', name: 'Dana Doyle' }, 'an agent no longer on the desk: the customer of the same session')
    const expired = await desk.session('_auth|{"staff":{"id":3}}', -3_600_000)
    t.equal(await host.currentUser(cookie(expired)), null, 'an hour past its expiry: nobody')
    t.equal(await host.currentUser(cookie('f'.repeat(32))), null, 'an unknown cookie')
    t.equal(await host.currentUser(cookie(agent.toUpperCase())), null, 'the raw id matches exactly, whatever the collation')
    t.equal(await host.currentUser({ headers: {}, cookies: { OSTSESSID: `${agent} ` } }), null, 'nor with a trailing space')
    t.equal(await host.currentUser(cookie('x'.repeat(600))), null, 'an over-long cookie is not looked up')
    t.equal(await host.currentUser({ headers: {} }), null, 'no cookie')
    t.match(await host.currentUser({ headers: {}, cookies: { OSTSESSID: agent } }), { id: 'a:3' }, 'from the host\'s parsed cookies')
    for (const data of ['', 'csrf|{"token":"x"}', '_auth|{not json', '_auth|{}', '_auth|{"staff":{}}']) {
      t.equal(await host.currentUser(cookie(await desk.session(data))), null, `nobody signed in: ${JSON.stringify(data)}`)
    }
    const throwing = sqlHost(knex, desk.mapping, { decodeSession: () => { throw new Error('garbled') } })
    t.equal(await throwing.currentUser(cookie(agent)), null, 'a decoder that throws: nobody')
    const numeric = sqlHost(knex, desk.mapping, { decodeSession: () => ({ customerId: 2 as unknown as string }) })
    t.match(await numeric.currentUser(cookie(agent)), { id: 'c:2' }, 'an id decoded as a number is read as text')
  })

  t.test('getUser: the prefix says the table; an id without a known prefix is nobody', async (t) => {
    t.match(await host.getUser('a:1'), { id: 'a:1', kind: 'agent', name: 'Amy Archer', roles: ['agent'] })
    t.match(await host.getUser('c:1'), { id: 'c:1', kind: 'customer', name: 'Dana Doyle', email: 'dana@customer.example' }, 'the default of the customer\'s addresses')
    t.match(await host.getUser('c:4'), { id: 'c:4', name: 'Walk In', email: '', username: '' }, 'no address: no email')
    t.same((await host.getUser('a:4'))?.roles, [], 'no role id: no roles')
    t.equal((await host.getUser('a:4'))?.name, 'Cher', 'a missing last name leaves no trailing space')
    for (const id of ['3', 'x:3', 'a:', 'c:', '', 'a:99', 'c:99', 'A:3', 'a:3abc', 'c:03', 'a:3 ']) t.equal(await host.getUser(id), null, JSON.stringify(id))
  })

  t.test('getUsers: what getUser gives for each id found, from both tables, exact ids only', async (t) => {
    const ids = ['a:1', 'c:1', 'a:4', 'c:3', 'a:3abc', 'x:3', 'a:', 'c:99', 'a:3 ']
    const one = (await Promise.all(ids.map(async (id) => await host.getUser(id)))).filter((u) => u !== null)
    const many = await host.getUsers!(ids)
    const byId = (a: { id: string }, b: { id: string }): number => a.id.localeCompare(b.id)
    t.same(many.sort(byId), one.sort(byId))
    t.same(many.map((u) => u.id), ['a:1', 'a:4', 'c:1', 'c:3'])
    t.same(await host.getUsers!([]), [])
  })

  t.test('findUsers: both tables, by name (first and last together too), email or username, by name', async (t) => {
    t.same((await host.findUsers('lovelace')).map((u) => u.id), ['a:3', 'c:3'])
    t.same((await host.findUsers('Ada Love')).map((u) => u.id), ['a:3'], 'across first and last name')
    t.same((await host.findUsers('sam')).map((u) => u.id), ['a:2'], 'by username')
    t.same((await host.findUsers('customer.example')).map((u) => u.name), ['Dana Doyle', 'Erin Ek', 'Lovelace Fan'], 'by the address in the side table')
    t.same(await host.findUsers('dana.old'), [], 'only the default address')
    t.same((await host.findUsers('example', 3)).map((u) => u.name), ['Ada Lovelace', 'Amy Archer', 'Cher'], 'at most the limit, by name across tables')
    t.same(await host.findUsers('%'), [], 'wildcards are literal')
  })

  t.test('usersWithRoles: roles by lookup for agents, the fixed role for customers', async (t) => {
    t.same((await host.usersWithRoles!(['supervisor'], 10)).map((u) => u.id), ['a:2'])
    t.same((await host.usersWithRoles!(['agent', 'supervisor'], 10)).map((u) => u.id), ['a:3', 'a:1', 'a:2'])
    t.same((await host.usersWithRoles!(['customer'], 10)).map((u) => u.id), ['c:1', 'c:2', 'c:3', 'c:4'])
    t.same((await host.usersWithRoles!(['agent', 'customer'], 2)).map((u) => u.id), ['a:3', 'a:1'], 'at most the limit')
    t.same(await host.usersWithRoles!(['nobody'], 10), [])
    t.same(await host.usersWithRoles!([], 10), [])
  })

  t.test('roles by a join table of names; a customer role of the desk\'s own name', async (t) => {
    const mapping: HostMapping = {
      ...desk.mapping,
      agents: { ...desk.mapping.agents!, roles: { table: 'ost_staff_roles', userId: 'staff_id', role: 'role' } },
      customers: { ...desk.mapping.customers!, role: 'requester' }
    }
    const joined = sqlHost(knex, mapping, { decodeSession: decodeThreadDeskSession })
    t.same((await joined.getUser('a:2'))?.roles, ['agent', 'supervisor'])
    t.same((await joined.getUser('a:4'))?.roles, [], 'no rows: no roles')
    t.same((await joined.findUsers('desk.example')).map((u) => [u.id, u.roles]), [['a:3', ['admin']], ['a:1', ['agent']], ['a:4', []], ['a:2', ['agent', 'supervisor']]])
    t.same((await joined.usersWithRoles!(['supervisor', 'admin'], 10)).map((u) => u.id), ['a:3', 'a:2'])
    t.same((await joined.usersWithRoles!(['requester'], 1)).map((u) => [u.id, u.roles]), [['c:1', ['requester']]])
    t.same(await joined.usersWithRoles!(['customer'], 10), [], 'the role is the mapped one')
  })

  t.test('one table of users with a raw session id and a user id column, roles by lookup, first and last names', async (t) => {
    await knex.schema.createTable('raw_sessions', (table) => {
      table.string('sid', 64).primary()
      table.integer('uid').notNullable()
      table.bigInteger('expires').notNullable()
    })
    await knex('raw_sessions').insert([{ sid: 'live-one', uid: 1, expires: Date.now() + 60_000 }, { sid: 'old-one', uid: 2, expires: Date.now() - 1 }])
    const { agents: _a, customers: _c, ...rest } = desk.mapping
    const single = sqlHost(knex, {
      ...rest,
      times: 'epoch_ms',
      sessions: { cookie: 'sid', table: 'raw_sessions', token: 'raw', tokenHash: 'sid', userId: 'uid', expiresAt: 'expires' },
      users: { table: 'ost_staff', id: 'staff_id', username: 'username', email: 'email', firstName: 'firstname', lastName: 'lastname', roles: { column: 'role_id', table: 'ost_role', id: 'id', name: 'name' } }
    })
    const amy = await single.currentUser({ headers: { cookie: 'sid=live-one' } })
    t.same(amy, { id: '1', username: 'amy', name: 'Amy Archer', email: 'amy@desk.example', roles: ['agent'] }, 'no kind and no prefix in one table')
    t.equal(await single.currentUser({ headers: { cookie: 'sid=old-one' } }), null)
    t.equal(await single.currentUser({ headers: { cookie: `sid=${createHash('sha256').update('live-one').digest('hex')}` } }), null, 'raw: the hash is not the id')
    t.same((await single.usersWithRoles!(['supervisor'], 5)).map((u) => u.id), ['2'])
    t.equal((await single.getUser('3'))?.name, 'Ada Lovelace')
  })

  t.test('one table, the identity in the session data: a customer login reads the same table', async (t) => {
    const { agents: _a, customers: _c, ...rest } = desk.mapping
    const single = sqlIdentity(knex, { ...rest, users: { table: 'ost_user', id: 'id', email: desk.mapping.customers!.email, name: 'name', roles: { table: 'ost_staff_roles', userId: 'staff_id', role: 'role' } } }, { decodeSession: decodeThreadDeskSession })
    t.match(await single.currentUser(cookie(await desk.session('_auth|{"user":{"id":2}}'))), { id: '2', name: 'Erin Ek', roles: ['agent', 'supervisor'] })
  })
})

t.test('a malformed mapping is refused, naming the field', async (t) => {
  const { knex, drop } = await testDatabase()
  t.teardown(drop)
  const desk = (await import('../helpers/thread-desk.ts')).threadDeskMapping()
  const decode = { decodeSession: decodeThreadDeskSession }
  const demo = loadManifest().host!
  const { users: _users, ...split } = demo
  const cases: Array<[string, HostMapping, RegExp, object?]> = [
    ['data without a decoder', desk, /host\.sessions\.data: is mapped: pass sqlHost\(knex, mapping, \{ decodeSession \}\)/, {}],
    ['neither userId nor data', { ...demo, sessions: { ...demo.sessions, userId: undefined as unknown as string } }, /host\.sessions: map userId, or data/],
    ['an unknown token form', { ...demo, sessions: { ...demo.sessions, token: 'md5' as 'raw' } }, /host\.sessions\.token: must be sha256 or raw/],
    ['a bad cookie name', { ...demo, sessions: { ...demo.sessions, cookie: 'a b' } }, /host\.sessions\.cookie: must be a cookie name/],
    ['a column that is not a name', { ...demo, users: { ...demo.users!, email: 'email; drop' } }, /host\.users\.email: must be a table or column name/],
    ['no users at all', split as HostMapping, /host\.users: is required, unless agents and customers are both mapped/],
    ['users and agents', { ...desk, users: demo.users }, /host\.users: map users \(one table\), or agents and customers \(two\), not both/],
    ['name and first name', { ...desk, agents: { ...desk.agents!, name: 'username' } }, /host\.agents\.name: map name, or firstName and lastName, not both/],
    ['first name alone', { ...desk, agents: { ...desk.agents!, lastName: undefined } }, /host\.agents: map name, or firstName and lastName/],
    ['agents without roles', { ...desk, agents: { ...desk.agents!, roles: undefined } }, /host\.agents\.roles: is required/],
    ['a half join', { ...desk, agents: { ...desk.agents!, roles: { table: 'ost_staff_roles', userId: 'staff_id' } as unknown as string } }, /host\.agents\.roles\.role: is required/],
    ['a half side table of emails', { ...desk, customers: { ...desk.customers!, email: { column: 'default_email_id', table: 'ost_user_email', id: 'id' } as unknown as string } }, /host\.customers\.email\.address: is required/],
    ['a stray email field', { ...desk, customers: { ...desk.customers!, email: { column: 'c', table: 't', id: 'i', address: 'a', user: 'u' } as unknown as string } }, /host\.customers\.email: "user" is not a known field/],
    ['no email', { ...desk, customers: { ...desk.customers!, email: undefined as unknown as string } }, /host\.customers\.email: is required/],
    ['a stray roles field', { ...desk, agents: { ...desk.agents!, roles: { table: 't', userId: 'u', role: 'r', extra: 'x' } as unknown as string } }, /host\.agents\.roles: "extra" is not a known field/],
    ['no prefix', { ...desk, customers: { ...desk.customers!, idPrefix: '' } }, /host\.customers\.idPrefix: is required/],
    ['prefixes that overlap', { ...desk, customers: { ...desk.customers!, idPrefix: 'a:c' } }, /host\.customers\.idPrefix: must differ from agents\.idPrefix/],
    ['an empty customer role', { ...desk, customers: { ...desk.customers!, role: '' } }, /host\.customers\.role: must be a role name/],
    ['two tables, sessions by user id', { ...desk, sessions: { ...demo.sessions } }, /host\.sessions\.data: is required with agents and customers/]
  ]
  for (const [what, mapping, message, options] of cases) {
    t.throws(() => sqlHost(knex, mapping, (options ?? decode) as typeof decode), message, what)
  }
  t.doesNotThrow(() => { checkIdentityMapping(desk, decode) }, 'the thread desk\'s mapping')
  t.doesNotThrow(() => { checkIdentityMapping(demo) }, 'the demo desk\'s mapping, unchanged')
})

t.test('the manifest schema takes the three shapes of roles and the two of users, and names a bad field', async (t) => {
  const loaded = loadManifest()
  const manifest = { ...loaded, host: loaded.host! }
  const desk = (await import('../helpers/thread-desk.ts')).threadDeskMapping()
  const { users: _users, ...split } = manifest.host
  t.doesNotThrow(() => validateManifest({ ...manifest, host: { ...split, sessions: desk.sessions, agents: desk.agents, customers: { ...desk.customers, role: 'requester' } } }), 'agents and customers, roles by lookup')
  t.doesNotThrow(() => validateManifest({ ...manifest, host: { ...manifest.host, users: { ...manifest.host.users, roles: { table: 'user_roles', userId: 'user_id', role: 'role' } } } }), 'roles by a join table')
  t.doesNotThrow(() => validateManifest({ ...manifest, host: { ...manifest.host, users: { ...manifest.host.users, roles: 'roles' } } }), 'roles as a column of names')
  const bad: Array<[object, RegExp]> = [
    [{ ...manifest.host, sessions: { ...manifest.host.sessions, token: 'md5' } }, /host\.sessions\.token must be one of: sha256, raw/],
    [{ ...manifest.host, users: { ...manifest.host.users, name: 'full name' } }, /host\.users\.name has characters that are not allowed/],
    [{ ...manifest.host, users: { ...manifest.host.users, roles: ['agent'] } }, /host\.users\.roles must be object/],
    [{ ...manifest.host, users: { ...manifest.host.users, roles: { table: 'user_roles', userId: 'user_id' } } }, /host\.users\.roles: role is required/],
    [{ ...manifest.host, users: { ...manifest.host.users, roles: { column: 'role_id', table: 'roles', id: 'id' } } }, /host\.users\.roles: name is required/i],
    [{ ...manifest.host, users: { ...manifest.host.users, roles: { column: 'role id', table: 'roles', id: 'id', name: 'name' } } }, /host\.users\.roles\.column has characters that are not allowed/],
    [{ ...split, sessions: desk.sessions, agents: { ...desk.agents, idPrefix: undefined }, customers: desk.customers }, /host\.agents: idPrefix is required/],
    [{ ...manifest.host, users: { ...manifest.host.users, nickname: 'nick' } }, /host\.users: "nickname" is not a known field/],
    [{ ...split, agents: desk.agents }, /host: users is required/],
    [{ ...manifest.host, users: { ...manifest.host.users, email: { column: 'email_id', table: 'emails', id: 'id' } } }, /host\.users\.email: address is required/i]
  ]
  for (const [host, message] of bad) t.throws(() => validateManifest({ ...manifest, host: JSON.parse(JSON.stringify(host)) }), message, String(message))
})
