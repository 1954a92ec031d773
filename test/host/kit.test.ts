import { createHash } from 'node:crypto'
import type { Knex } from 'knex'
import t from 'tap'
import {
  checkHostMapping, cookieFrom, excerptAround, hostClock, hostColumns, hostMappingError, hostTimeMs, htmlToText,
  isTransaction, searchWords, sqlHost, type HostAdapter, type HostMappingProblem, type HostTicket, type HostUser, type KnowledgeHit
} from '../../plugin/host/index.ts'
import { testDatabase } from '../helpers/db.ts'

// An adapter written for a desk of its own, from the adapter kit alone (docs/hosts.md, "The
// adapter kit"): nothing here reaches into the plugin past plugin/host/index.ts.

/** The desk's tables, named its own way. */
const desk = {
  people: { table: 'kit_people', columns: ['pid', 'login', 'display_name', 'mail', 'groups_csv', 'token_sha', 'token_expires'] },
  cases: { table: 'kit_cases', columns: ['case_no', 'code', 'title', 'body', 'state', 'opened_by', 'opened_at'] },
  articles: { table: 'kit_articles', columns: ['aid', 'headline', 'html'] }
}

/** A HostAdapter over the desk's tables: people sign in with a token cookie, cases are tickets, articles are knowledge in HTML. */
function deskAdapter (knex: Knex, tables = desk): HostAdapter {
  const now = hostClock(knex, 'epoch_ms')
  const toUser = (r: Record<string, unknown> | undefined): HostUser | null => r
    ? { id: String(r.pid), username: String(r.login), name: String(r.display_name), email: String(r.mail), roles: String(r.groups_csv).split(',').filter(Boolean) }
    : null
  const toCase = (r: Record<string, unknown>): HostTicket => ({
    ref: String(r.code), url: `/cases/${String(r.code)}`, status: String(r.state), summary: String(r.title), createdAt: hostTimeMs(r.opened_at, 'epoch_ms')
  })
  const toHit = (r: Record<string, unknown>, words: string[]): KnowledgeHit => ({
    id: String(r.aid), title: String(r.headline), excerpt: excerptAround(htmlToText(String(r.html)), words), url: `/kb/${String(r.aid)}`
  })
  return {
    async currentUser (request) {
      const token = cookieFrom(request, 'desk_token')
      if (!token) return null
      const sha = createHash('sha256').update(token).digest('hex')
      return toUser(await knex(tables.people.table).where('token_sha', sha).andWhere('token_expires', '>', now()).first())
    },
    async getUser (id) { return toUser(await knex(tables.people.table).where('pid', id).first()) },
    async findUsers (query, limit = 20) {
      return (await knex(tables.people.table).where('display_name', 'like', `%${query}%`).limit(limit)).map((r) => toUser(r)!)
    },
    async userTickets (userId) { return (await knex(tables.cases.table).where('opened_by', userId)).map(toCase) },
    async createTicket (ticket, write) {
      const insert = async (trx: Knex.Transaction): Promise<HostTicket> => {
        const code = `C-${Date.now().toString(36)}`
        await trx(tables.cases.table).insert({ code, title: ticket.summary, body: ticket.description, state: 'open', opened_by: ticket.requesterId, opened_at: now() })
        return { ref: code, url: `/cases/${code}`, status: 'open', summary: ticket.summary }
      }
      // The plugin's own transaction, when it hands one over: the case commits with its chat's rows.
      return isTransaction(write?.transaction) ? await insert(write.transaction) : await knex.transaction(insert)
    },
    async getTicket (ref) {
      const row = await knex(tables.cases.table).where('code', ref).first()
      return row ? toCase(row) : null
    },
    async setTicketStatus (ref, status) { await knex(tables.cases.table).where('code', ref).update({ state: status }) },
    async addTicketActivity () {},
    async ticketTemplates () { return [] },
    async searchKnowledge (query, limit) {
      const words = searchWords(query)
      if (words.length === 0) return []
      const rows = await knex(tables.articles.table)
        .where((q) => { for (const w of words) q.orWhere('html', 'like', `%${w}%`).orWhere('headline', 'like', `%${w}%`) })
        .orderBy('aid').limit(limit)
      return rows.map((r) => toHit(r, words))
    },
    async knowledgeArticle (id) {
      const row = await knex(tables.articles.table).where('aid', id).first()
      return row ? toHit(row, []) : null
    },
    sharesDatabase: (db) => db === knex,
    // The desk's own start-up check: the tables and columns this adapter reads, read from the live schema.
    async check () {
      const parts = Object.values(tables)
      const schema = await hostColumns(knex, parts.map((p) => p.table))
      const problems = parts.flatMap(({ table, columns }): HostMappingProblem[] => {
        const have = schema.get(table)
        if (!have) return [{ table, column: null, message: `table ${table} does not exist` }]
        return columns.filter((c) => !have.has(c)).map((column) => ({ table, column, message: `column ${table}.${column} does not exist` }))
      })
      if (problems.length > 0) throw hostMappingError(problems)
    }
  }
}

t.test('the adapter kit', async (t) => {
  const { knex, drop } = await testDatabase()
  t.teardown(drop)
  await knex.schema.createTable('kit_people', (table) => {
    table.increments('pid')
    table.string('login', 40)
    table.string('display_name', 80)
    table.string('mail', 120)
    table.string('groups_csv', 200)
    table.string('token_sha', 64)
    table.bigInteger('token_expires')
  })
  await knex.schema.createTable('kit_cases', (table) => {
    table.increments('case_no')
    table.string('code', 20).unique()
    table.string('title', 255)
    table.text('body')
    table.string('state', 20)
    table.integer('opened_by').nullable()
    table.bigInteger('opened_at')
  })
  await knex.schema.createTable('kit_articles', (table) => {
    table.increments('aid')
    table.string('headline', 200)
    table.text('html')
  })
  const sha = (token: string): string => createHash('sha256').update(token).digest('hex')
  await knex('kit_people').insert([
    { login: 'ann', display_name: 'Ann Agent', mail: 'ann@desk.test', groups_csv: 'agent,supervisor', token_sha: sha('ann-token'), token_expires: Date.now() + 60_000 },
    { login: 'old', display_name: 'Old Session', mail: 'old@desk.test', groups_csv: 'agent', token_sha: sha('old-token'), token_expires: Date.now() - 1 }
  ])
  await knex('kit_articles').insert([
    { headline: 'VPN set-up', html: '<h1>VPN</h1><p>Install the <b>client</b> &amp; sign&nbsp;in with your <em>badge</em> number.</p>' },
    { headline: 'Printers', html: '<p>Printers on floor&nbsp;3 take <code>lpr</code> jobs.</p>' }
  ])
  const host = deskAdapter(knex)

  t.test('who is signed in comes from the desk\'s cookie, parsed or in the header', async (t) => {
    t.equal((await host.currentUser({ headers: { cookie: 'other=1; desk_token=ann-token' } }))?.username, 'ann')
    t.same((await host.currentUser({ headers: {}, cookies: { desk_token: 'ann-token' } }))?.roles, ['agent', 'supervisor'])
    t.equal(await host.currentUser({ headers: { cookie: 'desk_token=old-token' } }), null, 'an expired session')
    t.equal(await host.currentUser({ headers: {} }), null)
  })

  t.test('knowledge is searched by words, and its HTML shown as text', async (t) => {
    const hits = await host.searchKnowledge('How do I sign in to the VPN?', 5, 'customer')
    t.same(hits.map((h) => h.title), ['VPN set-up'])
    t.equal(hits[0]!.excerpt, 'VPN Install the client & sign in with your badge number.')
    t.same(await host.searchKnowledge('how do I', 5, 'customer'), [], 'no real words, no search')
    t.equal((await host.knowledgeArticle(String(hits[0]!.id), 'customer'))?.url, `/kb/${hits[0]!.id}`)
  })

  t.test('a ticket is created in its own transaction, or in the caller\'s', async (t) => {
    const ann = (await host.findUsers('Ann'))[0]!
    const made = await host.createTicket({ kind: 'ticket', summary: 'No VPN', description: 'It hangs', requesterId: ann.id, assigneeId: null, chatId: 1 })
    t.equal((await host.getTicket(made.ref))?.summary, 'No VPN')
    t.equal((await host.userTickets(ann.id))[0]!.createdAt! > 0, true, 'opened at, read back as epoch ms')
    await knex.transaction(async (trx) => {
      await host.createTicket({ kind: 'ticket', summary: 'Rolled back', description: '', requesterId: null, assigneeId: null, chatId: 2 }, { transaction: trx })
      await trx.rollback()
    }).catch(() => {})
    t.equal((await knex('kit_cases').where('title', 'Rolled back')).length, 0, 'gone with the caller\'s rollback')
  })

  t.test('the adapter checks its own tables with the kit\'s introspection', async (t) => {
    await host.check!()
    const broken = deskAdapter(knex, { ...desk, cases: { ...desk.cases, columns: [...desk.cases.columns, 'priority'] }, articles: { ...desk.articles, table: 'kit_kb' } })
    await t.rejects(broken.check!(), { code: 'LC_ERR_HOST_MAPPING', message: /kit_cases\.priority does not exist; table kit_kb does not exist/ })
  })

  t.test('sqlHost and its check come from the kit too', async (t) => {
    t.type(sqlHost, 'function')
    t.type(checkHostMapping, 'function')
  })

  t.test('the package exports the kit as helpdesk-livechat/host', async (t) => {
    const kit = await import('helpdesk-livechat/host')
    t.equal(kit.sqlHost, sqlHost)
    t.equal(kit.htmlToText, htmlToText)
  })
})
