import t from 'tap'
import type { HostAdapter } from '../../plugin/host/adapter.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { createImportService, type ImportChoice, type ImportService } from '../../plugin/routing/import.ts'
import { resolveSettings } from '../../plugin/settings.ts'
import { services, type Services } from '../helpers/given.ts'

const choose = (c: Partial<ImportChoice>): ImportChoice => ({ departments: [], groups: [], members: false, groupDepartmentId: null, ...c })

/** The demo desk's departments (demo-host/seed-departments.ts), plus teams of a plain mapping: a groups table and a join table. */
async function desk (t: Parameters<typeof services>[0]): Promise<{ s: Services, host: HostAdapter, imports: ImportService, deskId: (name: string) => Promise<string> }> {
  const s = await services(t)
  await s.knex.schema.createTable('teams', (table) => {
    table.increments('id')
    table.string('title', 120).notNullable()
    table.integer('dept').nullable()
  })
  await s.knex.schema.createTable('team_members', (table) => {
    table.integer('team_id').notNullable()
    table.integer('member').notNullable()
  })
  const manifest = loadManifest()
  const host = sqlHost(s.knex, {
    ...manifest.host!,
    groups: { table: 'teams', id: 'id', name: 'title', departmentId: 'dept', members: { table: 'team_members', id: 'team_id', userId: 'member' } }
  })
  const imports = createImportService({ db: s.knex, bus: s.bus, host, settings: resolveSettings(manifest, {}) })
  const deskId = async (name: string): Promise<string> => String((await s.knex('departments').where({ name }).first()).id)
  return { s, host, imports, deskId }
}

const count = async (s: Services, table: string): Promise<number> => Number((await s.knex(table).count({ n: '*' }))[0]!.n)

t.test('import from the help desk', async (t) => {
  t.test('preview: a department here by name is Already here, not yet linked; one not here is New', async (t) => {
    const { imports } = await desk(t)
    t.equal(imports.available, true)
    const preview = (await imports.preview())!
    t.same(preview.departments.map((d) => [d.name, d.status, d.linked, d.hereName]), [
      ['Billing', 'new', false, null], ['Sales', 'here', false, 'Sales'], ['Support', 'here', false, 'Support']
    ])
    t.same(preview.groups, [], 'the teams table is empty')
  })

  t.test('run: creates a new department with a group of its own, links one here by name, adds agent members; a second run adds nothing', async (t) => {
    const { s, imports, deskId } = await desk(t)
    const [billing, support] = [await deskId('Billing'), await deskId('Support')]
    const carol = await s.user('carol')
    const bob = await s.user('bob')
    const result = await imports.run(choose({ departments: [billing, support], members: true }))
    t.same(result.created, ['Billing'])
    t.same(result.linked, ['Support'])
    t.same(result.joined, ['Billing', 'Support'])
    t.equal(result.membersAdded, 2, 'bob to Billing; carol to Support L1 (alice and bob are there already)')
    const dept = await s.knex('lc_departments').where({ name: 'Billing' }).first()
    t.equal(dept.host_id, billing)
    const own = await s.knex('lc_groups').where({ department_id: dept.id }).first()
    t.equal(own.name, 'Billing')
    t.equal(Number(dept.default_group_id), Number(own.id), 'its own group is where its chats start')
    t.same((await s.knex('lc_group_members').where({ group_id: own.id })).map((m) => m.agent_id), [bob.id])
    t.ok(await s.knex('lc_group_members').where({ group_id: await s.groupId('Support L1'), agent_id: carol.id }).first())
    t.equal((await s.knex('lc_departments').where({ name: 'Support' }).first()).host_id, support)
    await new Promise((resolve) => setImmediate(resolve))
    t.ok(s.events.some((e) => e.type === 'agent.groups' && e.agentId === carol.id), 'the console hears of the new membership')

    const counts = [await count(s, 'lc_departments'), await count(s, 'lc_groups'), await count(s, 'lc_group_members')]
    const again = await imports.run(choose({ departments: [billing, support], members: true }))
    t.same(again, { created: [], linked: [], renamed: [], joined: [], skipped: ['Billing', 'Support'], membersAdded: 0, notAgents: [] })
    t.same([await count(s, 'lc_departments'), await count(s, 'lc_groups'), await count(s, 'lc_group_members')], counts, 'nothing new')
    const preview = (await imports.preview())!
    t.same(preview.departments.map((d) => [d.name, d.status, d.linked]), [['Billing', 'here', true], ['Sales', 'here', false], ['Support', 'here', true]])
  })

  t.test('renamed in the desk: found by the remembered id, marked Renamed, renamed here when ticked', async (t) => {
    const { s, imports, deskId } = await desk(t)
    const billing = await deskId('Billing')
    await imports.run(choose({ departments: [billing] }))
    await s.knex('departments').where({ id: billing }).update({ name: 'Accounts' })
    const c = (await imports.preview())!.departments.find((d) => d.hostId === billing)!
    t.match(c, { name: 'Accounts', status: 'renamed', hereName: 'Billing', linked: true })
    const result = await imports.run(choose({ departments: [billing] }))
    t.same(result.renamed, ['Billing → Accounts'])
    t.equal(await count(s, 'lc_departments'), 3, 'renamed, not made again')
    t.ok(await s.knex('lc_departments').where({ name: 'Accounts', host_id: billing }).first())
  })

  t.test('members who are not agents are left out and named', async (t) => {
    const { s, imports, deskId } = await desk(t)
    const billing = await deskId('Billing')
    const dana = await s.user('dana')
    await s.knex('department_members').insert({ department_id: Number(billing), user_id: Number(dana.id) })
    const result = await imports.run(choose({ departments: [billing], members: true }))
    t.same(result.notAgents, ['Dana Doyle'])
    t.equal(result.membersAdded, 1)
    t.notOk(await s.knex('lc_group_members').where({ agent_id: dana.id }).first())
  })

  t.test('groups: into their desk department when it is here or ticked, else the one chosen; linked by name within it', async (t) => {
    const { s, imports, deskId } = await desk(t)
    const [billing, support] = [await deskId('Billing'), await deskId('Support')]
    const alice = await s.user('alice')
    const [l1] = await s.knex('teams').insert({ title: 'support l1', dept: Number(support) })
    const [tier3] = await s.knex('teams').insert({ title: 'Tier 3', dept: Number(support) })
    const [payments] = await s.knex('teams').insert({ title: 'Payments', dept: Number(billing) })
    const [night] = await s.knex('teams').insert({ title: 'Night shift', dept: null })
    await s.knex('team_members').insert([{ team_id: tier3, member: Number(alice.id) }, { team_id: night, member: Number(alice.id) }])
    const preview = (await imports.preview())!
    t.same(preview.groups.map((g) => [g.name, g.status, g.hereName, g.departmentName]), [
      ['Night shift', 'new', null, null], ['Payments', 'new', null, null], ['support l1', 'here', 'Support L1', 'Support'], ['Tier 3', 'new', null, 'Support']
    ])
    const ids = [l1, tier3, payments, night].map(String)
    const before = await count(s, 'lc_groups')

    const refused = await imports.run(choose({ groups: ids })).catch((err) => err)
    t.equal(refused.code, 'LC_ERR_IMPORT_GROUP_DEPARTMENT')
    t.match(refused.message, /Night shift, Payments/)
    t.equal(await count(s, 'lc_groups'), before, 'nothing written')

    const sales = Number((await s.knex('lc_departments').where({ name: 'Sales' }).first()).id)
    const result = await imports.run(choose({ departments: [billing], groups: ids, members: true, groupDepartmentId: sales }))
    t.same(result.created.sort(), ['Billing', 'Night shift', 'Payments', 'Tier 3'])
    t.same(result.linked, ['support l1'])
    const group = async (name: string) => await s.knex('lc_groups as g').join('lc_departments as d', 'd.id', 'g.department_id').where('g.name', name).first('g.id', 'g.host_id', 'd.name as dept')
    t.match(await group('Tier 3'), { dept: 'Support', host_id: String(tier3) })
    t.match(await group('Payments'), { dept: 'Billing', host_id: String(payments) })
    t.match(await group('Night shift'), { dept: 'Sales', host_id: String(night) })
    t.match(await group('Support L1'), { host_id: String(l1) })
    t.ok(await s.knex('lc_group_members').where({ group_id: (await group('Night shift')).id, agent_id: alice.id }).first())
    t.same((await s.host.getUser(alice.id))?.departments, [support], 'sqlHost reads the desk departments of a user')
  })

  t.test('refusals: nothing ticked, an id the desk does not have, a chosen department that is gone', async (t) => {
    const { s, imports } = await desk(t)
    const [night] = await s.knex('teams').insert({ title: 'Night shift', dept: null })
    const code = async (c: ImportChoice): Promise<string> => (await imports.run(c).catch((err) => err)).code
    t.equal(await code(choose({})), 'LC_ERR_IMPORT_NOTHING_CHOSEN')
    t.equal(await code(choose({ departments: ['9999'] })), 'LC_ERR_IMPORT_UNKNOWN')
    t.equal(await code(choose({ groups: ['9999'] })), 'LC_ERR_IMPORT_UNKNOWN')
    t.equal(await code(choose({ groups: [String(night)], groupDepartmentId: 9999 })), 'LC_ERR_IMPORT_DEPARTMENT_UNKNOWN')
  })

  t.test('two imports at once: the department is made once; a loser is told what won', async (t) => {
    const { s, imports, deskId } = await desk(t)
    const billing = await deskId('Billing')
    const outcomes = await Promise.allSettled([imports.run(choose({ departments: [billing] })), imports.run(choose({ departments: [billing] }))])
    t.equal(await s.knex('lc_departments').where({ host_id: billing }).count({ n: '*' }).then((r) => Number(r[0]!.n)), 1)
    for (const o of outcomes) {
      if (o.status === 'rejected') {
        t.equal(o.reason.code, 'LC_ERR_IMPORT_CONFLICT')
        t.equal(o.reason.statusCode, 409)
        t.match(o.reason.message, /^Billing was saved by another change/)
      } else {
        t.ok(o.value.created.length + o.value.skipped.length === 1)
      }
    }
    t.ok(outcomes.some((o) => o.status === 'fulfilled' && o.value.created[0] === 'Billing'))
  })

  t.test('a desk without departments or groups: nothing to preview; run refused', async (t) => {
    const s = await services(t)
    const manifest = loadManifest()
    const { departments: _, ...plain } = manifest.host!
    const imports = createImportService({ db: s.knex, bus: s.bus, host: sqlHost(s.knex, plain), settings: resolveSettings(manifest, {}) })
    t.equal(imports.available, false)
    t.equal(await imports.preview(), null)
    t.equal((await imports.run(choose({ departments: ['1'] })).catch((err) => err)).code, 'LC_ERR_IMPORT_UNAVAILABLE')
  })
})
