import t, { type Test } from 'tap'
import { build, formClients } from '../helpers/build.ts'

// The Business hours page (docs/features.md#business-hours): administrators only, one card
// per department, a form whose every problem comes back beside its field with nothing stored.

const mondayEvening = Date.parse('2026-12-07T17:30:00Z')

const good = {
  time_zone: 'Europe/Berlin',
  day_1: '09:00-12:00, 13:00–17:00',
  day_2: '09:00-17:00',
  day_3: '09:00-17:00',
  day_4: '09:00-17:00',
  day_5: '09:00-15:00',
  day_6: '',
  day_7: '',
  holidays: '2026-12-25 Christmas Day\n2026-12-24 Christmas Eve',
  closed_message: 'For outages call <0800 123 456>'
}

t.test('business hours administration', async (t) => {
  const { app, knex } = await build(t, { pluginOptions: { clock: () => mondayEvening } })
  const { client } = await formClients(app, '/livechat/admin/hours')
  const [admin, sam, alice] = [await client('admin'), await client('sam'), await client('alice')]
  const support = Number((await knex('lc_departments').where({ name: 'Support' }).first('id')).id)
  const url = `/livechat/admin/departments/${support}/hours`
  const stored = async (): Promise<string> => JSON.stringify(await knex('lc_department_hours').orderBy('department_id'))
  const refused = async (t: Test, payload: object, field: string, message: RegExp) => {
    const before = await stored()
    const res = await admin.post(url, payload)
    t.equal(res.statusCode, 422, field)
    t.match(res.body, new RegExp(`id="lc-admin-hours-form-${support}-${field}-error" class="lc-field-error" data-code="LC_ERR_FORM_INVALID">`))
    t.match(res.body, message)
    t.match(res.body, /<details class="lc-admin__details" open>/, 'the form stays open')
    t.equal(await stored(), before, 'nothing stored')
    return res
  }

  t.test('GET /admin/hours: 401 signed out, 403 for agents and supervisors, every department for an admin', async (t) => {
    t.equal((await app.inject({ url: '/livechat/admin/hours', headers: { accept: 'application/json' } })).statusCode, 401)
    for (const who of [alice, sam]) {
      const res = await who.get('/livechat/admin/hours')
      t.equal(res.statusCode, 403)
      t.match(res.body, /You need the livechat.admin permission for this/)
    }
    const page = await admin.get('/livechat/admin/hours')
    t.equal(page.statusCode, 200)
    t.match(page.body, new RegExp(`id="lc-admin-hours-${support}"`))
    t.match(page.body, /Always open: no business hours set/)
    t.match(page.body, /<datalist id="lc-time-zones">[\s\S]*<option value="Europe\/Berlin">/)
    t.match(page.body, /<a href="\/livechat\/admin\/hours" aria-current="page">Business hours<\/a>/)
    t.notMatch(page.body, /hx-post="[^"]*"(?![^>]*hx-target="#lc-notice")/, 'every action targets the notice area')
  })

  t.test('saving needs livechat.admin and the CSRF token', async (t) => {
    t.equal((await sam.post(url, good)).statusCode, 403)
    t.equal((await alice.post(url, good)).statusCode, 403)
    t.equal((await admin.post(url, good, { 'x-csrf-token': 'forged' })).statusCode, 403)
    t.equal(await stored(), '[]', 'nothing stored')
  })

  t.test('a good form is stored and the card shows it, with what it means now', async (t) => {
    const res = await admin.post(url, good)
    t.equal(res.statusCode, 200)
    t.match(res.body, /Business hours of Support saved/)
    t.match(res.body, new RegExp(`id="lc-admin-hours-${support}"`))
    t.match(res.body, /data-open="no">Closed now: chat opens tomorrow at 09:00 \(Europe\/Berlin\)</)
    t.match(res.body, /<caption>Chat hours, Europe\/Berlin<\/caption>/)
    t.match(res.body, /<th scope="row">Monday<\/th><td>09:00–12:00, 13:00–17:00<\/td>/)
    t.match(res.body, /<th scope="row">Saturday<\/th><td>Closed<\/td>/)
    t.match(res.body, /<time datetime="2026-12-24">2026-12-24<\/time> Christmas Eve<\/li><li><time datetime="2026-12-25">/, 'holidays in date order')
    t.match(res.body, /customers read: “For outages call &lt;0800 123 456&gt;”/, 'escaped')
    const row = await knex('lc_department_hours').where({ department_id: support }).first()
    t.equal(row.time_zone, 'Europe/Berlin')
    t.same(JSON.parse(row.periods).filter((p: { day: number }) => p.day === 1), [{ day: 1, opens: 540, closes: 720 }, { day: 1, opens: 780, closes: 1020 }])
    t.equal(JSON.parse(row.holidays).length, 2)
    const adminId = String((await knex('users').where({ username: 'admin' }).first('id')).id)
    t.equal(row.updated_by, adminId)
    const again = await admin.get('/livechat/admin/hours')
    t.match(again.body, /name="day_1" value="09:00–12:00, 13:00–17:00"/, 'the form shows it as saved')
  })

  t.test('bad forms come back beside their fields, nothing stored', async (t) => {
    await refused(t, { ...good, day_2: '17:00-09:00' }, 'day_2', /Tuesday: 17:00–09:00 ends before it starts/)
    await refused(t, { ...good, day_3: '09:00-13:00, 12:00-17:00' }, 'day_3', /Wednesday: 09:00–13:00 and 12:00–17:00 overlap/)
    await refused(t, { ...good, day_4: 'all day' }, 'day_4', /Thursday: write each period as 09:00–17:00/)
    await refused(t, { ...good, time_zone: 'Europe/Berln' }, 'time_zone', /&quot;Europe\/Berln&quot; is not a time zone we know/)
    await refused(t, { ...good, time_zone: '' }, 'time_zone', /Time zone is required/)
    await refused(t, { ...good, holidays: '2026-02-30 Nothing' }, 'holidays', /Line 1: 2026-02-30 is not a date in the calendar/)
    await refused(t, { ...good, holidays: 'Christmas' }, 'holidays', /Line 1: write a holiday as a date and its name/)
    await refused(t, { ...good, closed_message: 'x'.repeat(501) }, 'closed_message', /at most 500 characters/)
    // Every problem at once, what was typed kept.
    const res = await refused(t, { ...good, day_1: '12:00-08:00', day_5: '25:00-26:00', time_zone: 'Nowhere' }, 'day_1', /Monday: 12:00–08:00 ends before it starts/)
    t.match(res.body, /Friday: 25:00 is not a time of day/)
    t.match(res.body, /&quot;Nowhere&quot; is not a time zone we know/)
    t.match(res.body, /name="day_5" value="25:00-26:00"/)
  })

  t.test('a field the form has not, or an unknown department', async (t) => {
    const before = await stored()
    const extra = await admin.post(url, { ...good, day_8: '09:00-10:00' })
    t.equal(extra.statusCode, 422)
    t.match(extra.body, /This form has no field &quot;day_8&quot;/)
    const missing = await admin.post('/livechat/admin/departments/99999/hours', good)
    t.equal(missing.statusCode, 404)
    t.match(missing.body, /LC_ERR_DEPARTMENT_NOT_FOUND/)
    t.equal(await stored(), before)
  })

  t.test('Remove business hours: always open again', async (t) => {
    t.equal((await sam.post(`${url}/remove`)).statusCode, 403)
    const res = await admin.post(`${url}/remove`)
    t.equal(res.statusCode, 200)
    t.match(res.body, /Support has no business hours now: chat is always open/)
    t.match(res.body, /Always open: no business hours set/)
    t.equal(await stored(), '[]')
  })
})
