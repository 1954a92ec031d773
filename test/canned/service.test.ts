import t from 'tap'
import { createCannedService, fillReply, unknownVariable } from '../../plugin/canned/service.ts'
import { services } from '../helpers/given.ts'

t.test('canned replies: variables', async (t) => {
  t.test('unknownVariable names the first thing written like a variable that is not one', async (t) => {
    t.equal(unknownVariable('Hi {{customer.name}}, I am {{ agent.name }} (chat {{chat.number}}, {{customer.email}})'), null)
    t.equal(unknownVariable('Call {{customer.phone}} or {{foo}}'), '{{customer.phone}}')
    t.equal(unknownVariable('Hello {{ foo }}'), '{{ foo }}')
    t.equal(unknownVariable('Hello {{customer.name'), '{{customer.name')
    t.equal(unknownVariable('Hello customer.name}} there'), 'customer.name}}')
    t.equal(unknownVariable('{{#each x}}{{this}}{{/each}}'), '{{#each x}}', 'Handlebars syntax is just an unknown variable')
    t.equal(unknownVariable('A brace { or } alone is text'), null)
  })

  t.test('fillReply replaces each variable once and never evaluates what it puts in', async (t) => {
    const values = { 'customer.name': '{{agent.name}} <b>', 'customer.email': 'd@x.example', 'agent.name': 'Alice Adams', 'chat.number': '42' }
    t.equal(fillReply('Hi {{customer.name}}, I am {{ agent.name }}; chat {{chat.number}} ({{customer.email}})', values),
      'Hi {{agent.name}} <b>, I am Alice Adams; chat 42 (d@x.example)')
  })
})

t.test('canned replies: service', async (t) => {
  const s = await services(t)
  const canned = createCannedService({ db: s.knex, routing: s.routing })
  const admin = { admin: true, scope: await s.scope('admin') }
  const sam = { admin: false, scope: await s.scope('sam') }
  const alice = { admin: false, scope: await s.scope('alice') }
  const l1 = await s.groupId('Support L1')
  const l2 = await s.groupId('Support L2')
  const count = async (): Promise<number> => Number((await s.knex('lc_canned_replies').count({ n: '*' }))[0]!.n)

  t.test('the demo desk is seeded with global and Support L1 replies', async (t) => {
    const all = await canned.manageable(admin)
    t.strictSame(all.filter((r) => r.groupId === null).map((r) => r.shortcut).sort(), ['bye', 'hello', 'moment'])
    t.strictSame(all.filter((r) => r.groupId === l1).map((r) => r.shortcut).sort(), ['password', 'vpn'])
    t.match(all.find((r) => r.shortcut === 'hello')!.body, 'Hi {{customer.name}}, I am {{agent.name}} from IT support. How can I help?')
  })

  t.test('create: refuses empty, bad and unknown fields all at once, storing nothing', async (t) => {
    const before = await count()
    const bad = await canned.create(admin, null, { title: '  ', shortcut: '/vpn reset!', body: 'Call {{customer.phone}}' })
    t.equal(bad.reply, undefined)
    t.equal(bad.errors?.title?.code, 'LC_ERR_FORM_INVALID')
    t.equal(bad.errors?.shortcut?.code, 'LC_ERR_CANNED_SHORTCUT')
    t.equal(bad.errors?.body?.code, 'LC_ERR_CANNED_VARIABLE')
    t.match(bad.errors?.body?.message, /^\{\{customer\.phone\}\} is not a variable you can use; the variables are \{\{customer\.name\}\}, \{\{customer\.email\}\}, \{\{agent\.name\}\}, \{\{chat\.number\}\}$/)
    const empty = await canned.create(admin, null, { title: 'x', shortcut: '', body: '' })
    t.equal(empty.errors?.shortcut?.code, 'LC_ERR_CANNED_SHORTCUT')
    t.match(empty.errors?.body?.message, 'Reply text is required')
    const long = await canned.create(admin, null, { title: 'x'.repeat(121), shortcut: 'a'.repeat(41), body: 'y'.repeat(4001) })
    t.match(long.errors?.title?.message, /at most 120/)
    t.equal(long.errors?.shortcut?.code, 'LC_ERR_CANNED_SHORTCUT')
    t.match(long.errors?.body?.message, /at most 4000 characters \(this one has 4001\)/)
    t.equal(await count(), before, 'nothing stored')
  })

  t.test('create: the shortcut is unique within its scope, ignoring case and the slash; other scopes may reuse it', async (t) => {
    const taken = await canned.create(admin, null, { title: 'Hello again', shortcut: '/HELLO', body: 'Hi!' })
    t.equal(taken.errors?.shortcut?.code, 'LC_ERR_CANNED_SHORTCUT_TAKEN')
    t.equal(taken.errors?.shortcut?.message, '/hello is already the shortcut of "Greeting" in the global replies; choose another shortcut')
    const inL1 = await canned.create(admin, l1, { title: 'Hello from L1', shortcut: '/Hello', body: 'Hi {{customer.name}}!\r\nL1 here.' })
    t.equal(inL1.reply?.shortcut, 'hello')
    t.equal(inL1.reply?.body, 'Hi {{customer.name}}!\nL1 here.')
    t.equal(inL1.reply?.createdBy, admin.scope.id)
    const again = await canned.create(sam, l1, { title: 'Dup', shortcut: 'hello', body: 'x' })
    t.match(again.errors?.shortcut?.message, /in Support L1/)
  })

  t.test('create: racing requests for one shortcut store it once', async (t) => {
    const results = await Promise.all(Array.from({ length: 6 }, async (_, i) =>
      await canned.create(admin, l2, { title: `Race ${i}`, shortcut: 'race', body: 'x' })))
    t.equal(results.filter((r) => r.reply).length, 1)
    t.equal(results.filter((r) => r.errors?.shortcut?.code === 'LC_ERR_CANNED_SHORTCUT_TAKEN').length, 5)
    t.equal(Number((await s.knex('lc_canned_replies').where({ group_id: l2, shortcut: 'race' }).count({ n: '*' }))[0]!.n), 1)
  })

  t.test('scopes: supervisors manage the groups they see, only administrators global replies, agents none', async (t) => {
    await t.rejects(canned.create(sam, null, { title: 'x', shortcut: 'x', body: 'x' }), { code: 'LC_ERR_CANNED_SCOPE', message: 'You may not manage global canned replies; ask an administrator' })
    await t.rejects(canned.create(alice, l1, { title: 'x', shortcut: 'x', body: 'x' }), { code: 'LC_ERR_CANNED_SCOPE' })
    await t.rejects(canned.create(admin, 999999, { title: 'x', shortcut: 'x', body: 'x' }), { code: 'LC_ERR_CANNED_SCOPE' })
    const dept = (await s.routing.groups()).find((g) => g.id === l1)!.departmentId
    const other = await s.routing.createGroup({ departmentId: dept, name: 'Night shift' })
    const night = await canned.create(admin, other, { title: 'Night', shortcut: 'night', body: 'We are here all night.' })
    await t.rejects(canned.create(sam, other, { title: 'x', shortcut: 'x', body: 'x' }), { code: 'LC_ERR_CANNED_SCOPE', message: /Night shift's canned replies/ })
    await t.rejects(canned.update(sam, night.reply!.id, { title: 'x', shortcut: 'x', body: 'x' }), { code: 'LC_ERR_CANNED_NOT_FOUND' })
    await t.rejects(canned.remove(sam, night.reply!.id), { code: 'LC_ERR_CANNED_NOT_FOUND' })
    const hello = (await canned.manageable(sam)).find((r) => r.shortcut === 'hello' && r.groupId === null)!
    await t.rejects(canned.update(sam, hello.id, { title: 'x', shortcut: 'x', body: 'x' }), { code: 'LC_ERR_CANNED_SCOPE' })
    t.notOk((await canned.manageable(sam)).some((r) => r.groupId === other), 'sam is not shown Night shift\'s replies')
    await t.rejects(canned.remove(admin, 999999), { code: 'LC_ERR_CANNED_NOT_FOUND' })
  })

  t.test('update and remove', async (t) => {
    const vpn = (await canned.manageable(sam)).find((r) => r.shortcut === 'vpn')!
    const same = await canned.update(sam, vpn.id, { title: 'VPN profile', shortcut: '/vpn', body: 'Reinstall it, {{customer.name}}.' })
    t.equal(same.reply?.title, 'VPN profile', 'keeping its own shortcut is fine')
    const clash = await canned.update(sam, vpn.id, { title: 'VPN profile', shortcut: 'password', body: 'x' })
    t.equal(clash.errors?.shortcut?.code, 'LC_ERR_CANNED_SHORTCUT_TAKEN')
    const unknown = await canned.update(sam, vpn.id, { title: 'VPN profile', shortcut: 'vpn', body: 'Hi {{ foo }}' })
    t.match(unknown.errors?.body?.message, /^\{\{ foo \}\} is not a variable/)
    t.equal((await canned.forManager(sam, vpn.id)).body, 'Reinstall it, {{customer.name}}.', 'a refused change stores nothing')
    const removed = await canned.remove(sam, vpn.id)
    t.equal(removed.shortcut, 'vpn')
    await t.rejects(canned.remove(sam, vpn.id), { code: 'LC_ERR_CANNED_NOT_FOUND' })
  })

  t.test('usable: global replies and those of the agent\'s groups, best match first', async (t) => {
    const forAlice = await canned.usable(alice.scope)
    t.ok(forAlice.some((r) => r.shortcut === 'password'), 'Support L1 replies for an L1 agent')
    t.notOk(forAlice.some((r) => r.shortcut === 'race'), 'not Support L2\'s')
    const forCarol = await canned.usable(await s.scope('carol'))
    t.ok(forCarol.some((r) => r.shortcut === 'race'))
    t.notOk(forCarol.some((r) => r.shortcut === 'password'))
    const hel = (await canned.usable(alice.scope, '/hel')).map((r) => r.shortcut)
    t.strictSame(hel.slice(0, 2), ['hello', 'hello'], 'shortcuts starting with it first (global and L1)')
    t.ok(hel.indexOf('bye') > 1, 'then replies whose text contains it ("help")')
    const pass = await canned.usable(alice.scope, 'pass')
    t.equal(pass[0]!.shortcut, 'password')
    t.ok((await canned.usable(alice.scope, 'outlook and teams')).some((r) => r.shortcut === 'password'), 'matches the text too')
    t.strictSame(await canned.usable(alice.scope, 'zzz-nothing'), [])
    t.equal((await canned.usable(alice.scope, '', 2)).length, 2)
  })
})
