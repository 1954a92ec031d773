import t from 'tap'
import { seedDemo } from '../../demo-host/seed.ts'
import { statusesByKind } from '../../demo-host/tickets.ts'
import { build, login, origin } from './helpers.ts'

t.test('the desk\'s tickets: templates with fields, statuses per kind, details and status changes', async (t) => {
  const { app, knex } = await build(t)
  const agent = await login(app, 'bob')
  const page = async (ref: string, cookie = agent) => await app.inject({ url: `/tickets/${ref}`, headers: { cookie } })
  const change = async (ref: string, payload: object) => await app.inject({ method: 'POST', url: `/tickets/${ref}/status`, payload, headers: { cookie: agent, origin } })

  t.test('seeded templates carry fields; an incident and a work order each leave a required one blank', async (t) => {
    const rows = await knex('ticket_templates').select('kind', 'name', 'fields')
    t.ok(rows.every((r) => Array.isArray(JSON.parse(r.fields))), 'every template has a field list')
    const blankRequired = (r: { fields: string }) => (JSON.parse(r.fields) as Array<{ required: boolean, value: string }>).some((f) => f.required && f.value === '')
    t.ok(rows.some((r) => r.kind === 'incident' && blankRequired(r)))
    t.ok(rows.some((r) => r.kind === 'work_order' && blankRequired(r)))
    t.ok(rows.some((r) => r.kind === 'incident' && !blankRequired(r)), 'and some are complete')
  })

  t.test('a desk seeded before templates had fields gets them; fields someone set stay', async (t) => {
    await knex('ticket_templates').where({ name: 'Printer problem' }).update({ fields: null })
    await knex('ticket_templates').where({ name: 'Laptop request' }).update({ fields: '[]' })
    await seedDemo(knex)
    t.match(JSON.parse((await knex('ticket_templates').where({ name: 'Printer problem' }).first('fields')).fields), [{ name: 'impact' }])
    t.same(JSON.parse((await knex('ticket_templates').where({ name: 'Laptop request' }).first('fields')).fields), [])
  })

  t.test('each kind has its statuses, Cancelled among them; the form offers the ticket\'s own', async (t) => {
    for (const kind of ['incident', 'work_order', 'ticket'] as const) t.ok(statusesByKind[kind].includes('Cancelled'), kind)
    const res = await page('INC000001')
    t.match(res.body, /<select id="ticket-status" name="status">[\s\S]*<option value="In Progress" selected>In Progress<\/option>[\s\S]*<option value="Cancelled">Cancelled<\/option>/)
    t.notMatch(res.body, /<option value="Planning">/, 'Planning is a work-order status')
    t.match((await page('WO000002')).body, /name="reason" value="Waiting for mailbox owner approval">/, 'the current reason is filled in')
  })

  t.test('a status change writes the status, its reason and an activity line by who changed it', async (t) => {
    const res = await change('INC000001', { status: 'Pending', reason: 'Waiting for the customer\'s reply' })
    t.equal(res.statusCode, 303)
    const row = await knex('tickets').where({ ref: 'INC000001' }).first()
    t.match(row, { status: 'Pending', status_reason: 'Waiting for the customer\'s reply' })
    const after = await page('INC000001')
    t.match(after.body, /<div class="meta">Bob Brown · [\s\S]*?<div class="text">Status changed from In Progress to Pending \(Waiting for the customer&#x27;s reply\)<\/div>/)
    const cleared = await change('INC000001', { status: 'In Progress', reason: '' })
    t.equal(cleared.statusCode, 303)
    t.equal((await knex('tickets').where({ ref: 'INC000001' }).first()).status_reason, null, 'a reason that no longer applies goes')
  })

  t.test('refused changes come back with the message and what was chosen; nothing is written', async (t) => {
    const activity = (await knex('ticket_activity').count({ n: '*' }).first())?.n
    const long = await change('WO000002', { status: 'Pending', reason: 'x'.repeat(121) })
    t.equal(long.statusCode, 422)
    t.match(long.body, /Keep the reason to 120 characters \(this one has 121\)/)
    const rejected = await change('WO000002', { status: 'Rejected', reason: '' })
    t.match(rejected.body, /Say why the ticket is rejected/)
    t.match(rejected.body, /<option value="Rejected" selected>Rejected<\/option>/)
    const unknown = await change('WO000002', { status: 'Exploded', reason: 'x' })
    t.match(unknown.body, /<select id="ticket-status" name="status" aria-invalid="true">/)
    t.equal((await knex('ticket_activity').count({ n: '*' }).first())?.n, activity)
    t.equal((await knex('tickets').where({ ref: 'WO000002' }).first()).status, 'Pending')
  })

  t.test('details without a template are listed by field name; customers see them but not the form', async (t) => {
    await knex('tickets').where({ ref: 'INC000004' }).update({ details: JSON.stringify({ asset_tag: 'LT-<9>', ignored: 5 }) })
    const res = await page('INC000004')
    t.match(res.body, /<dt>asset_tag<\/dt><dd>LT-&lt;9&gt;<\/dd>/)
    t.notMatch(res.body, /ignored/)
    const erin = await login(app, 'erin')
    const portal = await app.inject({ url: '/portal/tickets/INC000004', headers: { cookie: erin } })
    t.match(portal.body, /<dt>asset_tag<\/dt>/)
    t.notMatch(portal.body, /Change status/)
    await knex('tickets').where({ ref: 'INC000004' }).update({ details: '{broken' })
    t.equal((await page('INC000004')).statusCode, 200, 'a garbled value is no detail, not an error')
  })
})
