import t from 'tap'
import { ChatStatus, type Chat } from '../../plugin/chats/types.ts'
import { fieldChoice, idleState } from '../../plugin/console/list-view-models.ts'
import { agentSession, build, openSocket, startChat } from '../helpers/build.ts'

const rowIds = (body: string): number[] => [...body.matchAll(/id="lc-list-row-(\d+)"/g)].map((m) => Number(m[1]))
const headers = (body: string): string[] => [...body.matchAll(/<th scope="col" aria-sort="[a-z]+"><a [^>]*>([A-Za-z ]+)/g)].map((m) => m[1]!.trim())

t.test('idle colours: thresholds measured from the last agent message, not reset by customer or transfer', async (t) => {
  const base: Chat = {
    id: 1,
    status: ChatStatus.active,
    groupId: 1,
    agentId: 'a',
    customerUserId: null,
    customerName: 'C',
    customerEmail: 'c@x',
    customerUsername: null,
    customerVerifiedId: null,
    question: 'q',
    source: 'portal',
    createdAt: 0,
    queuedAt: 0,
    assignedAt: 1_000,
    endedAt: null,
    endedBy: null,
    lastAgentMessageAt: null,
    lastSeq: 1,
    messageCount: 1,
    transferredTo: null,
    transferredBy: null,
    transferredAt: null,
    transferComment: null,
    autoAssigned: false,
    customerLeftAt: null,
    customerGoneAt: null,
    agentReadSeq: 0,
    customerReadSeq: 0,
    customerIp: null,
    customerAgent: null
  }
  const warn = 120_000
  const high = 300_000
  t.match(idleState(base, 1_000 + 119_999, warn, high), { level: 'green', label: 'Active', from: 1_000 }, 'from assignment until the agent writes')
  t.match(idleState(base, 1_000 + 120_000, warn, high), { level: 'yellow', label: 'Idle warning' })
  t.match(idleState(base, 1_000 + 300_000, warn, high), { level: 'red', label: 'High idle' })
  t.match(idleState({ ...base, lastAgentMessageAt: 200_000 }, 250_000, warn, high), { level: 'green', idleMs: 50_000 }, 'from the last agent message')
  // A transfer re-assigns (assignedAt moves) but the agent's last message stays the measure.
  t.match(idleState({ ...base, lastAgentMessageAt: 10_000, assignedAt: 400_000, transferredAt: 390_000 }, 420_000, warn, high), { level: 'red', idleMs: 410_000 })
  t.match(idleState({ ...base, status: ChatStatus.queued, assignedAt: null }, 999_999, warn, high), { level: 'grey', label: 'Waiting in the queue' })
  t.match(idleState({ ...base, status: ChatStatus.ended }, 0, warn, high), { level: 'red', label: 'Closed' })
  t.same(fieldChoice({ user: { visible: false, width: 9999 }, idle: 'nonsense' }).user, { visible: false, width: 240 }, 'a stored width out of range falls back to the default')
})

t.test('chat lists: views, permissions, filters, sorting, visible fields, transfer selected', async (t) => {
  const { app, knex } = await build(t)
  const idOf = async (username: string): Promise<string> => String((await knex('users').where({ username }).first('id')).id)
  const groupOf = async (name: string): Promise<number> => Number((await knex('lc_groups').where({ name }).first('id')).id)
  const get = async (cookie: string, url: string, hx = false) => await app.inject({ url, headers: { cookie, ...(hx ? { 'hx-request': 'true' } : {}) } })
  const [l1, l2, sales] = [await groupOf('Support L1'), await groupOf('Support L2'), await groupOf('Sales')]
  const support = Number((await knex('lc_departments').where({ name: 'Support' }).first('id')).id)

  const alice = await agentSession(app, 'alice')
  const bob = await agentSession(app, 'bob')
  const carol = await agentSession(app, 'carol')
  const sam = await agentSession(app, 'sam')
  const admin = await agentSession(app, 'admin')

  // A: alice's active chat; B: waiting in L1; C: carol's in L2; D: alice's, ended.
  const a = (await startChat(app, { name: 'Ann Active', email: 'ann@customer.example' })).chatId
  await alice.post(`/livechat/console/chats/${a}/accept`)
  const b = (await startChat(app, { name: 'Ben Waiting', email: 'ben@customer.example' })).chatId
  const c = (await startChat(app, { name: 'Cid Level2', email: 'cid@customer.example' })).chatId
  await knex('lc_chats').where({ id: c }).update({ group_id: l2 })
  t.equal((await carol.post(`/livechat/console/chats/${c}/accept`)).statusCode, 200)
  const d = (await startChat(app, { name: 'Dee Done', email: 'dee@customer.example' })).chatId
  await alice.post(`/livechat/console/chats/${d}/accept`)
  await alice.post(`/livechat/console/chats/${d}/end`)
  // sam supervises L1 and Sales only from here on: he must be a member to see a group (docs/features.md#who-sees-what).
  await knex('lc_group_members').where({ group_id: l2, agent_id: await idOf('sam') }).delete()

  t.test('each view lists its chats; the console sidebar links to them', async (t) => {
    t.same(rowIds((await get(alice.cookie, '/livechat/console/lists/my-active')).body), [a])
    t.same(rowIds((await get(alice.cookie, '/livechat/console/lists/my-completed')).body), [d])
    t.same(rowIds((await get(alice.cookie, '/livechat/console/lists/queue')).body), [b])
    const none = await get(alice.cookie, '/livechat/console/lists/transferred')
    t.equal(none.statusCode, 200)
    t.match(none.body, /No transfers are waiting for you or your groups\./)
    const page = await get(alice.cookie, '/livechat/console/lists/my-active')
    t.match(page.body, /<a href="\/livechat\/console\/lists\/my-active" aria-current="page">My Active<\/a>/)
    t.notMatch(page.body, /lists\/global-active/, 'no global lists for an agent')
    t.match(page.body, /id="lc-queue"[\s\S]*id="lc-my-active"/, 'the sidebar partials are still there')
    t.match(page.body, /hx-ws:connect="\/livechat\/ws\/console\?list(=|&#x3D;)my-active"/)
    t.match(page.body, new RegExp(`<a href="/livechat/console/chats/${a}"><strong>Ann Active</strong></a><small>ann@customer.example</small>`), 'a row opens the chat\'s own view')
    const console = await get(sam.cookie, '/livechat/console')
    t.match(console.body, /href="\/livechat\/console\/lists\/global-active">Global Active<\/a>[\s\S]*Global Completed/)
    t.notMatch((await get(alice.cookie, '/livechat/console')).body, /Global Active/)
    t.match((await get(alice.cookie, '/livechat/console')).body, /href="\/livechat\/console\/lists\/my-completed">My Completed<\/a>/)
    const hx = await get(alice.cookie, '/livechat/console/lists/queue', true)
    t.match(hx.body, /^<hx-partial hx-target="#lc-list" hx-swap="outerHTML"><section id="lc-list"/)
  })

  t.test('permissions: agents cannot open global lists; supervisors see their groups; administrators all', async (t) => {
    const denied = await app.inject({ url: '/livechat/console/lists/global-active', headers: { cookie: alice.cookie, accept: 'application/json' } })
    t.equal(denied.statusCode, 403)
    t.equal(denied.json().code, 'LC_ERR_FORBIDDEN')
    t.same(rowIds((await get(sam.cookie, '/livechat/console/lists/global-active')).body).sort(), [a, b].sort(), 'not C, of a group sam left')
    t.same(rowIds((await get(sam.cookie, '/livechat/console/lists/global-completed')).body), [d])
    t.same(rowIds((await get(admin.cookie, '/livechat/console/lists/global-active')).body).sort(), [a, b, c].sort())
    t.same(rowIds((await get(admin.cookie, `/livechat/console/lists/global-active?group=${l2}`)).body), [c])
    t.same(rowIds((await get(sam.cookie, `/livechat/console/lists/global-active?agent=${await idOf('alice')}`)).body), [a])
    t.same(rowIds((await get(sam.cookie, `/livechat/console/lists/global-active?department=${support}`)).body).sort(), [a, b].sort())
    t.same(rowIds((await get(sam.cookie, `/livechat/console/lists/global-active?group=${sales}`)).body), [])
  })

  t.test('bad input: unknown list 404, bad sort 400, filters outside one\'s groups 403', async (t) => {
    const json = async (cookie: string, url: string) => await app.inject({ url, headers: { cookie, accept: 'application/json' } })
    const unknown = await json(sam.cookie, '/livechat/console/lists/everything')
    t.equal(unknown.statusCode, 404)
    t.equal(unknown.json().code, 'LC_ERR_LIST_NOT_FOUND')
    const sort = await json(sam.cookie, '/livechat/console/lists/global-active?sort=secret')
    t.equal(sort.statusCode, 400)
    t.equal(sort.json().code, 'LC_ERR_VALIDATION')
    t.match(sort.json().message, /sort must be one of: status, user, group, started, queue, idle, messages, agent/)
    t.equal((await json(sam.cookie, '/livechat/console/lists/global-active?dir=up')).statusCode, 400)
    for (const q of [`group=${l2}`, 'group=999999', 'department=999999', 'agent=999999']) {
      const res = await json(sam.cookie, `/livechat/console/lists/global-active?${q}`)
      t.equal(res.statusCode, 403, q)
      t.equal(res.json().code, 'LC_ERR_LIST_FILTER', q)
    }
    t.match((await json(sam.cookie, `/livechat/console/lists/global-active?group=${l2}`)).json().message, /group \d+ is not one of them/)
    const page = await get(sam.cookie, `/livechat/console/lists/global-active?group=${l2}`)
    t.match(page.body, /data-code="LC_ERR_LIST_FILTER"|LC_ERR_LIST_FILTER/, 'a person sees the error page with the code')
  })

  t.test('sorting: by a column both ways, ties broken by idle time in the same direction', async (t) => {
    const now = Date.now()
    const zed: number[] = []
    for (const idleMinutes of [10, 1, 3]) {
      const id = (await startChat(app, { name: 'Zed Same', email: 'zed@customer.example' })).chatId
      await bob.post(`/livechat/console/chats/${id}/accept`)
      await knex('lc_chats').where({ id }).update({ last_agent_message_at: now - idleMinutes * 60_000 })
      zed.push(id)
    }
    const yan = (await startChat(app, { name: 'yan lower', email: 'yan@customer.example' })).chatId
    await bob.post(`/livechat/console/chats/${yan}/accept`)
    const [ten, one, three] = zed as [number, number, number]
    t.same(rowIds((await get(bob.cookie, '/livechat/console/lists/my-active?sort=user&dir=asc')).body), [yan, one, three, ten], 'Y before Z ignoring case; least idle first')
    t.same(rowIds((await get(bob.cookie, '/livechat/console/lists/my-active?sort=user&dir=desc')).body), [ten, three, one, yan], 'most idle first')
    t.same(rowIds((await get(bob.cookie, '/livechat/console/lists/my-active?sort=idle&dir=desc')).body).slice(0, 3), [ten, three, one])
    const asc = await get(bob.cookie, '/livechat/console/lists/my-active?sort=idle&dir=asc', true)
    t.match(asc.body, /aria-sort="ascending"><a href="\/livechat\/console\/lists\/my-active\?sort(=|&#x3D;)idle&amp;dir(=|&#x3D;)desc" hx-get=/, 'the sorted header offers the other direction')
    t.match(asc.body, new RegExp(`id="lc-list-row-${ten}" class="lc-list-row lc-list-row--red"[\\s\\S]*?High idle`))
    t.match(asc.body, new RegExp(`id="lc-list-row-${three}" class="lc-list-row lc-list-row--yellow"[\\s\\S]*?Idle warning`))
    t.match(asc.body, new RegExp(`id="lc-list-row-${one}" class="lc-list-row lc-list-row--green"[\\s\\S]*?Active`))
    t.match(asc.body, /data-lc-warn="120000" data-lc-high="300000"/)
    const byAgent = rowIds((await get(sam.cookie, '/livechat/console/lists/global-active?sort=agent&dir=asc')).body)
    t.equal(byAgent[0], a, 'Alice Adams before Bob Brown')
    t.equal(byAgent.at(-1), b, 'the unassigned chat last')
    const byGroup = await get(admin.cookie, '/livechat/console/lists/global-active?sort=group&dir=desc')
    t.equal(rowIds(byGroup.body)[0], c, 'Support / Support L2 after Support / Support L1')
    const byStatus = rowIds((await get(sam.cookie, '/livechat/console/lists/global-active?sort=status&dir=asc')).body)
    t.equal(byStatus[0], b, 'queued before active')
    for (const key of ['started', 'queue', 'messages']) {
      t.equal((await get(sam.cookie, `/livechat/console/lists/global-active?sort=${key}&dir=desc`)).statusCode, 200, key)
    }
  })

  t.test('View → Visible Fields: saved per agent and applied on every list; bad widths come back beside the field', async (t) => {
    const bad = await alice.post('/livechat/console/lists/fields', { show_user: 'on', width_user: 'wide', show_idle: 'on', width_idle: '5' })
    t.equal(bad.statusCode, 422)
    t.match(bad.body, /<hx-partial hx-target="#lc-list-fields" hx-swap="outerHTML">/)
    t.match(bad.body, /value="wide" aria-label="Width of User in pixels" aria-invalid="true"/, 'what was typed is kept')
    t.match(bad.body, /Width of User: type a whole number of pixels from 40 to 600/)
    t.match(bad.body, /Width of Idle: type a whole number of pixels from 40 to 600/)
    const none = await alice.post('/livechat/console/lists/fields', {})
    t.equal(none.statusCode, 422)
    t.match(none.body, /Show at least one column/)
    t.equal(await knex('lc_agent_preferences').count({ n: '*' }).first().then((r) => Number(r?.n)), 0, 'nothing saved')
    t.equal((await alice.post('/livechat/console/lists/fields', { show_user: 'on', width_user: '1e3' })).statusCode, 422)
    t.equal((await alice.post('/livechat/console/lists/fields', { show_everything: 'on' })).statusCode, 400)

    const ok = await alice.post('/livechat/console/lists/fields', { show_status: 'on', show_user: 'on', width_user: '320', show_idle: 'on', width_idle: '' })
    t.equal(ok.statusCode, 200)
    t.match(ok.body, /<hx-partial hx-target="#lc-list-stale" hx-swap="outerHTML">/, 'the open list re-reads itself')
    for (const view of ['my-active', 'my-completed', 'queue']) {
      const res = await get(alice.cookie, `/livechat/console/lists/${view}`)
      t.same(headers(res.body), ['Status', 'User', 'Idle'], view)
      t.match(res.body, /<colgroup><col width="40"><col width="90"><col width="320"><col width="100"><\/colgroup>/, view)
      t.match(res.body, /id="lc-field-show-group" name="show_group" value="on">/, 'the form shows the choice')
    }
    t.same(headers((await get(bob.cookie, '/livechat/console/lists/my-active')).body).length, 8, 'bob keeps every column')
    await alice.post('/livechat/console/lists/fields', Object.fromEntries(['status', 'user', 'group', 'started', 'queue', 'idle', 'messages', 'agent'].map((k) => [`show_${k}`, 'on'])))
    t.same(headers((await get(alice.cookie, '/livechat/console/lists/my-active')).body).length, 8, 'saved again, replaced')
  })

  t.test('Transfer selected: each chat moved whole or left, with the reason', async (t) => {
    const e = (await startChat(app, { name: 'Eve Extra', email: 'eve@customer.example' })).chatId
    await alice.post(`/livechat/console/chats/${e}/accept`)
    const before = await knex('lc_chats').whereIn('id', [a, b, c, e]).orderBy('id')

    const noneTicked = await alice.post('/livechat/console/lists/transfer', { group_id: String(l2) })
    t.equal(noneTicked.statusCode, 422)
    t.match(noneTicked.body, /Tick at least one chat in the list first/)
    const noGroup = await alice.post('/livechat/console/lists/transfer', { chat_ids: [String(a)], comment: 'kept' })
    t.equal(noGroup.statusCode, 422)
    t.match(noGroup.body, /Choose the group to transfer the chats to/)
    t.match(noGroup.body, />kept<\/textarea>/)
    const badGroup = await alice.post('/livechat/console/lists/transfer', { chat_ids: [String(a), String(e)], group_id: '999999', comment: 'kept too' })
    t.equal(badGroup.statusCode, 422)
    t.match(badGroup.body, /Group 999999 does not exist or takes no chats/)
    t.match(badGroup.body, />kept too<\/textarea>/)
    t.same(await knex('lc_chats').whereIn('id', [a, b, c, e]).orderBy('id'), before, 'nothing changed')
    t.equal((await bob.post('/livechat/console/lists/transfer', { chat_ids: 'x1', group_id: String(l2) })).statusCode, 400)

    const mixed = await alice.post('/livechat/console/lists/transfer', { chat_ids: [String(a), String(b), String(c), String(e)], group_id: String(l2), comment: 'Needs level 2' })
    t.equal(mixed.statusCode, 200)
    t.match(mixed.body, /<strong>2 transferred, 2 not transferred<\/strong>/)
    t.match(mixed.body, new RegExp(`Chat #${a} \\(Ann Active\\): transferred`))
    t.match(mixed.body, new RegExp(`Chat #${e} \\(Eve Extra\\): transferred`))
    t.match(mixed.body, new RegExp(`Chat #${b} \\(Ben Waiting\\): not transferred: This chat is queued now, so it cannot be transferred`))
    t.match(mixed.body, new RegExp(`Chat #${c}: not transferred: Chat ${c} does not exist, or you may not see it`))
    t.match(mixed.body, /hx-target="#lc-my-active"/, 'the sidebar lists follow')
    const after = new Map((await knex('lc_chats').whereIn('id', [a, b, c, e])).map((r) => [Number(r.id), r]))
    t.equal(after.get(a).status, 'queued')
    t.equal(Number(after.get(a).group_id), l2)
    t.equal(after.get(a).transfer_comment, 'Needs level 2')
    t.equal(after.get(e).status, 'queued')
    t.equal(after.get(b).status, 'queued')
    t.equal(Number(after.get(b).group_id), l1, 'the queued chat stayed where it was')
    t.equal(after.get(c).agent_id, await idOf('carol'), 'carol\'s chat is untouched')
    const forbidden = await app.inject({ method: 'POST', url: '/livechat/console/lists/transfer', payload: { chat_ids: String(c), group_id: String(l1) }, headers: { cookie: carol.cookie, origin: 'http://localhost' } })
    t.equal(forbidden.statusCode, 403, 'no CSRF token')
  })

  t.test('the page reads well: filters, toolbar and no Delete button', async (t) => {
    const page = await get(sam.cookie, '/livechat/console/lists/global-active')
    t.match(page.body, /<select id="lc-list-agent" name="agent">/)
    t.match(page.body, /<summary>Actions<\/summary>[\s\S]*Transfer selected/)
    t.match(page.body, /<summary>View<\/summary>[\s\S]*<legend>Visible Fields<\/legend>/)
    t.match(page.body, /data-lc-select-all aria-label="Select all chats in the list"/)
    t.notMatch(page.body, />Delete</)
    t.notMatch((await get(alice.cookie, '/livechat/console/lists/my-active')).body, /id="lc-list-agent"/, 'no agent filter on one\'s own list')
  })
})

t.test('chat lists over the socket: a list tab is told when its list may have changed', async (t) => {
  const { app, url } = await build(t, { listen: true })
  const sam = await agentSession(app, 'sam')
  const alice = await agentSession(app, 'alice')
  const origin = url
  const watching = await openSocket(url, '/livechat/ws/console?list=global-active', { cookie: sam.cookie, origin })
  const mine = await openSocket(url, '/livechat/ws/console?list=my-completed', { cookie: alice.cookie, origin })
  const plain = await openSocket(url, '/livechat/ws/console', { cookie: alice.cookie, origin })
  t.teardown(async () => { await Promise.all([watching.close(), mine.close(), plain.close()]) })
  await watching.waitFor(/lc-queue/)
  const { chatId } = await startChat(app)
  await watching.waitFor(/<hx-partial hx-target="#lc-list-stale" hx-swap="outerHTML"><div id="lc-list-stale" hidden data-lc-list-stale="\d+"><\/div>/)
  await alice.post(`/livechat/console/chats/${chatId}/accept`)
  await alice.post(`/livechat/console/chats/${chatId}/end`)
  await mine.waitFor(/lc-list-stale/)
  t.notOk(plain.frames.some((f) => f.includes('lc-list-stale')), 'a console without a list is not told')

  const refused = await openSocket(url, '/livechat/ws/console?list=global-active', { cookie: alice.cookie, origin })
  t.same(await refused.closed, { code: 1008, reason: 'LC_ERR_LIST_NOT_FOUND' }, 'an agent cannot watch a global list')
  const unknown = await openSocket(url, '/livechat/ws/console?list=nope', { cookie: sam.cookie, origin })
  t.equal((await unknown.closed).code, 1008)
})
