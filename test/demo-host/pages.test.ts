import t from 'tap'
import { build, login } from './helpers.ts'

t.test('knowledge base', async (t) => {
  const { app, knex } = await build(t)

  t.test('the list groups at least 20 articles by category, signed out too', async (t) => {
    const res = await app.inject('/kb')
    t.equal(res.statusCode, 200)
    const links = new Set(res.body.match(/href="\/kb\/\d+"/g))
    t.ok(links.size >= 20, `${links.size} articles`)
    t.match(res.body, /<h2>Network and VPN<\/h2>/)
    t.match(res.body, /<h2>Security<\/h2>/)
  })

  t.test('search is ranked full-text over title and body; operators and % are not syntax', async (t) => {
    const vpn = await app.inject('/kb?q=vpn')
    t.match(vpn.body, 'Connect to the VPN on Windows')
    t.match(vpn.body, 'Connect to the VPN on macOS')
    t.notMatch(vpn.body, 'Clear a stuck printer queue')
    const body = await app.inject('/kb?q=' + encodeURIComponent('Cancel All Documents'))
    t.match(body.body, 'Clear a stuck printer queue', 'found by its body')
    const ranked = await app.inject('/kb?q=' + encodeURIComponent('reset password'))
    t.match(ranked.body, /best match first[^]*?<li><a href="\/kb\/\d+">Reset your password<\/a>/, 'the best match is listed first')
    t.match(ranked.body, /class="muted excerpt">[^<]*password/i, 'with an excerpt around the words')
    const every = await app.inject('/kb?q=' + encodeURIComponent('vpn printer'))
    t.match(every.body, 'No articles found', 'every word must be in the article')
    for (const q of ['%', '"', '*', '+-', "')", 'AND OR NOT', 'x'.repeat(200)]) {
      const res = await app.inject('/kb?q=' + encodeURIComponent(q))
      t.equal(res.statusCode, 200, q.slice(0, 20))
      t.match(res.body, 'No articles found', q.slice(0, 20))
    }
  })

  t.test('an article page shows its paragraphs', async (t) => {
    const row = await knex('kb_articles').where({ title: 'Reset your password' }).first('id')
    const res = await app.inject(`/kb/${row.id}`)
    t.equal(res.statusCode, 200)
    t.match(res.body, '<h1>Reset your password</h1>')
    t.ok((res.body.match(/<p>/g) ?? []).length >= 4, 'several paragraphs')
  })

  t.test('an article page escapes its title and body', async (t) => {
    const [id] = await knex('kb_articles').insert({
      title: '<script>alert("t")</script>',
      body: 'Hello <img src=x onerror=alert(1)>\n\n{{danger}} & more',
      category: '<b>cat</b>',
      created_at: Date.now(),
      updated_at: Date.now()
    })
    const res = await app.inject(`/kb/${Number(id)}`)
    t.equal(res.statusCode, 200)
    t.notMatch(res.body, '<script>alert')
    t.notMatch(res.body, '<img src=x')
    t.notMatch(res.body, '<b>cat</b>')
    t.match(res.body, '&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;')
    t.match(res.body, '<p>Hello</p>', 'a body\'s markup is read as HTML and shown as its text')
    t.notMatch(res.body, 'onerror')
    t.match(res.body, '{{danger}} &amp; more')
    const list = await app.inject('/kb?q=' + encodeURIComponent('<script>'))
    t.match(list.body, '&lt;script&gt;')
    t.notMatch(list.body, '<script>alert')
  })

  t.test('drafts are shown to nobody; internal articles to staff only', async (t) => {
    const idOf = async (title: string): Promise<number> => Number((await knex('kb_articles').where({ title }).first('id')).id)
    const internal = await idOf('Grant a temporary access pass (agents only)')
    const draft = await idOf('Order a replacement laptop charger')
    const [customer, agent] = [await login(app, 'dana'), await login(app, 'alice')]
    const page = async (url: string, cookie?: string) => await app.inject({ url, headers: cookie ? { cookie } : {} })
    for (const cookie of [undefined, customer]) {
      t.equal((await page(`/kb/${internal}`, cookie)).statusCode, 404, 'the internal article is not there for customers')
      t.notMatch((await page('/kb', cookie)).body, /Grant a temporary access pass|replacement laptop charger/)
      t.notMatch((await page('/kb?q=temporary+access+pass', cookie)).body, /Grant a temporary access pass/)
      t.notMatch((await page('/portal', cookie)).body, /Grant a temporary access pass|replacement laptop charger/)
    }
    const staff = await page(`/kb/${internal}`, agent)
    t.equal(staff.statusCode, 200)
    t.match(staff.body, /<p>Issue a temporary access pass only after verifying/, 'its HTML body as text paragraphs')
    t.match(staff.body, 'Note the pass on the ticket as &quot;TAP issued&quot;')
    t.match((await page('/kb', agent)).body, /Grant a temporary access pass/)
    for (const cookie of [undefined, customer, agent]) {
      t.equal((await page(`/kb/${draft}`, cookie)).statusCode, 404, 'a draft for nobody')
      t.notMatch((await page('/kb?q=replacement+laptop+charger', cookie)).body, /Order a replacement laptop charger/)
    }
  })

  t.test('an unknown or malformed article id gets the 404 page', async (t) => {
    for (const url of ['/kb/999999', '/kb/abc', '/kb/1e3']) {
      const res = await app.inject(url)
      t.equal(res.statusCode, 404, url)
      t.match(res.body, 'Page not found')
    }
  })
})

t.test('tickets', async (t) => {
  const { app, knex } = await build(t)
  const agent = await login(app, 'alice')

  t.test('the list shows ref, kind, summary, requester and status', async (t) => {
    const res = await app.inject({ url: '/tickets', headers: { cookie: agent } })
    t.equal(res.statusCode, 200)
    t.match(res.body, '<a href="/tickets/INC000001">INC000001</a>')
    t.match(res.body, 'Work order')
    t.match(res.body, 'Outlook keeps asking for my password')
    t.match(res.body, 'Dana Doyle')
    t.match(res.body, 'In Progress')
    t.match(res.body, /<time datetime=/)
  })

  t.test('the kind filter keeps one kind', async (t) => {
    const res = await app.inject({ url: '/tickets?kind=work_order', headers: { cookie: agent } })
    t.match(res.body, 'WO000002')
    t.notMatch(res.body, 'href="/tickets/INC')
    const unknown = await app.inject({ url: '/tickets?kind=bogus', headers: { cookie: agent } })
    t.equal(unknown.statusCode, 200, 'an unknown kind shows every ticket')
    t.match(unknown.body, 'INC000001')
  })

  t.test('the detail page shows fields, escaped description and the activity log', async (t) => {
    const res = await app.inject({ url: '/tickets/INC000001', headers: { cookie: agent } })
    t.equal(res.statusCode, 200)
    t.match(res.body, /<pre class="description">Since changing my password/)
    t.match(res.body, 'Alice Adams')
    t.match(res.body, 'Checked sign-in logs')
    t.notMatch(res.body, 'Live chat #')
  })

  t.test('a ticket from a chat links to the chat in the console', async (t) => {
    const before = await knex('tickets').where({ ref: 'INC000001' }).first('chat_id', 'description')
    t.teardown(() => knex('tickets').where({ ref: 'INC000001' }).update(before))
    await knex('tickets').where({ ref: 'INC000001' }).update({ chat_id: 42, description: '<b>bold</b> & "quoted"' })
    const res = await app.inject({ url: '/tickets/INC000001', headers: { cookie: agent } })
    t.match(res.body, '<a href="/livechat/console/chats/42">From live chat #42</a>')
    t.match(res.body, '&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;')
  })

  t.test('an unknown ref gets the 404 page', async (t) => {
    t.equal((await app.inject({ url: '/tickets/INC999999', headers: { cookie: agent } })).statusCode, 404)
    t.equal((await app.inject({ url: '/tickets/..%2Fetc', headers: { cookie: agent } })).statusCode, 404)
  })

  t.test('a customer sees own tickets in the portal, and not others\'', async (t) => {
    const dana = await login(app, 'dana')
    const own = await app.inject({ url: '/portal/tickets/WO000002', headers: { cookie: dana } })
    t.equal(own.statusCode, 200)
    t.match(own.body, 'Waiting for mailbox owner approval')
    t.notMatch(own.body, '/livechat/console', 'no console links for customers')
    const other = await app.inject({ url: '/portal/tickets/INC000004', headers: { cookie: dana } })
    t.equal(other.statusCode, 404, "Erin's ticket")
    const signedOut = await app.inject('/portal/tickets/WO000002')
    t.equal(signedOut.statusCode, 303)
  })
})

t.test('portal and desk', async (t) => {
  const { app } = await build(t)

  t.test('signed out, the portal shows Sign in, KB highlights and the Chat with us link', async (t) => {
    const res = await app.inject('/portal')
    t.equal(res.statusCode, 200)
    t.match(res.body, '<a href="/login">Sign in</a>')
    t.match(res.body, /href="\/kb\/\d+"/)
    t.match(res.body, /<span class="chat-link" hx-get="\/livechat\/portal\/link" hx-trigger="load" hx-swap="innerHTML"><a class="button" href="\/livechat\/start">Chat with us<\/a><\/span>/)
    t.match(res.body, '<script src="/static/vendor/htmx.min.js" defer></script>')
  })

  t.test('a signed-in customer sees My tickets with their own tickets only', async (t) => {
    const res = await app.inject({ url: '/portal', headers: { cookie: await login(app, 'erin') } })
    t.match(res.body, 'My tickets')
    t.match(res.body, 'href="/portal/tickets/INC000004"')
    t.notMatch(res.body, 'INC000001')
    t.match(res.body, 'Erin Evans')
    t.match(res.body, 'Sign out')
  })

  t.test('the desk lists recent tickets and the plugin\'s agent entry', async (t) => {
    const res = await app.inject({ url: '/desk', headers: { cookie: await login(app, 'bob') } })
    t.equal(res.statusCode, 200)
    t.match(res.body, '<a href="/livechat/console">Live Chat</a>')
    t.match(res.body, '<a href="/tickets">Tickets</a>')
    t.match(res.body, '<a href="/kb">Knowledge base</a>')
    t.notMatch(res.body, 'href="/admin/plugins"', 'Plugins only for admins')
    t.notMatch(res.body, 'href="/livechat/admin/', 'nor the plugin\'s admin pages')
    t.match(res.body, 'INC000004')
  })

  t.test('admins also get Plugins and the plugin\'s admin pages (its manifest\'s admin area) in the nav', async (t) => {
    const res = await app.inject({ url: '/desk', headers: { cookie: await login(app, 'admin') } })
    t.match(res.body, '<a href="/admin/plugins">Plugins</a>')
    for (const [href, label] of [['settings', 'Live chat settings'], ['hours', 'Live chat business hours'], ['fields', 'Live chat custom fields and events'], ['blocklist', 'Live chat block list'], ['jobs', 'Live chat scheduled jobs']]) {
      t.match(res.body, `<a href="/livechat/admin/${href}">${label}</a>`)
    }
  })

  t.test('unknown pages get the 404 page in the host layout', async (t) => {
    const res = await app.inject('/no/such/page')
    t.equal(res.statusCode, 404)
    t.match(res.body, 'Page not found')
    t.match(res.body, '<link rel="icon" href="data:,">')
  })

  t.test('the host stylesheet and htmx are served', async (t) => {
    const css = await app.inject('/static/host.css')
    t.equal(css.statusCode, 200)
    t.match(css.headers['content-type'], /text\/css/)
    const htmx = await app.inject('/static/vendor/htmx.min.js')
    t.equal(htmx.statusCode, 200)
    t.match(htmx.headers['content-type'], /javascript/)
  })
})
