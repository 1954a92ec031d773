import t from 'tap'
import { agentSession, build, startChat } from '../helpers/build.ts'

const rowIds = (body: string): number[] => [...body.matchAll(/id="lc-search-row-(\d+)"/g)].map((m) => Number(m[1]))
const listIds = (body: string): number[] => [...body.matchAll(/id="lc-list-row-(\d+)"/g)].map((m) => Number(m[1]))
const sorted = (ids: number[]): number[] => [...ids].sort((x, y) => x - y)

t.test('Advanced Search and the lists\' search box', async (t) => {
  const { app, knex } = await build(t)
  const idOf = async (username: string): Promise<string> => String((await knex('users').where({ username }).first('id')).id)
  const groupOf = async (name: string): Promise<number> => Number((await knex('lc_groups').where({ name }).first('id')).id)
  const l2 = await groupOf('Support L2')
  const alice = await agentSession(app, 'alice')
  const bob = await agentSession(app, 'bob')
  const carol = await agentSession(app, 'carol')
  const sam = await agentSession(app, 'sam')
  const admin = await agentSession(app, 'admin')
  const get = async (cookie: string, url: string, headers: Record<string, string> = {}) => await app.inject({ url, headers: { cookie, ...headers } })

  // Every statement the app sends while `counting`: a refused search must not query chats at all.
  const statements: string[] = []
  let counting = false
  knex.on('query', (q: { sql: string }) => { if (counting) statements.push(q.sql) })
  const searchStatements = (): string[] => statements.filter((sql) => /["`]lc_chats["`] as ["`]c["`]|lc_message_words|match ?\(/i.test(sql))
  const counted = async (fn: () => Promise<unknown>): Promise<string[]> => {
    statements.length = 0
    counting = true
    try { await fn() } finally { counting = false }
    return searchStatements()
  }

  // A: alice's printer chat, ended. B: alice's, active. C: carol's, Support L2. D: waiting in Support L1.
  // E: bob's, ended. T: transferred to Support L1's queue.
  const a = (await startChat(app, { name: 'Ann Printer', email: 'ann@customer.example', question: 'The printer jams on every page' })).chatId
  await alice.post(`/livechat/console/chats/${a}/accept`)
  await alice.post(`/livechat/console/chats/${a}/end`)
  const b = (await startChat(app, { name: 'Ben Active', email: 'ben@customer.example', question: 'Printer driver will not install' })).chatId
  await alice.post(`/livechat/console/chats/${b}/accept`)
  const c = (await startChat(app, { name: 'Cid Level2', email: 'cid@elsewhere.example', question: 'The printer in level two is offline' })).chatId
  await knex('lc_chats').where({ id: c }).update({ group_id: l2 })
  await carol.post(`/livechat/console/chats/${c}/accept`)
  const d = (await startChat(app, { name: 'Dee <b>Waiting</b>', email: 'dee@customer.example', question: 'Printer toner is empty' })).chatId
  const e = (await startChat(app, { name: 'Eve Bob', email: 'eve@customer.example', question: 'Printer shows error 51' })).chatId
  await bob.post(`/livechat/console/chats/${e}/accept`)
  await bob.post(`/livechat/console/chats/${e}/end`)
  const tr = (await startChat(app, { name: 'Tom Transferred', email: 'tom@customer.example', question: 'Printer moved to another floor' })).chatId
  await knex('lc_chats').where({ id: tr }).update({ transferred_at: Date.now(), transferred_by: await idOf('carol'), transfer_comment: 'yours' })

  t.test('the page: linked from the Lists nav, a form alone on the first visit', async (t) => {
    const console = await get(alice.cookie, '/livechat/console')
    t.match(console.body, /<a href="\/livechat\/console\/search">Advanced Search<\/a>/)
    const found = await counted(async () => {
      const page = await get(alice.cookie, '/livechat/console/search')
      t.equal(page.statusCode, 200)
      t.match(page.body, /<a href="\/livechat\/console\/search" aria-current="page">Advanced Search<\/a>/)
      t.match(page.body, /<form id="lc-search-form" class="lc-form lc-search-form" method="get" action="\/livechat\/console\/search"/)
      t.match(page.body, /<optgroup label="Support"><option value="\d+">Support L1<\/option><\/optgroup>/, 'groups by department: only those alice belongs to')
      t.notMatch(page.body, /Sales<\/option>/)
      t.match(page.body, /name="cf_order_number"/, 'custom fields are criteria too')
      t.match(page.body, /<option value="Laptop">Laptop<\/option>/)
      t.match(page.body, /Deleted chats only: You find only the deleted chats you had yourself/)
      t.notMatch(page.body, /id="lc-search-results"/)
    })
    t.same(found, [], 'nothing searched before asked')
    const samPage = await get(sam.cookie, '/livechat/console/search')
    t.match(samPage.body, /<optgroup label="Support">.*Support L1.*Support L2.*<\/optgroup><optgroup label="Sales">/s)
    t.notMatch(samPage.body, /You find only the deleted chats/, 'a supervisor with livechat.delete finds his groups\' deleted chats')
  })

  t.test('a search: results link to the chat, best match first, everything bookmarkable', async (t) => {
    const res = await get(admin.cookie, '/livechat/console/search?in=active&q=printer+jams&max=50')
    t.equal(res.statusCode, 200)
    t.same(rowIds(res.body), [a])
    t.match(res.body, new RegExp(`<a href="/livechat/console/chats/${a}">#${a}</a>`))
    t.match(res.body, /Best matches first, for: printer, jams\./)
    t.match(res.body, /value="printer jams"/, 'the form keeps what was searched')
    const all = await get(admin.cookie, '/livechat/console/search?q=printer')
    t.same(sorted(rowIds(all.body)), sorted([a, b, c, d, e, tr]))
    t.match(all.body, /<td>a message<\/td>/, 'where it was found')
    t.match(all.body, /Dee &lt;b&gt;Waiting&lt;\/b&gt;/, 'user text escaped')
    const two = await get(admin.cookie, '/livechat/console/search?q=printer&max=2&sort=oldest')
    t.same(rowIds(two.body), [a, b])
    t.match(two.body, /There are more than 2/)
    const combined = await get(admin.cookie, `/livechat/console/search?q=printer&agent=${await idOf('alice')}&status=ended`)
    t.same(rowIds(combined.body), [a], 'criteria combine with AND')
    const email = await get(admin.cookie, '/livechat/console/search?email=cid%40elsewhere.example')
    t.same(rowIds(email.body), [c])
    const none = await get(admin.cookie, '/livechat/console/search?q=fax+machine')
    t.equal(none.statusCode, 200)
    t.match(none.body, /Nothing found/)
    t.match(none.body, /No chats match every criterion/)
  })

  t.test('permissions: an agent finds only the chats they may open', async (t) => {
    t.same(sorted(rowIds((await get(alice.cookie, '/livechat/console/search?q=printer')).body)), sorted([a, b, d, tr]), 'her own, and those waiting in her queue')
    t.same(rowIds((await get(carol.cookie, '/livechat/console/search?q=printer')).body), [c], 'nothing of Support L1, a group she is not in')
    t.same(rowIds((await get(bob.cookie, `/livechat/console/search?number=${a}`)).body), [], 'not alice\'s chat by its number either')
    await knex('lc_group_members').where({ group_id: l2, agent_id: await idOf('sam') }).delete()
    t.same(sorted(rowIds((await get(sam.cookie, '/livechat/console/search?q=printer')).body)), sorted([a, b, d, e, tr]), 'a supervisor: the groups he belongs to')
    const refused = await get(sam.cookie, `/livechat/console/search?group=${l2}`)
    t.equal(refused.statusCode, 422)
    t.match(refused.body, /id="lc-search-group-error" class="lc-field-error" data-code="LC_ERR_SEARCH_GROUP"/)
    const anon = await app.inject({ url: '/livechat/console/search?q=printer', headers: { accept: 'application/json' } })
    t.equal(anon.statusCode, 401)
  })

  t.test('deleted chats: only with "deleted only"; they open in their read-only view', async (t) => {
    await knex('lc_chats').where({ id: a }).update({ deleted_at: Date.now() })
    t.same(rowIds((await get(alice.cookie, `/livechat/console/search?number=${a}`)).body), [])
    const deleted = await get(alice.cookie, '/livechat/console/search?in=deleted&q=printer')
    t.same(rowIds(deleted.body), [a])
    t.match(deleted.body, new RegExp(`<a href="/livechat/console/deleted/${a}">#${a}</a>`))
    t.match(deleted.body, /<th scope="col">Deleted<\/th>/)
    t.match(deleted.body, /<option value="deleted" selected>Deleted chats only<\/option>/)
    t.same(rowIds((await get(bob.cookie, '/livechat/console/search?in=deleted')).body), [], 'not another agent\'s')
    t.same(rowIds((await get(sam.cookie, '/livechat/console/search?in=deleted')).body), [a], 'a supervisor with livechat.delete')
    await knex('lc_chats').where({ id: a }).update({ deleted_at: null })
  })

  t.test('bad input: 422 with the message beside the field, every value kept, nothing searched', async (t) => {
    const cases: Array<[string, string, string]> = [
      ['from=2026-02-30', 'from', 'LC_ERR_SEARCH_DATE'],
      ['from=soon', 'from', 'LC_ERR_SEARCH_DATE'],
      ['from=2026-03-02&to=2026-03-01', 'to', 'LC_ERR_SEARCH_DATE_RANGE'],
      ['max=1000', 'max', 'LC_ERR_SEARCH_MAX'],
      ['max=ten', 'max', 'LC_ERR_SEARCH_MAX'],
      ['group=999999', 'group', 'LC_ERR_SEARCH_GROUP'],
      ['agent=nobody', 'agent', 'LC_ERR_SEARCH_AGENT'],
      ['number=twelve', 'number', 'LC_ERR_SEARCH_CHAT_NUMBER'],
      ['q=%22', 'q', 'LC_ERR_SEARCH_TEXT'],
      ['q=*', 'q', 'LC_ERR_SEARCH_TEXT'],
      ['q=%2B-', 'q', 'LC_ERR_SEARCH_TEXT'],
      ["q='%29", 'q', 'LC_ERR_SEARCH_TEXT'],
      [`q=${'printer+'.repeat(80)}`, 'q', 'LC_ERR_SEARCH_TEXT_LONG'],
      ['cf_order_number=lots', 'cf_order_number', 'LC_ERR_SEARCH_FIELD_VALUE']
    ]
    for (const [query, field, code] of cases) {
      let res = await get(admin.cookie, '/livechat/console/search')
      const ran = await counted(async () => { res = await get(admin.cookie, `/livechat/console/search?${query}&name=Kept+Name&status=ended`) })
      t.equal(res.statusCode, 422, query)
      t.match(res.body, new RegExp(`id="lc-search-${field}-error" class="lc-field-error" data-code="${code}"`), `${query}: beside ${field}`)
      t.match(res.body, /aria-invalid="true"/)
      t.match(res.body, /value="Kept Name"/, `${query}: the other fields kept`)
      t.match(res.body, /<option value="ended" selected>Ended<\/option>/)
      t.notMatch(res.body, /id="lc-search-results"/)
      t.same(ran, [], `${query}: no search query ran`)
    }
    const kept = await get(admin.cookie, '/livechat/console/search?max=1000&group=999999')
    t.match(kept.body, /<option value="1000" selected>1000<\/option>/, 'the refused value is still shown')
    t.match(kept.body, /<option value="999999" selected>999999<\/option>/)
    const ran = await counted(async () => { await get(admin.cookie, '/livechat/console/search?q=printer') })
    t.ok(ran.length > 0, 'the statement counter sees a search that runs')
    for (const query of ['status=lost', 'sort=random', 'in=everywhere', 'colour=red', `q=${'x'.repeat(10001)}`]) {
      const res = await app.inject({ url: `/livechat/console/search?${query}`, headers: { cookie: admin.cookie, accept: 'application/json' } })
      t.equal(res.statusCode, 400, query)
      t.equal(res.json().code, 'LC_ERR_VALIDATION', query)
    }
  })

  t.test('hostile search strings run as words on both databases', async (t) => {
    for (const q of ['printer\')', '"printer"', 'printer*', '+printer', 'printer -- ;', `printer ${'"*+-\')( '.repeat(60)}`.slice(0, 500)]) {
      const res = await get(admin.cookie, `/livechat/console/search?q=${encodeURIComponent(q)}`)
      t.equal(res.statusCode, 200, q.slice(0, 30))
      t.equal(rowIds(res.body).length, 6, q.slice(0, 30))
    }
    for (const field of ['name', 'email', 'username', 'cf_order_number', 'cf_product']) {
      const res = await get(admin.cookie, `/livechat/console/search?${field}=${encodeURIComponent('\'"%_*)')}`)
      t.ok(res.statusCode === 200 || res.statusCode === 422, field)
      t.same(rowIds(res.body), [], field)
    }
  })

  t.test('basic search: every list searches within itself, keeping its filters and sort', async (t) => {
    const list = async (cookie: string, url: string, expected: number[], what: string) => {
      const res = await get(cookie, url)
      t.equal(res.statusCode, 200, what)
      t.same(sorted(listIds(res.body)), sorted(expected), what)
      return res
    }
    await list(alice.cookie, '/livechat/console/lists/my-active?q=printer', [b], 'My Active')
    await list(alice.cookie, '/livechat/console/lists/my-active?q=toner', [], 'My Active: D is not hers')
    await list(alice.cookie, '/livechat/console/lists/my-completed?q=jams', [a], 'My Completed')
    await list(alice.cookie, '/livechat/console/lists/queue?q=toner', [d], 'Queue')
    await list(alice.cookie, '/livechat/console/lists/queue?q=floor', [], 'Queue: the transferred chat is not in it')
    await list(alice.cookie, '/livechat/console/lists/transferred?q=floor', [tr], 'Transferred')
    await list(sam.cookie, '/livechat/console/lists/global-active?q=printer', [b, d, tr], 'Global Active')
    await list(sam.cookie, '/livechat/console/lists/global-completed?q=printer', [a, e], 'Global Completed')
    await list(admin.cookie, `/livechat/console/lists/global-active?q=printer&group=${l2}`, [c], 'with a group filter')
    await list(admin.cookie, `/livechat/console/lists/global-active?q=printer&agent=${await idOf('alice')}`, [b], 'with an agent filter')
    await list(admin.cookie, `/livechat/console/lists/global-active?q=${c}`, [c], 'by chat number')
    await list(admin.cookie, `/livechat/console/lists/global-active?q=%23${c}`, [c], 'by chat number with #')
    await list(admin.cookie, '/livechat/console/lists/global-completed?q=Ann', [a], 'by the customer\'s name')
    await knex('lc_chats').where({ id: a }).update({ deleted_at: Date.now() })
    await list(alice.cookie, '/livechat/console/lists/deleted?q=jams', [a], 'Deleted Items')
    await list(alice.cookie, '/livechat/console/lists/deleted?q=toner', [], 'Deleted Items: only deleted chats')
    await list(alice.cookie, '/livechat/console/lists/my-completed?q=jams', [], 'a deleted chat leaves My Completed\'s search')
    await knex('lc_chats').where({ id: a }).update({ deleted_at: null })
    const none = await list(alice.cookie, '/livechat/console/lists/my-completed?q=fax', [], 'nothing matches')
    t.match(none.body, /No chats in My Completed match “fax”/)
    const page = await list(admin.cookie, '/livechat/console/lists/global-active?q=printer&sort=user&dir=desc', [b, c, d, tr], 'sorted')
    t.same(listIds(page.body), [tr, d, c, b], 'in the list\'s own order, not by relevance')
    t.match(page.body, /id="lc-list-q" name="q" type="search" value="printer"/)
    t.match(page.body, /href="\/livechat\/console\/lists\/global-active\?q(=|&#x3D;)printer&amp;sort(=|&#x3D;)status&amp;dir(=|&#x3D;)asc"/, 'sorting keeps the search')
    t.match(page.body, /hx-get="\/livechat\/console\/lists\/global-active\?q(=|&#x3D;)printer&amp;sort(=|&#x3D;)user&amp;dir(=|&#x3D;)desc" hx-trigger="lc-stale"/, 'a live refresh keeps it too')
    t.match(page.body, /<a href="\/livechat\/console\/lists\/global-active\?sort(=|&#x3D;)user&amp;dir(=|&#x3D;)desc">Clear search<\/a>/)
    const hx = await get(admin.cookie, '/livechat/console/lists/global-active?q=offline', { 'hx-request': 'true' })
    t.same(listIds(hx.body), [c], 'the htmx answer is searched too')

    const ran = await counted(async () => {
      const bad = await get(alice.cookie, '/livechat/console/lists/my-completed?q=*')
      t.equal(bad.statusCode, 422)
      t.match(bad.body, /id="lc-list-q-error" class="lc-field-error lc-list-search__error" data-code="LC_ERR_SEARCH_TEXT"/)
      t.match(bad.body, /value="\*"/, 'what was typed is kept')
      t.same(listIds(bad.body), [a], 'the list unsearched')
    })
    t.notOk(ran.some((sql) => /match ?\(|_ft/i.test(sql)), 'no full-text search ran')
    t.equal((await get(alice.cookie, `/livechat/console/lists/my-completed?q=${'x'.repeat(501)}`)).statusCode, 422)
    t.equal((await app.inject({ url: `/livechat/console/lists/my-completed?q=${'x'.repeat(10001)}`, headers: { cookie: alice.cookie, accept: 'application/json' } })).statusCode, 400)
  })
})
