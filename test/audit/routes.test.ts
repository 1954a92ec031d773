import t from 'tap'
import { csvCell } from '../../plugin/admin/audit-view-models.ts'
import { tokenAdmin, apiClient } from '../helpers/api.ts'
import { agentSession, build, startChat } from '../helpers/build.ts'

const day = 86_400_000

t.test('audit log', async (t) => {
  // One pinned clock for the app: retention is tested by moving it on.
  let now = Date.now()
  const clock = (): number => now
  // Webhook addresses resolve to a public address without asking a resolver.
  const webhookLookup = async () => [{ address: '93.184.216.34', family: 4 as const }]
  const { app, knex } = await build(t, { pluginOptions: { clock, webhookLookup } })
  const { admin, client, create } = await tokenAdmin(app)
  const sam = await client('sam')
  const userId = async (username: string): Promise<string> => String((await knex('users').where({ username }).first('id')).id)
  /** The entries of an action, oldest first, as stored. */
  const entries = async (action: string) => (await knex('lc_audit').where({ action }).orderBy('id')).map((r) => ({
    ...r, before: r.before === null ? null : JSON.parse(r.before), after: r.after === null ? null : JSON.parse(r.after)
  }))
  const groupId = async (name: string): Promise<number> => Number((await knex('lc_groups').where({ name }).first('id')).id)
  const deptId = async (name: string): Promise<number> => Number((await knex('lc_departments').where({ name }).first('id')).id)
  const adminId = await userId('admin')

  t.test('the pages: administrators at /admin/audit, supervisors at /console/audit, nobody else', async (t) => {
    t.equal((await app.inject({ url: '/livechat/admin/audit', headers: { accept: 'application/json' } })).json().code, 'LC_ERR_UNAUTHENTICATED')
    const alice = await client('alice')
    for (const url of ['/livechat/admin/audit', '/livechat/admin/audit.csv', '/livechat/console/audit', '/livechat/console/audit.csv']) {
      const res = await alice.get(url)
      t.equal(res.statusCode, 403, `an agent: ${url}`)
      t.match(res.body, 'data-code="LC_ERR_FORBIDDEN"')
    }
    t.equal((await sam.get('/livechat/admin/audit')).statusCode, 403, 'a supervisor is not an administrator')
    t.equal((await sam.get('/livechat/admin/audit.csv')).statusCode, 403)
    const page = await admin.get('/livechat/admin/audit')
    t.equal(page.statusCode, 200)
    t.match(page.body, /<a href="\/livechat\/admin\/audit" aria-current="page">Audit log<\/a>/, 'in the administration top bar')
    t.equal((await sam.get('/livechat/console/audit')).statusCode, 200)
    for (const bad of ['?action=chat.eaten', '?period=2', '?department=x', '?before=0', '?extra=1', `?q=${'x'.repeat(101)}`]) {
      t.equal((await admin.get(`/livechat/admin/audit${bad}`)).statusCode, 400, `refused: ${bad}`)
    }
  })

  t.test('groups, members and limits: who, from where, before and after', async (t) => {
    const l1 = await groupId('Support L1')
    const support = await deptId('Support')
    let res = await admin.post(`/livechat/admin/groups/${l1}`, { name: 'Support First Line', distribution: 'cherry_pick', default_max_chats: '5', enabled: 'on' })
    t.equal(res.statusCode, 200, res.body.slice(0, 300))
    const [changed] = await entries('group.updated')
    t.match(changed, { actor_id: adminId, actor_name: 'Ada Admin', ip: '127.0.0.1', subject: 'Group Support / Support First Line', department_id: support })
    t.match(changed!.before, { name: 'Support L1', distribution: 'cherry_pick', defaultMaxChats: 4 })
    t.match(changed!.after, { name: 'Support First Line', distribution: 'cherry_pick', defaultMaxChats: 5 })

    const bob = await userId('bob')
    res = await sam.post(`/livechat/console/groups/${l1}/members/${bob}`, { max_chats: '2' })
    t.equal(res.statusCode, 200, res.body.slice(0, 300))
    const [limit] = await entries('member.updated')
    t.match(limit, { actor_name: 'Sam Supervisor', department_id: support })
    t.same(limit!.before, { agentId: bob, active: true, maxChats: null })
    t.same(limit!.after, { agentId: bob, active: true, maxChats: 2 })

    res = await admin.post(`/livechat/admin/groups/${l1}/members/${bob}/remove`)
    t.equal(res.statusCode, 200)
    const [removed] = await entries('member.removed')
    t.same(removed!.before, { agentId: bob, active: true, maxChats: 2 })
    t.equal(removed!.after, null)
    res = await admin.post(`/livechat/admin/groups/${l1}/members`, { username: 'bob' })
    t.equal(res.statusCode, 200)
    t.same((await entries('member.added'))[0]!.after, { agentId: bob, active: true, maxChats: null })

    const refused = await admin.post(`/livechat/admin/groups/${l1}`, { name: '', distribution: 'cherry_pick', default_max_chats: '5' })
    t.equal(refused.statusCode, 422)
    t.equal((await entries('group.updated')).length, 1, 'a refused form records nothing')
  })

  t.test('settings, the block list, API tokens and their write calls, jobs run by hand', async (t) => {
    let res = await admin.post('/livechat/admin/blocklist', { range: '203.0.113.0/24', reason: 'Spam', expires: 'never' })
    t.equal(res.statusCode, 200)
    const [blocked] = await entries('block.added')
    t.match(blocked, { subject: 'Address 203.0.113.0/24', department_id: null, before: null })
    t.match(blocked!.after, { range: '203.0.113.0/24', reason: 'Spam', expiresAt: null })
    res = await admin.post(`/livechat/admin/blocklist/${String(blocked!.subject_id)}/remove`)
    t.equal(res.statusCode, 200)
    t.match((await entries('block.removed'))[0], { before: { range: '203.0.113.0/24' }, after: null })

    const token = await create({ name: 'Desk bot', scopes: ['chats:read', 'admin', 'messages:write', 'routing:manage'] })
    const [made] = await entries('token.created')
    t.match(made, { subject: 'API token Desk bot', actor_id: adminId })
    t.notMatch(JSON.stringify(made), token.secret, 'never the secret')
    const api = apiClient(app, token.secret, { remoteAddress: '198.51.100.9' })
    t.equal((await api('GET', '/chats')).statusCode, 200)
    const ended = await api('POST', '/chats/999999/end')
    t.equal(ended.statusCode, 404)
    const calls = await entries('api.call')
    t.equal(calls.length, 1, 'a read is not an action; a write is, refused or not')
    t.match(calls[0], { actor_id: `token:${token.id}`, actor_name: 'API token Desk bot', ip: '198.51.100.9', subject: 'POST /livechat/api/v1/chats/:id/end', after: { status: 404 } })
    res = await admin.post(`/livechat/admin/api-tokens/${token.id}/revoke`)
    t.equal(res.statusCode, 200, res.body.slice(0, 200))
    t.match((await entries('token.revoked'))[0], { before: { revoked: false }, after: { revoked: true } })

    res = await admin.post('/livechat/admin/webhooks', { url: 'https://hooks.example/in', description: 'CRM', events: ['chat.queued'] })
    t.equal(res.statusCode, 200, res.body.slice(0, 300))
    const hook = Number((await knex('lc_webhook_endpoints').first('id')).id)
    t.equal((await admin.post(`/livechat/admin/webhooks/${hook}/disable`)).statusCode, 200)
    t.equal((await admin.post(`/livechat/admin/webhooks/${hook}/remove`)).statusCode, 200)
    const [added] = await entries('webhook.created')
    t.match(added, { subject: 'Webhook https://hooks.example/in', before: null, after: { url: 'https://hooks.example/in', events: ['chat.queued'], enabled: true } })
    t.notOk('secret' in added!.after, 'never the secret')
    t.match((await entries('webhook.updated'))[0], { before: { enabled: true }, after: { enabled: false } })
    t.match((await entries('webhook.removed'))[0], { before: { description: 'CRM' }, after: null })

    res = await admin.post('/livechat/admin/settings/queue', { maxMessageLength: '500' })
    const setting = (await entries('settings.changed')).find((e) => e.subject_id === 'maxMessageLength')
    t.ok(setting, `a setting changed (${res.statusCode})`)
    t.match(setting, { actor_id: adminId, ip: '127.0.0.1', before: null, after: 500 })

    res = await admin.post('/livechat/admin/jobs/presence-sweep/run')
    t.equal(res.statusCode, 200)
    t.match((await entries('job.run'))[0], { subject: 'Job presence-sweep', actor_id: adminId, after: { finished: true } })
  })

  t.test('chats taken, transferred by a supervisor, deleted and undeleted', async (t) => {
    const { chatId } = await startChat(app, { question: 'Printer offline' })
    const alice = await agentSession(app, 'alice')
    t.equal((await alice.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)
    const samAgent = await agentSession(app, 'sam')
    t.equal((await samAgent.post(`/livechat/console/chats/${chatId}/take`)).statusCode, 200)
    const chat = await knex('lc_chats').where('id', chatId).first()
    const dept = Number((await knex('lc_groups').where('id', chat.group_id).first()).department_id)
    const [taken] = await entries('chat.taken')
    t.match(taken, { actor_name: 'Sam Supervisor', subject: `Chat #${chatId} with Dana Doyle`, department_id: dept })
    t.same(taken!.before, { agentId: await userId('alice') })
    t.same(taken!.after, { agentId: await userId('sam') })

    const { chatId: other } = await startChat(app, { question: 'VPN down' })
    t.equal((await alice.post(`/livechat/console/chats/${other}/accept`)).statusCode, 200)
    const l2 = await groupId('Support L2')
    const moved = await samAgent.post(`/livechat/console/chats/${other}/transfer`, { group_id: String(l2), comment: 'Needs L2' })
    t.equal(moved.statusCode, 200, moved.body.slice(0, 300))
    const [transfer] = await entries('chat.transferred')
    t.match(transfer, { actor_name: 'Sam Supervisor', after: { groupId: l2, comment: 'Needs L2' } })

    t.equal((await samAgent.post(`/livechat/console/chats/${chatId}/end`)).statusCode, 200)
    const deleted = await samAgent.post(`/livechat/console/chats/${chatId}/delete`)
    t.equal(deleted.statusCode, 200, deleted.body.slice(0, 300))
    t.match((await entries('chat.deleted'))[0], { before: { deleted: false }, after: { deleted: true }, department_id: dept })
    t.equal((await samAgent.post(`/livechat/console/deleted/${chatId}/undelete`)).statusCode, 200)
    t.match((await entries('chat.undeleted'))[0], { after: { deleted: false } })
  })

  t.test('scope: a supervisor of Sales sees nothing of Support', async (t) => {
    const samId = await userId('sam')
    for (const name of ['Support First Line', 'Support L2']) {
      t.equal((await admin.post(`/livechat/admin/groups/${await groupId(name)}/members/${samId}/remove`)).statusCode, 200)
    }
    const sales = await groupId('Sales')
    const carol = await userId('carol')
    t.equal((await sam.post(`/livechat/console/groups/${sales}/members/${carol}`, { max_chats: '1' })).statusCode, 200)
    const page = await sam.get('/livechat/console/audit')
    t.equal(page.statusCode, 200)
    t.match(page.body, /Group Sales \/ Sales: agent/)
    t.notMatch(page.body, /Support/, 'no entry of Support, and Support is no department to filter by')
    t.notMatch(page.body, /Address 203\.0\.113|API token Desk bot|<td>Setting /, 'entries of no department are for administrators')
    const csv = (await sam.get('/livechat/console/audit.csv')).body
    t.match(csv, /Group Sales \/ Sales/)
    t.notMatch(csv, /Support|Desk bot/)
    const asked = await sam.get(`/livechat/console/audit?department=${await deptId('Support')}`)
    t.equal(asked.statusCode, 200)
    t.match(asked.body, /No entries match these filters/, 'asking for Support by its id finds nothing')
    t.match((await admin.get('/livechat/admin/audit')).body, /Support First Line/, 'administrators see everything')
  })

  t.test('filters, paging and CSV, with formulas made harmless', async (t) => {
    const res = await admin.post('/livechat/admin/departments', { name: '=HYPERLINK("http://evil.example")' })
    t.equal(res.statusCode, 200, res.body.slice(0, 300))
    const byAction = await admin.get('/livechat/admin/audit?action=department.created')
    t.match(byAction.body, /Department &#x3D;HYPERLINK\(&quot;http:\/\/evil.example&quot;\)/, 'escaped in the page')
    t.notMatch(byAction.body, /Group Sales \/ Sales/)
    const who = await admin.get(`/livechat/admin/audit?who=${await userId('sam')}`)
    t.match(who.body, /Sam Supervisor/)
    t.notMatch(who.body, /<td>Ada Admin<\/td>/)
    t.match((await admin.get('/livechat/admin/audit?q=Dana')).body, /Chat #\d+ with Dana Doyle/)
    t.notMatch((await admin.get('/livechat/admin/audit?q=100%25')).body, /lc-audit-row/, 'LIKE wildcards are searched for as they are')
    t.match((await admin.get('/livechat/admin/audit?period=1')).body, /lc-audit-row/)

    const csv = await admin.get('/livechat/admin/audit.csv?action=department.created')
    t.equal(csv.statusCode, 200)
    t.match(csv.headers['content-type'], /^text\/csv/)
    t.match(csv.headers['content-disposition'], /^attachment; filename="audit-log-\d{4}-\d\d-\d\d\.csv"$/)
    const lines = csv.body.replace(/^\ufeff/, '').trim().split('\r\n')
    t.match(lines[0], /^"When \(UTC\)","Who"/)
    const evil = lines.find((l) => l.includes('HYPERLINK'))!
    t.match(evil, /"'=HYPERLINK\(""http:\/\/evil.example""\)"/, 'the department cell is prefixed, its quotes doubled')
    t.match(evil, /"Department =HYPERLINK/, 'a cell that does not start with a formula is left as it is')
    for (const [cell, out] of [['=1+1', '"\'=1+1"'], ['+1', '"\'+1"'], ['-1', '"\'-1"'], ['@SUM(A1)', '"\'@SUM(A1)"'], ['\tx', '"\'\tx"'], ['a "b"', '"a ""b"""'], ['1-2', '"1-2"']]) {
      t.equal(csvCell(cell!), out, JSON.stringify(cell))
    }

    // Paging: 50 a page, Older entries goes on from the last one shown.
    for (let i = 0; i < 55; i++) await knex('lc_audit').insert({ at: now, actor_id: 'x', actor_name: 'Filler', action: 'job.run', subject: `Job filler ${i}`, department_id: null })
    const first = await admin.get('/livechat/admin/audit?who=x')
    t.equal(first.body.match(/class="lc-audit-row"/g)?.length, 50)
    const older = /<a href="([^"]+)" rel="next">Older entries/.exec(first.body)![1]!.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=')
    const second = await admin.get(older)
    t.equal(second.body.match(/class="lc-audit-row"/g)?.length, 5)
    t.match(second.body, /Job filler 0</)
    t.notMatch(second.body, /rel="next"/)
  })

  t.test('a custom range of dates narrows the page and the CSV, both dates included', async (t) => {
    const today = new Date(now).toISOString().slice(0, 10)
    const next = new Date(now + day).toISOString().slice(0, 10)
    const last = new Date(now - day).toISOString().slice(0, 10)
    const page = await admin.get(`/livechat/admin/audit?from=${today}&to=${today}`)
    t.equal(page.statusCode, 200)
    t.match(page.body, /lc-audit-row/, 'today\'s entries, from its first to its last moment')
    t.match(page.body, new RegExp(`<input type="date" id="lc-audit-from" name="from" value="${today}">`), 'the form keeps the dates')
    t.notMatch((await admin.get(`/livechat/admin/audit?from=${next}`)).body, /lc-audit-row/, 'nothing from tomorrow on')
    t.notMatch((await admin.get(`/livechat/admin/audit?to=${last}`)).body, /lc-audit-row/, 'nothing up to yesterday')
    t.match((await admin.get('/livechat/admin/audit?from=&to=')).body, /lc-audit-row/, 'empty dates do not narrow')
    const csv = await admin.get(`/livechat/admin/audit.csv?from=${next}`)
    t.equal(csv.body.replace(/^\ufeff/, '').trim().split('\r\n').length, 1, 'the CSV holds its header only')
    const backwards = await admin.get(`/livechat/admin/audit?from=${today}&to=${last}`)
    t.equal(backwards.statusCode, 400)
    t.match(backwards.body, /data-code="LC_ERR_AUDIT_RANGE"/)
    t.equal((await admin.get('/livechat/admin/audit?from=2026-02-30')).statusCode, 400, 'not a date')
    t.equal((await sam.get(`/livechat/console/audit?from=${today}&to=${today}`)).statusCode, 200, 'the supervisors\' page takes the same range')
  })

  t.test('retention: the purge job removes entries older than auditRetentionDays', async (t) => {
    const before = await knex('lc_audit').count({ n: '*' }).first()
    t.ok(Number(before!.n) > 0)
    const res = await admin.post('/livechat/admin/settings/retention', { auditRetentionDays: '30' })
    t.match((await entries('settings.changed')).find((e) => e.subject_id === 'auditRetentionDays'), { after: 30 }, `stored (${res.statusCode})`)
    now += 31 * day
    await knex('lc_audit').insert({ at: now - day, actor_id: null, actor_name: 'Live chat', action: 'job.run', subject: 'Recent', department_id: null })
    const run = await admin.post('/livechat/admin/jobs/purge/run')
    t.equal(run.statusCode, 200)
    t.match(run.body, /audit log entr(y|ies) older than 30 days removed/)
    const left = await knex('lc_audit').orderBy('id')
    t.same(left.map((r) => r.subject).sort(), ['Job purge', 'Recent'], 'only the recent entry and the run itself are left')
  })
})
