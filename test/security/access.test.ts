import t from 'tap'
import { createSession, sessionCookie } from '../../demo-host/auth.ts'
import type { HostAdapter, HostArea, RequestLike } from '../../plugin/host/adapter.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { type Permission, resolveSettings } from '../../plugin/settings.ts'
import { createAccess } from '../../plugin/security/access.ts'
import { services } from '../helpers/given.ts'

// Who may do what (docs/design.md §8): the demo desk's own host adapter (sqlHost over its
// users and sessions) and the plugin's routing service, on a fresh seeded database.

const manifest = loadManifest()

t.test('access: checkOrigin', async (t) => {
  const s = await services(t)
  const access = createAccess({ host: s.host, settings: resolveSettings(manifest, {}), routing: s.routing })
  const refused = { code: 'LC_ERR_ORIGIN', statusCode: 403 }

  t.test('the request\'s own host passes, a default port written or not', async (t) => {
    const pass: Array<[string, string, string]> = [
      ['http://localhost', 'http', 'localhost'],
      ['http://help.example:80', 'http', 'help.example'],
      ['http://help.example', 'http', 'help.example:80'],
      ['https://help.example:443', 'https', 'help.example'],
      ['https://help.example', 'https', 'help.example:443'],
      ['http://help.example:8080', 'http', 'help.example:8080'],
      ['http://HELP.example', 'http', 'help.example']
    ]
    for (const [origin, protocol, host] of pass) {
      for (const required of [true, false]) {
        t.doesNotThrow(() => { access.checkOrigin({ origin, host }, protocol, required) }, `${origin} on ${protocol}://${host}`)
      }
    }
    t.doesNotThrow(() => { access.checkOrigin({ origin: ['http://localhost', 'https://evil.example'], host: 'localhost' }, 'http', true) }, 'the first of repeated Origin headers counts')
  })

  t.test('another host, port or scheme is refused with LC_ERR_ORIGIN', async (t) => {
    const fail: Array<[string, string, string]> = [
      ['https://evil.example', 'http', 'localhost'],
      ['http://localhost.evil.example', 'http', 'localhost'],
      ['http://help.example:8080', 'http', 'help.example'],
      ['http://help.example', 'http', 'help.example:8080'],
      ['https://help.example', 'http', 'help.example'],
      ['http://help.example', 'https', 'help.example'],
      ['http://help.example:443', 'https', 'help.example']
    ]
    for (const [origin, protocol, host] of fail) {
      for (const required of [true, false]) {
        t.throws(() => { access.checkOrigin({ origin, host }, protocol, required) }, refused, `${origin} on ${protocol}://${host}`)
      }
    }
  })

  t.test('a missing Origin passes for forms and is refused for sockets', async (t) => {
    t.doesNotThrow(() => { access.checkOrigin({ host: 'localhost' }, 'http', false) })
    t.throws(() => { access.checkOrigin({ host: 'localhost' }, 'http', true) }, refused)
  })

  t.test('a malformed Origin, or one with no Host to compare with, is refused', async (t) => {
    for (const origin of ['null', '', 'localhost', 'not a url', 'http://', 'http://[::1']) {
      t.throws(() => { access.checkOrigin({ origin, host: 'localhost' }, 'http', false) }, refused, JSON.stringify(origin))
    }
    t.throws(() => { access.checkOrigin({ origin: 'http://localhost' }, 'http', false) }, refused, 'no Host header')
    t.throws(() => { access.checkOrigin({ origin: 'http://localhost', host: ['localhost', 'localhost'] }, 'http', false) }, refused, 'repeated Host headers')
  })

  t.test('allowedOrigins admit exactly those origins, besides the request\'s own host', async (t) => {
    const allowing = createAccess({
      host: s.host,
      settings: resolveSettings(manifest, { allowedOrigins: ['https://portal.example', 'http://kiosk.example:8080/'] }),
      routing: s.routing
    })
    for (const origin of ['https://portal.example', 'https://portal.example:443', 'http://kiosk.example:8080', 'http://help.example']) {
      t.doesNotThrow(() => { allowing.checkOrigin({ origin, host: 'help.example' }, 'http', true) }, origin)
    }
    for (const origin of ['http://portal.example', 'https://portal.example:8443', 'http://kiosk.example', 'https://kiosk.example:8080', 'https://evil.example']) {
      t.throws(() => { allowing.checkOrigin({ origin, host: 'help.example' }, 'http', true) }, refused, origin)
    }
    t.throws(() => { access.checkOrigin({ origin: 'https://portal.example', host: 'help.example' }, 'http', true) }, refused, 'not without the setting')
  })
})

t.test('access: agent and scope', async (t) => {
  const s = await services(t)
  const settings = resolveSettings(manifest, {})
  const access = createAccess({ host: s.host, settings, routing: s.routing })
  const l1 = await s.groupId('Support L1')
  const l2 = await s.groupId('Support L2')
  const sales = await s.groupId('Sales')

  /** A request carrying a live host session of `username`. */
  async function signedIn (username: string): Promise<RequestLike> {
    const user = await s.user(username)
    return { headers: { cookie: `${sessionCookie}=${await createSession(s.knex, Number(user.id))}` } }
  }
  const permissions = (set: Set<Permission>): Permission[] => [...set].sort()

  t.test('agent: 401 LC_ERR_UNAUTHENTICATED without a host session', async (t) => {
    await t.rejects(access.agent({ headers: {} }), { code: 'LC_ERR_UNAUTHENTICATED', statusCode: 401 })
    await t.rejects(access.agent({ headers: { cookie: `${sessionCookie}=not-a-session` } }), { code: 'LC_ERR_UNAUTHENTICATED', statusCode: 401 })
    await t.rejects(access.agent({ headers: {} }, 'livechat.admin'), { code: 'LC_ERR_UNAUTHENTICATED', statusCode: 401 }, 'who, before what')
    t.equal(await access.user({ headers: {} }, 'portal'), null)
  })

  t.test('agent: 403 LC_ERR_FORBIDDEN without the permission; livechat.agent unless told', async (t) => {
    await t.rejects(access.agent(await signedIn('dana')), { code: 'LC_ERR_FORBIDDEN', statusCode: 403 })
    const alice = await signedIn('alice')
    await t.rejects(access.agent(alice, 'livechat.supervise'), { code: 'LC_ERR_FORBIDDEN', statusCode: 403 })
    await t.rejects(access.agent(alice, 'livechat.admin'), { code: 'LC_ERR_FORBIDDEN', statusCode: 403 })
    t.equal((await access.agent(alice, 'livechat.transfer')).user.username, 'alice')
    t.equal((await access.user(await signedIn('dana'), 'portal'))?.username, 'dana', 'a customer is still a user')
  })

  t.test('agent: permissions come from the host\'s roles through rolePermissions', async (t) => {
    const alice = await access.agent(await signedIn('alice'))
    t.strictSame(permissions(alice.permissions), ['livechat.agent', 'livechat.transfer'])
    t.ok(alice.can('livechat.transfer'))
    t.notOk(alice.can('livechat.supervise'))
    const sam = await access.agent(await signedIn('sam'), 'livechat.supervise')
    t.strictSame(permissions(sam.permissions), ['livechat.agent', 'livechat.delete', 'livechat.rooms', 'livechat.supervise', 'livechat.transfer'])
    const admin = await access.agent(await signedIn('admin'), 'livechat.admin')
    t.ok(admin.can('livechat.admin'))

    const remapped = createAccess({
      host: s.host,
      settings: resolveSettings(manifest, { rolePermissions: { customer: ['livechat.agent'], agent: [], helper: ['livechat.rooms'] } }),
      routing: s.routing
    })
    t.strictSame(permissions((await remapped.agent(await signedIn('dana'))).permissions), ['livechat.agent'])
    await t.rejects(remapped.agent(await signedIn('alice')), { code: 'LC_ERR_FORBIDDEN' }, 'a role the setting maps to nothing grants nothing')
    await t.rejects(remapped.agent(await signedIn('sam')), { code: 'LC_ERR_FORBIDDEN' }, 'a role the setting leaves out grants nothing')

    // A host user holding two roles gets what both grant.
    await s.knex('users').insert({ username: 'pat', name: 'Pat Parker', email: 'pat@helpdesk.example', password_hash: 'x', roles: 'customer helper', created_at: Date.now() })
    t.strictSame(permissions((await remapped.agent(await signedIn('pat'))).permissions), ['livechat.agent', 'livechat.rooms'])
  })

  t.test('scopeOf: groups from routing; administrators see all; supervise and delete from the permissions', async (t) => {
    const scopeOf = async (username: string) => {
      const agent = await access.agent(await signedIn(username))
      return await access.scopeOf(agent.user, agent.permissions)
    }
    const alice = await s.user('alice')
    // Her chat limit comes with the same read of her groups (the console's availability uses it).
    t.strictSame(await scopeOf('alice'), { id: alice.id, name: 'Alice Adams', activeIn: [l1], visible: [l1], supervise: false, delete: false, limit: (await s.routing.agentGroups(alice.id)).limit })
    const sam = await scopeOf('sam')
    t.strictSame(sam.activeIn, [], 'sam looks after the groups without taking chats')
    t.strictSame([...sam.visible as number[]].sort(), [l1, l2, sales].sort())
    t.equal(sam.supervise, true)
    t.equal(sam.delete, true)
    const admin = await scopeOf('admin')
    t.equal(admin.visible, 'all')
    t.equal(admin.supervise, true)
    t.equal(admin.delete, true)
    t.equal((await access.scopeOf(alice, new Set(['livechat.agent', 'livechat.admin']))).visible, 'all', 'livechat.admin alone makes every group visible')
    t.match(await access.scopeOf(alice, new Set(['livechat.agent', 'livechat.delete'])), { visible: [l1], supervise: false, delete: true })
  })

  t.test('agent.scope: read once per agent() and reused; the next agent() reads again', async (t) => {
    const alice = await s.user('alice')
    t.teardown(async () => { await s.routing.removeMember(l2, alice.id) })
    const request = await signedIn('alice')
    const agent = await access.agent(request)
    const [first, again] = await Promise.all([agent.scope(), agent.scope()])
    t.equal(again, first, 'two calls at once share one read')
    await s.routing.setMember(l2, alice.id)
    t.equal(await agent.scope(), first, 'a later call reuses it, though her groups changed since')
    t.strictSame(first.activeIn, [l1])
    t.strictSame((await (await access.agent(request)).scope()).activeIn.sort(), [l1, l2].sort())
  })

  t.test('the host hears which side asks: agent() for the console, user() for the side named', async (t) => {
    const asked: Array<HostArea | undefined> = []
    const alice = await s.user('alice')
    const dana = await s.user('dana')
    // A desk with one session for both logins that answers as the portal's customer there.
    const host: HostAdapter = { ...s.host, currentUser: async (_request, area) => { asked.push(area); return area === 'portal' ? dana : alice } }
    const sides = createAccess({ host, settings, routing: s.routing })
    t.equal((await sides.agent({ headers: {} })).user.username, 'alice')
    t.equal((await sides.user({ headers: {} }, 'portal'))?.username, 'dana')
    t.equal((await sides.user({ headers: {} }, 'agent'))?.username, 'alice')
    t.strictSame(asked, ['agent', 'portal', 'agent'])
  })
})
