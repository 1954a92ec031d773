import t from 'tap'
import { checkHostMapping } from '../../plugin/host/check.ts'
import type { HostMapping } from '../../plugin/host/mapping.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { loadManifest, validateManifest } from '../../plugin/manifest.ts'
import { preparedDatabase, testDatabase } from '../helpers/db.ts'
import { createThreadDesk, decodeThreadDeskSession } from '../helpers/thread-desk.ts'

// The desk's departments and groups through sqlHost's mapping (docs/hosts.md#departments-and-groups),
// on both databases: membership by a column of the agents' table or by a join table.

t.test('sqlHost departments and groups', async (t) => {
  t.test('the demo desk: departments with members by join table; users carry their departments', async (t) => {
    const { knex, drop } = await preparedDatabase()
    t.teardown(drop)
    const demo = loadManifest().host!
    const host = sqlHost(knex, demo)
    const id = async (table: string, where: Record<string, string>): Promise<string> => String((await knex(table).where(where).first()).id)
    const [alice, bob, carol] = [await id('users', { username: 'alice' }), await id('users', { username: 'bob' }), await id('users', { username: 'carol' })]
    const [billing, sales, support] = [await id('departments', { name: 'Billing' }), await id('departments', { name: 'Sales' }), await id('departments', { name: 'Support' })]
    const directory = await host.directory!()
    t.same(directory, {
      departments: [
        { id: billing, name: 'Billing', members: [bob] },
        { id: sales, name: 'Sales', members: [carol] },
        { id: support, name: 'Support', members: [alice, bob, carol].sort() }
      ],
      groups: []
    })
    const user = await host.getUser(bob)
    t.same(user?.departments, [billing, support].sort())
    t.equal(user?.groups, undefined, 'no groups mapped: none said')
    t.same((await host.findUsers('carol'))[0]?.departments, [sales, support].sort())

    const { departments: _d, ...plain } = demo
    t.equal(sqlHost(knex, plain).directory, undefined, 'a mapping without them offers none')
    t.equal((await sqlHost(knex, plain).getUser(bob))?.departments, undefined)
  })

  t.test('a two-table desk: members by a column of the staff table and teams by join table, with the agents\' prefix', async (t) => {
    const { knex, dialect, drop } = await testDatabase()
    t.teardown(drop)
    const desk = await createThreadDesk(knex, dialect)
    await knex.schema.createTable('ost_department', (table) => {
      table.integer('id').primary()
      table.string('name', 64).notNullable()
    })
    await knex.schema.alterTable('ost_staff', (table) => { table.integer('dept_id').nullable() })
    await knex.schema.createTable('ost_team', (table) => {
      table.integer('team_id').primary()
      table.string('name', 64).notNullable()
      table.integer('dept').nullable()
    })
    await knex.schema.createTable('ost_team_member', (table) => {
      table.integer('team_id').notNullable()
      table.integer('staff_id').notNullable()
    })
    await knex('ost_department').insert([{ id: 1, name: 'Support' }, { id: 2, name: ' Accounts ' }])
    await knex('ost_staff').where({ staff_id: 1 }).update({ dept_id: 1 })
    await knex('ost_staff').where({ staff_id: 3 }).update({ dept_id: 1 })
    await knex('ost_staff').where({ staff_id: 2 }).update({ dept_id: 2 })
    await knex('ost_team').insert([{ team_id: 7, name: 'Night shift', dept: null }, { team_id: 8, name: 'Level 2', dept: 1 }])
    await knex('ost_team_member').insert([{ team_id: 7, staff_id: 3 }, { team_id: 8, staff_id: 3 }, { team_id: 8, staff_id: 2 }])
    const mapping: HostMapping = {
      ...desk.mapping,
      departments: { table: 'ost_department', id: 'id', name: 'name', members: { column: 'dept_id' } },
      groups: { table: 'ost_team', id: 'team_id', name: 'name', departmentId: 'dept', members: { table: 'ost_team_member', id: 'team_id', userId: 'staff_id' } }
    }
    const problems = (await checkHostMapping(knex, mapping)).filter((p) => p.table.startsWith('ost_department') || p.table.startsWith('ost_team') || p.column === 'dept_id')
    t.same(problems, [], 'the mapping fits')
    const host = sqlHost(knex, mapping, { decodeSession: decodeThreadDeskSession })
    t.same(await host.directory!(), {
      departments: [{ id: '2', name: 'Accounts', members: ['a:2'] }, { id: '1', name: 'Support', members: ['a:1', 'a:3'] }],
      groups: [{ id: '8', name: 'Level 2', departmentId: '1', members: ['a:2', 'a:3'] }, { id: '7', name: 'Night shift', departmentId: null, members: ['a:3'] }]
    })
    const ada = await host.getUser('a:3')
    t.same([ada?.departments, ada?.groups], [['1'], ['7', '8']])
    const customer = (await host.findUsers('desk.example', 50)).find((u) => u.kind === 'customer')
    t.equal(customer?.departments, undefined, 'customers are nobody\'s members')
  })

  t.test('the start-up check names a missing table or column of the sections; the manifest schema refuses a bad shape', async (t) => {
    const { knex, drop } = await preparedDatabase()
    t.teardown(drop)
    const demo = loadManifest().host!
    const messages = async (map: HostMapping): Promise<string[]> => (await checkHostMapping(knex, map)).map((p) => p.message)
    t.match(await messages({ ...demo, departments: { table: 'divisions', id: 'id', name: 'name' } }), [/table divisions \(host\.departments\) does not exist/])
    t.match(await messages({ ...demo, departments: { ...demo.departments!, name: 'title' } }), [/column departments\.title \(host\.departments\.name\) does not exist/])
    t.match(await messages({ ...demo, departments: { ...demo.departments!, members: { column: 'dept_id' } } }), [/column users\.dept_id \(host\.departments\.members\.column\) does not exist/])
    t.match(await messages({ ...demo, groups: { table: 'departments', id: 'id', name: 'name', departmentId: 'parent', members: { table: 'department_members', id: 'team_id', userId: 'user_id' } } }), [
      /column departments\.parent \(host\.groups\.departmentId\) does not exist/,
      /column department_members\.team_id \(host\.groups\.members\.id\) does not exist/
    ])
    const manifest = loadManifest()
    t.ok(validateManifest(manifest).host?.departments, 'the demo manifest maps departments')
    t.throws(() => validateManifest({ ...manifest, host: { ...manifest.host, departments: { table: 'departments', id: 'id', name: 'name', members: { table: 'x' } } } }))
    t.throws(() => validateManifest({ ...manifest, host: { ...manifest.host, groups: { table: 'teams', id: 'id' } } }))
  })
})
