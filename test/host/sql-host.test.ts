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
    t.equal(Number((await s.knex('ticket_activity').where('ticket_id', row.id).count({ n: '*' }).first())?.n), 1)
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

  t.test('searchKnowledge: matching articles with title hits first, an excerpt and a link', async (t) => {
    const hits = await s.host.searchKnowledge('reset my password', 5)
    t.ok(hits.length > 0)
    t.match(hits[0]!.title, /password/i)
    t.match(hits[0]!.url, /^\/kb\/\d+$/)
    t.ok(hits[0]!.excerpt.length <= 202)
    t.same(await s.host.searchKnowledge('a an', 5), [], 'nothing to search for')
  })
})
