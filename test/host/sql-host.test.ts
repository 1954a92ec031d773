import { createHash, randomBytes } from 'node:crypto'
import t from 'tap'
import { services } from '../helpers/given.ts'

t.test('sqlHost', async (t) => {
  const s = await services(t)
  const dana = await s.user('dana')

  t.test('currentUser: a live session cookie is a user; an expired, unknown or missing one is nobody', async (t) => {
    const token = randomBytes(32).toString('base64url')
    const hash = createHash('sha256').update(token).digest('hex')
    await s.knex('sessions').insert({ token_hash: hash, user_id: Number(dana.id), expires_at: Date.now() + 60_000, created_at: Date.now() })
    const user = await s.host.currentUser({ headers: { cookie: `other=1; hd_session=${token}` } })
    t.match(user, { username: 'dana', name: 'Dana Doyle', roles: ['customer'] })
    t.equal(await s.host.currentUser({ headers: {}, cookies: { hd_session: 'nope' } }), null)
    t.equal(await s.host.currentUser({ headers: {} }), null)
    await s.knex('sessions').where('token_hash', hash).update({ expires_at: Date.now() - 1 })
    t.equal(await s.host.currentUser({ headers: { cookie: `hd_session=${token}` } }), null)
  })

  t.test('findUsers and getUser: by name, email or username; LIKE wildcards are literal', async (t) => {
    t.same((await s.host.findUsers('customer.example')).map((u) => u.username).sort(), ['dana', 'erin'])
    t.same(await s.host.findUsers('%'), [])
    t.equal((await s.host.getUser(dana.id))?.email, 'dana@customer.example')
    t.equal(await s.host.getUser('999999'), null)
  })

  t.test('tickets: created with a ref and the chat, read back, status and activity written', async (t) => {
    const ticket = await s.host.createTicket({ kind: 'incident', summary: 'VPN fails', description: 'transcript', requesterId: dana.id, assigneeId: null, chatId: 42 })
    t.match(ticket, { ref: /^INC\d{6}$/, status: 'New', url: `/tickets/${ticket.ref}` })
    t.equal((await s.host.getTicket(ticket.ref))?.summary, 'VPN fails')
    await s.host.setTicketStatus(ticket.ref, 'Cancelled', 'Abandoned chat')
    await s.host.addTicketActivity(ticket.ref, 'Shared an article', null)
    const row = await s.knex('tickets').where('ref', ticket.ref).first()
    t.equal(row.status, 'Cancelled')
    t.equal(row.status_reason, 'Abandoned chat')
    t.equal(Number(row.chat_id), 42)
    t.same((await s.knex('ticket_activity').where('ticket_id', row.id).orderBy('id')).map((r) => r.text), ['Created from live chat #42', 'Shared an article'], 'the desk logs where the ticket came from')
    t.ok((await s.host.userTickets(dana.id)).some((x) => x.ref === ticket.ref))
    t.equal(await s.host.getTicket('NOPE'), null)
    t.ok((await s.host.ticketTemplates('incident')).length >= 2)
  })

  t.test('tickets: one left while chat was offline has no chat and may have no requester', async (t) => {
    const ticket = await s.host.createTicket({ kind: 'ticket', summary: 'Left a message', description: 'Printer jams', requesterId: null, assigneeId: null, chatId: null })
    t.match(ticket, { ref: /^TKT\d{6}$/, status: 'New', kind: 'ticket' })
    const row = await s.knex('tickets').where('ref', ticket.ref).first()
    t.equal(row.chat_id, null)
    t.equal(row.requester_id, null)
    t.equal(row.description, 'Printer jams')
  })

  t.test('searchKnowledge: ranked full-text search, the best article first, with an excerpt and a link', async (t) => {
    const cases: Array<[string, string]> = [
      ['How do I reset my password?', 'Reset your password'],
      ['The VPN on my macOS laptop will not connect', 'Connect to the VPN on macOS'],
      ['the printer queue is stuck', 'Clear a stuck printer queue'],
      ['I lost my phone with the authenticator app, need MFA on the new one', 'Move MFA to a new phone'],
      ['Outlook profile keeps asking for password', 'Repair an Outlook profile'],
      ['I need access to the invoices shared mailbox', 'Get access to a shared mailbox'],
      ['My account is locked out', 'Unlock an account that is locked out'],
      ['Teams microphone does not work in meetings', 'Fix Microsoft Teams audio and microphone problems'],
      ['How do I set an out of office reply?', 'Set an out-of-office reply'],
      ['My laptop disk is full', 'Free up disk space on your laptop']
    ]
    for (const [question, title] of cases) {
      const hits = await s.host.searchKnowledge(question, 5, 'customer')
      t.equal(hits[0]?.title, title, question)
    }
    const [best] = await s.host.searchKnowledge('reset my password', 5, 'customer')
    t.match(best!.url, /^\/kb\/\d+$/)
    t.match(best!.excerpt, /password/i, 'the excerpt shows where the words are')
    t.ok(best!.excerpt.length <= 202)
    t.equal((await s.host.searchKnowledge('vpn', 2, 'customer')).length, 2, 'no more than the limit')
  })

  t.test('searchKnowledge: stopwords only or hostile input finds nothing or words, and never throws', async (t) => {
    t.same(await s.host.searchKnowledge('a an the', 5, 'customer'), [], 'nothing to search for')
    t.same(await s.host.searchKnowledge('how do I what is this', 5, 'customer'), [], 'stopwords only')
    for (const hostile of ['"', '*', '+-', "')", '\\', '" OR 1=1 --', 'title:reset', 'NEAR(reset password)', '-vpn +printer', 'x'.repeat(5000), `${'password '.repeat(600)}`]) {
      const hits = await s.host.searchKnowledge(hostile, 5, 'customer')
      t.ok(Array.isArray(hits) && hits.length <= 5, JSON.stringify(hostile.slice(0, 24)))
    }
    t.equal((await s.host.searchKnowledge('"reset" "password"', 5, 'customer'))[0]?.title, 'Reset your password', 'quotes are dropped, the word is searched')
  })

  t.test('searchKnowledge: an article written after the index was made is found', async (t) => {
    const at = Date.now()
    await s.knex('kb_articles').insert({ title: 'Calibrate the plotter', body: 'The large-format plotter drifts; calibrate it from its panel.', category: 'Printing', created_at: at, updated_at: at })
    t.equal((await s.host.searchKnowledge('plotter calibration', 5, 'customer'))[0]?.title, 'Calibrate the plotter')
  })

  t.test('knowledgeArticle: one article by id; an unknown or malformed id is none', async (t) => {
    const row = await s.knex('kb_articles').where({ title: 'Reset your password' }).first('id')
    const article = await s.host.knowledgeArticle(String(row.id), 'customer')
    t.match(article, { id: String(row.id), title: 'Reset your password', url: `/kb/${row.id}` })
    t.ok(article!.excerpt.length > 0 && article!.excerpt.length <= 202)
    for (const bad of ['999999', '', 'abc', `${row.id}abc`, '1e3', '-1', '1 OR 1=1', '9'.repeat(40)]) {
      t.equal(await s.host.knowledgeArticle(bad, 'customer'), null, JSON.stringify(bad))
    }
  })

  t.test('searchResolvedTickets: solved tickets only, matched on summary, description and resolution', async (t) => {
    const hits = await s.host.searchResolvedTickets!('My account gets locked every morning', 5)
    t.equal(hits[0]?.summary, 'Account locked every morning')
    t.match(hits[0], { ref: /^INC\d{6}$/, status: 'Resolved', url: /^\/tickets\/INC\d{6}$/ })
    t.match(hits[0]!.excerpt, /retrying overnight/, 'the excerpt comes from the resolution')

    const byResolution = await s.host.searchResolvedTickets!('outlook safe mode add-in', 5)
    t.equal(byResolution[0]?.summary, 'Outlook crashes when it starts', 'found by words of its resolution')

    const open = await s.host.searchResolvedTickets!('Outlook keeps asking for my password', 10)
    t.notOk(open.some((h) => h.summary === 'Outlook keeps asking for my password'), 'a ticket still in progress is not a solution')

    const closed = await s.host.searchResolvedTickets!('microphone teams meeting', 5)
    t.match(closed[0], { summary: 'Nobody can hear me in Teams meetings', status: 'Closed' })
  })

  t.test('searchResolvedTickets: without a resolution the excerpt is the description; hostile input never throws', async (t) => {
    const at = Date.now()
    await s.knex('tickets').insert({ ref: 'INC990001', kind: 'incident', summary: 'Scanner emails never arrive', description: 'Scan to email from the scanner on floor 2 sends nothing.', status: 'Resolved', created_at: at, updated_at: at })
    const [hit] = await s.host.searchResolvedTickets!('scan to email does not arrive', 5)
    t.equal(hit?.ref, 'INC990001')
    t.match(hit!.excerpt, /Scan to email/)
    t.same(await s.host.searchResolvedTickets!('the and of', 5), [])
    for (const hostile of ['"', '*', '+-', "')", 'x'.repeat(5000)]) {
      t.ok(Array.isArray(await s.host.searchResolvedTickets!(hostile, 5)), JSON.stringify(hostile.slice(0, 24)))
    }
  })
})
