import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { build, formClients } from '../helpers/build.ts'

t.test('import from the help desk: routes', async (t) => {
  const { app, knex } = await build(t)
  const { client } = await formClients(app, '/livechat/admin/groups')
  const [admin, sam, alice, anonymous] = [await client('admin'), await client('sam'), await client('alice'), await client()]
  const url = '/livechat/admin/departments/import'

  const deskId = async (name: string): Promise<string> => String((await knex('departments').where({ name }).first()).id)
  const snapshot = async (): Promise<string> => JSON.stringify([
    await knex('lc_departments').orderBy('id'), await knex('lc_groups').orderBy('id'), await knex('lc_group_members').orderBy(['group_id', 'agent_id'])
  ])
  const refused = async (t: Test, res: LightMyRequestResponse, before: string, status: number, code: string) => {
    t.equal(res.statusCode, status, code)
    t.match(res.body, `data-code="${code}"`)
    t.equal(await snapshot(), before, 'nothing changed')
  }
  /** The checkbox of a desk department in the import form, as rendered. */
  const box = (body: string, id: string): string => new RegExp(`<input id="lc-admin-import-form-department-${id}"[^>]*>[\\s\\S]*?</label>`).exec(body)?.[0] ?? ''

  t.test('the page lists the desk\'s departments: New ones ticked, those here by name marked Already here', async (t) => {
    const res = await admin.get('/livechat/admin/groups')
    t.equal(res.statusCode, 200)
    t.match(res.body, /id="lc-admin-import"[\s\S]*Import from the help desk/)
    const [billing, support, sales] = [await deskId('Billing'), await deskId('Support'), await deskId('Sales')]
    t.match(box(res.body, billing), /checked> Billing <span class="lc-pill lc-pill--new" data-status="new">New<\/span>/)
    t.match(box(res.body, support), /value="\d+"> Support <span[^>]*data-status="here">Already here/)
    t.notMatch(box(res.body, support), /checked/)
    t.match(box(res.body, sales), /data-status="here"/)
    t.match(res.body, /name="members" value="on" checked/)
    t.notMatch(res.body, /name="group_department"/, 'no groups in the demo desk: no department choice')
  })

  t.test('POST: 401 signed out, 403 for agents and supervisors and without the CSRF token or from another origin', async (t) => {
    const before = await snapshot()
    const billing = await deskId('Billing')
    const out = await anonymous.post(url, { department: billing }, { accept: 'application/json' })
    t.equal(out.statusCode, 401)
    t.equal(await snapshot(), before)
    await refused(t, await alice.post(url, { department: billing }), before, 403, 'LC_ERR_FORBIDDEN')
    await refused(t, await sam.post(url, { department: billing }), before, 403, 'LC_ERR_FORBIDDEN')
    await refused(t, await admin.post(url, { department: billing }, { 'x-csrf-token': '' }), before, 403, 'LC_ERR_CSRF')
    await refused(t, await admin.post(url, { department: billing }, { origin: 'https://evil.example' }), before, 403, 'LC_ERR_ORIGIN')
  })

  t.test('bad input re-renders the section with the reason, as ticked, nothing stored', async (t) => {
    const before = await snapshot()
    const billing = await deskId('Billing')
    let res = await admin.post(url, { members: 'on' })
    await refused(t, res, before, 422, 'LC_ERR_IMPORT_NOTHING_CHOSEN')
    t.match(res.body, /id="lc-admin-import"[\s\S]*Tick at least one department or group to import/)
    t.notMatch(box(res.body, billing), /checked/, 'what was ticked (nothing) is kept')
    t.match(res.body, /name="members" value="on" checked/)

    res = await admin.post(url, { department: [billing, '99999'] })
    await refused(t, res, before, 422, 'LC_ERR_IMPORT_UNKNOWN')
    t.match(res.body, /The help desk no longer has department 99999; reload the page/)
    t.match(box(res.body, billing), /checked/)

    res = await admin.post(url, { department: billing, group_department: 'abc' })
    await refused(t, res, before, 422, 'LC_ERR_FORM_INVALID')
    t.match(res.body, /name="group_department"[\s\S]*Department for groups outside the desk&#x27;s departments is not valid/, 'beside the department choice, shown for its error')
    res = await admin.post(url, { department: 'x'.repeat(65) })
    await refused(t, res, before, 422, 'LC_ERR_FORM_INVALID')
    res = await admin.post(url, { department: billing, extra: '1' })
    await refused(t, res, before, 422, 'LC_ERR_FORM_INVALID')
    t.match(res.body, /This form has no field &quot;extra&quot;/)
  })

  t.test('Import creates what is new with its members and links what is here; the result names each; a second import adds nothing', async (t) => {
    const [billing, support] = [await deskId('Billing'), await deskId('Support')]
    const res = await admin.post(url, { department: [billing, support], members: 'on' })
    t.equal(res.statusCode, 200)
    const dept = await knex('lc_departments').where({ name: 'Billing' }).first()
    t.equal(dept.host_id, billing)
    t.match(res.body, new RegExp(`id="lc-admin-department-${dept.id}"`), 'the departments list shows it')
    t.match(res.body, /<strong>Created:<\/strong> Billing<\/li>/)
    t.match(res.body, /<strong>Linked:<\/strong> Support<\/li>/)
    t.match(res.body, /<strong>Members added \(2\):<\/strong> Billing, Support<\/li>/)
    t.match(res.body, /Imported from the help desk: 1 created, 1 linked, 2 members added/)
    t.match(box(res.body, billing), /data-status="here"/)
    t.notMatch(box(res.body, billing), /checked/)

    const before = await snapshot()
    const again = await admin.post(url, { department: [billing, support], members: 'on' })
    t.equal(again.statusCode, 200)
    t.match(again.body, /Nothing new was imported/)
    t.match(again.body, /<strong>Skipped, already here:<\/strong> Billing, Support<\/li>/)
    t.match(again.body, /Nothing new to import: everything ticked is here already/)
    t.equal(await snapshot(), before, 'nothing duplicated')
  })

  t.test('a department renamed in the desk is marked Renamed, and renamed here when imported', async (t) => {
    const billing = await deskId('Billing')
    await knex('departments').where({ id: billing }).update({ name: 'Accounts' })
    const page = await admin.get('/livechat/admin/groups')
    t.match(box(page.body, billing), /value="\d+"> Accounts <span[^>]*data-status="renamed">Renamed in the desk<\/span> <small>here: Billing<\/small>/)
    const res = await admin.post(url, { department: billing })
    t.equal(res.statusCode, 200)
    t.match(res.body, /<strong>Renamed:<\/strong> Billing → Accounts<\/li>/)
    t.ok(await knex('lc_departments').where({ name: 'Accounts', host_id: billing }).first())
  })

  t.test('a desk without departments shows a sentence, never an empty form', async (t) => {
    await knex('department_members').delete()
    await knex('departments').delete()
    const res = await admin.get('/livechat/admin/groups')
    t.match(res.body, /id="lc-admin-import"[\s\S]*The help desk has no departments or groups to import\./)
    t.notMatch(res.body, /id="lc-admin-import-form"/)
  })
})
