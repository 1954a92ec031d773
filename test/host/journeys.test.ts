import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import t from 'tap'
import type { HostAdapter, TicketKind } from '../../plugin/host/adapter.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { build, csrf, login, openSocket, sameOrigin, startChat } from '../helpers/build.ts'
import { buildThreadHost } from '../helpers/thread-host.ts'
import { threadHostAdapter } from '../helpers/thread-host-adapter.ts'

// The journeys every help desk must pass (docs/hosts.md, "The second test host"), through live chat's own routes
// and sockets, against the demo desk and the thread desk alike, on SQLite and MariaDB: an agent and a customer
// signed in by the desk's own session cookie, a chat with an emoji, knowledge suggestions fit for a customer,
// Create Ticket with its transcript and a guest's contact, an article shared and noted on the ticket, Abandon,
// and the customer's tickets on the Customer tab.

/** What differs between the two desks: how to sign in, what to ask, and where the desk keeps what it was given. */
interface Desk {
  name: string
  start: (t: { teardown: (fn: () => unknown) => void }) => Promise<{ app: FastifyInstance, knex: Knex, dialect: 'mysql' | 'sqlite', url: string, host: HostAdapter, agentCookie: string, customerCookie: string }>
  /** The signed-in customer's user id and name, as live chat knows them. */
  customer: (knex: Knex) => Promise<{ id: string, name: string }>
  kind: TicketKind
  kindLabel: string
  /** A question with a public article, an agents-only one and a draft among its matches. */
  question: string
  suggested: string
  hidden: string[]
  /** The public article's id, to share. */
  article: (knex: Knex) => Promise<string>
  cancelled: string
  newStatus: string
  /** The chat's messages as the desk stored them on ticket `ref`, by body. */
  messages: (knex: Knex, ref: string) => Promise<string[]>
  /** The desk's activity entries of ticket `ref`. */
  activity: (knex: Knex, ref: string) => Promise<string[]>
  /** The name and email the desk filed ticket `ref` under. */
  contact: (knex: Knex, ref: string) => Promise<{ name: string, email: string }>
  /** Whether the desk's tables take emoji (a utf8mb3 desk stores U+FFFD). */
  emoji: (dialect: 'mysql' | 'sqlite') => boolean
}

const demo: Desk = {
  name: 'the demo desk',
  async start (t) {
    const { app, knex, dialect, url } = await build(t, { listen: true })
    return { app, knex, dialect, url, host: sqlHost(knex, loadManifest().host), agentCookie: await login(app, 'bob'), customerCookie: await login(app, 'dana') }
  },
  async customer (knex) {
    const row = await knex('users').where({ username: 'dana' }).first('id')
    return { id: String(row.id), name: 'Dana Doyle' }
  },
  kind: 'incident',
  kindLabel: 'Incident',
  question: 'temporary access pass for a replacement laptop charger',
  suggested: 'Request a new or replacement laptop',
  hidden: ['Grant a temporary access pass (agents only)', 'Order a replacement laptop charger'],
  article: async (knex) => String((await knex('kb_articles').where({ title: 'Request a new or replacement laptop' }).first('id')).id),
  cancelled: 'Cancelled',
  newStatus: 'New',
  // The demo desk keeps one description: the transcript as text.
  messages: async (knex, ref) => String((await knex('tickets').where({ ref }).first('description')).description).split('\n'),
  async activity (knex, ref) {
    const ticket = await knex('tickets').where({ ref }).first('id')
    return await knex('ticket_activity').where({ ticket_id: ticket.id }).orderBy('id').pluck('text')
  },
  async contact (knex, ref) {
    const row = await knex('tickets').where({ ref }).first('requester_name', 'requester_email')
    return { name: row.requester_name, email: row.requester_email }
  },
  emoji: () => true
}

const thread: Desk = {
  name: 'the thread desk',
  async start (t) {
    const { app, knex, dialect, url, desk } = await buildThreadHost(t, { listen: true })
    return { app, knex, dialect, url, host: threadHostAdapter(knex), agentCookie: await desk.agentCookie(1), customerCookie: await desk.customerCookie(1) }
  },
  customer: async () => ({ id: 'c:1', name: 'Dana Doyle' }),
  kind: 'ticket',
  kindLabel: 'Ticket',
  question: 'my password is locked',
  suggested: 'Reset your desk password',
  hidden: ['Unlock a locked password account (staff)', 'Password rules for the new portal'],
  article: async () => '1',
  cancelled: 'Closed',
  newStatus: 'Open',
  async messages (knex, ref) {
    return (await entriesOf(knex, ref)).filter((e) => e.type === 'M' || e.type === 'R').map((e) => `${String(e.type)} ${String(e.poster)}: ${String(e.body)}`)
  },
  activity: async (knex, ref) => (await entriesOf(knex, ref)).filter((e) => e.type === 'N').map((e) => String(e.body)),
  async contact (knex, ref) {
    const row = await knex('ost_ticket as t').join('ost_user as u', 'u.id', 't.user_id').join('ost_user_email as e', 'e.id', 'u.default_email_id')
      .where('t.number', ref).first('u.name', 'e.address')
    return { name: row.name, email: row.address }
  },
  emoji: (dialect) => dialect === 'sqlite'
}

async function entriesOf (knex: Knex, ref: string): Promise<Array<Record<string, unknown>>> {
  return await knex('ost_ticket as t').join('ost_thread as th', function () { this.on('th.object_id', 't.ticket_id').andOnVal('th.object_type', 'T') })
    .join('ost_thread_entry as e', 'e.thread_id', 'th.id').where('t.number', ref).orderBy('e.id').select('e.*')
}

for (const desk of [demo, thread]) {
  t.test(`journeys on ${desk.name}`, async (t) => {
    const { app, knex, dialect, url, host, agentCookie, customerCookie } = await desk.start(t)
    const agent = await csrf(app, agentCookie, '/livechat/console')
    const post = async (path: string, payload: object = {}) => await app.inject({ method: 'POST', url: path, payload, headers: { cookie: agent.cookie, 'x-csrf-token': agent.token, 'hx-request': 'true', ...sameOrigin } })
    const chatUrl = (id: number): string => `/livechat/console/chats/${id}`
    const refOf = (body: string): string => new RegExp(`${desk.kindLabel} <a href="[^"]+" target="_blank" rel="noopener">([^<]+)</a> created from the chat`).exec(body)?.[1] ?? ''
    const party = '\u{1F389}'
    const stored = (text: string): string => desk.emoji(dialect) ? text : text.replace(/[\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    let chatId = 0
    let ref = ''

    await t.test('the desk\'s own session signs in an agent to the console and a customer to the chat', async (t) => {
      const console = await app.inject({ url: '/livechat/console', headers: { cookie: agentCookie } })
      t.equal(console.statusCode, 200)
      t.equal((await app.inject({ url: '/livechat/console', headers: { cookie: customerCookie } })).statusCode, 403, 'a customer is no agent')
      t.equal((await app.inject({ url: '/livechat/console', headers: { cookie: 'OSTSESSID=nobody; hd_session=nobody' } })).statusCode, 401)
      const c = await csrf(app, customerCookie, '/livechat/start')
      const res = await app.inject({ method: 'POST', url: '/livechat/start', headers: { cookie: c.cookie, ...sameOrigin }, payload: { name: 'x', email: 'x@example.com', question: desk.question, _csrf: c.token } })
      t.equal(res.statusCode, 200, 'suggestions first')
      t.match(res.body, new RegExp(`<a href="[^"]+" target="_blank" rel="noopener">${desk.suggested.replace(/[()]/g, '\\$&')}</a>`), 'a public article is suggested')
      for (const title of desk.hidden) t.notMatch(res.body, title, `not "${title}"`)
      t.notMatch(res.body, /<b>|<p>/, 'excerpts are text, never the desk\'s HTML')
      const started = await startChat(app, { question: desk.question }, customerCookie)
      chatId = started.chatId
      const me = await desk.customer(knex)
      t.match(await knex('lc_chats').where({ id: chatId }).first(), { customer_user_id: me.id, customer_name: me.name })

      const accepted = await post(`${chatUrl(chatId)}/accept`)
      t.equal(accepted.statusCode, 200)
      const agentSocket = await openSocket(url, `/livechat/ws/console?since=${chatId}.0`, { cookie: agent.cookie, origin: url })
      const customerSocket = await openSocket(url, `/livechat/ws/chat/${chatId}?since=${chatId}.0`, { cookie: started.cookie, origin: url })
      t.teardown(async () => { await agentSocket.close(); await customerSocket.close() })
      customerSocket.send({ type: 'message', chat_id: String(chatId), body: `It worked ${party} thanks`, client_msg_id: 'journey-00001' })
      await agentSocket.waitFor(new RegExp(`It worked ${party} thanks`, 'u'))
      agentSocket.send({ type: 'message', chat_id: String(chatId), body: 'Glad to hear it', client_msg_id: 'journey-00002' })
      await customerSocket.waitFor(/Glad to hear it/)
    })

    await t.test('Create Ticket files the transcript, with the emoji as the desk can keep it', async (t) => {
      const res = await post(`${chatUrl(chatId)}/tickets`, { kind: desk.kind })
      t.equal(res.statusCode, 200, res.body.slice(0, 300))
      ref = refOf(res.body)
      t.not(ref, '')
      const messages = await desk.messages(knex, ref)
      t.ok(messages.some((m) => m.includes(stored(`It worked ${party} thanks`))), 'the customer\'s message')
      t.ok(messages.some((m) => m.includes('Glad to hear it')), 'the agent\'s answer')
      if (desk === thread) {
        t.same(messages.slice(-2), [`M Dana Doyle: ${stored(`It worked ${party} thanks`)}`, 'R Amy Archer: Glad to hear it'], 'one entry per message, typed by its author')
      }
      t.equal((await desk.activity(knex, ref)).at(-1), `Created from live chat #${chatId}`)
      t.equal((await host.getTicket(ref))?.status, desk.newStatus)
    })

    await t.test('an article shared in the chat is noted on the ticket', async (t) => {
      const res = await post(`${chatUrl(chatId)}/resources/share`, { articleId: await desk.article(knex) })
      t.equal(res.statusCode, 200)
      t.match(res.body, new RegExp(`Shared “${desk.suggested.replace(/[()]/g, '\\$&')}” with the customer and noted it on the Activity of ${ref}`))
      t.match((await desk.activity(knex, ref)).at(-1), new RegExp(`^Knowledge article shared in live chat #${chatId} by [^:]+: ${desk.suggested}`))
    })

    await t.test('the Customer tab lists the customer\'s tickets from the desk', async (t) => {
      const res = await app.inject({ url: `${chatUrl(chatId)}/tabs/customer`, headers: { cookie: agent.cookie } })
      t.equal(res.statusCode, 200)
      t.match(res.body, /<dt>Signed in<\/dt><dd>yes, as a help desk user<\/dd>/)
      t.match(res.body, new RegExp(`>${ref}</a></td>`))
    })

    await t.test('Abandon sets the ticket to the desk\'s cancelled status', async (t) => {
      const res = await post(`${chatUrl(chatId)}/abandon`)
      t.equal(res.statusCode, 200)
      t.match(res.body, new RegExp(`Chat #${chatId} abandoned; ${ref} set to ${desk.cancelled}`))
      t.equal((await host.getTicket(ref))?.status, desk.cancelled)
    })

    await t.test('a guest\'s ticket is filed with their name and email', async (t) => {
      const guest = await startChat(app, { name: 'Gus Guest', email: 'gus@nowhere.example', question: 'Locked out of the VPN' })
      t.equal((await post(`${chatUrl(guest.chatId)}/accept`)).statusCode, 200)
      const res = await post(`${chatUrl(guest.chatId)}/tickets`, { kind: desk.kind })
      t.equal(res.statusCode, 200)
      const guestRef = refOf(res.body)
      t.same(await desk.contact(knex, guestRef), { name: 'Gus Guest', email: 'gus@nowhere.example' })
      t.ok((await desk.messages(knex, guestRef)).some((m) => m.includes('Locked out of the VPN')))
    })
  })
}
