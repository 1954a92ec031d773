import t from 'tap'
import { createSession, sessionCookie } from '../../demo-host/auth.ts'
import { agentSession, build, openSocket, type SocketClient, startChat } from '../helpers/build.ts'
import { statementCounter } from '../helpers/db.ts'

/**
 * What a queue change costs the database with consoles open (docs/design.md §6, Live updates):
 * counted from knex's 'query' events while a chat is started, and accepted, with one console
 * of Support L1 open and then with many. The consoles are sent the chat's rows; nothing is
 * read again per console, so the statements are the same however many are open.
 */
t.test('queue fan-out cost', async (t) => {
  const { app, url, knex } = await build(t, { listen: true, pluginOptions: { jobs: false, settings: { chatStartsPerMinute: 1000 } } })
  const many = 12
  const { statements, start, stop, quiet } = statementCounter(knex)
  /**
   * A statement's verb and table; the outbox's endpoint read and the block list's (read again every 10 s, which a
   * round outlasts on a busy machine) come and go with their own caches, never per console, so they are left out.
   */
  const shapes = (): string[] => statements.filter((sql) => !/lc_webhook_endpoints|lc_blocked_addresses/.test(sql))
    .map((sql) => `${sql.trim().toLowerCase().split(/\s+/)[0]} ${/(?:update|into|from)\s+[`"]?(\w+)/i.exec(sql)?.[1] ?? '?'}`)
    .sort()

  // Agents of Support L1, each with a session; made members as an administrator would.
  const admin = await agentSession(app, 'admin')
  const l1 = Number((await knex('lc_groups').where({ name: 'Support L1' }).first('id')).id)
  const at = Date.now()
  await knex('users').insert(Array.from({ length: many }, (_, i) => ({
    username: `fan${i}`, name: `Fan Agent ${i}`, email: `fan${i}@helpdesk.example`, roles: 'agent', password_hash: 'not-a-password-hash', created_at: at
  })))
  const cookies: string[] = []
  for (let i = 0; i < many; i++) {
    t.equal((await admin.post(`/livechat/admin/groups/${l1}/members`, { username: `fan${i}` })).statusCode, 200)
    const id = Number((await knex('users').where({ username: `fan${i}` }).first('id')).id)
    cookies.push(`${sessionCookie}=${await createSession(knex, id)}`)
  }

  const consoles: SocketClient[] = []
  t.teardown(async () => { await Promise.all(consoles.map(async (c) => { await c.close() })) })
  async function openConsoles (n: number): Promise<void> {
    while (consoles.length < n) {
      const c = await openSocket(url, '/livechat/ws/console', { cookie: cookies[consoles.length]!, origin: url })
      await c.waitFor(/hx-target="#lc-queue"/)
      consoles.push(c)
    }
  }

  /** The statements of `change`, until every open console was sent what it waits for, and 100 ms after. */
  async function cost (change: () => Promise<RegExp>): Promise<string[]> {
    await quiet()
    const before = consoles.map((c) => c.frames.length)
    start()
    const sent = await change()
    await Promise.all(consoles.map(async (c, i) => {
      const until = Date.now() + 10_000
      while (!c.frames.slice(before[i]).some((f) => sent.test(f))) {
        if (Date.now() > until) throw new Error(`a console was not sent ${String(sent)}`)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    }))
    await new Promise((resolve) => setTimeout(resolve, 100))
    stop()
    return shapes()
  }

  const bob = await agentSession(app, 'bob')
  /** A chat started, then accepted by bob: what each cost, and the chat. */
  async function startAndAccept (name: string): Promise<{ started: string[], accepted: string[] }> {
    let chatId = 0
    const started = await cost(async () => {
      chatId = (await startChat(app, { name })).chatId
      return new RegExp(`<hx-partial hx-target="#lc-queue-rows" hx-swap="beforeend"><li class="lc-row" id="lc-queue-row-${chatId}"[\\s\\S]*${name}`)
    })
    const accepted = await cost(async () => {
      t.equal((await bob.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)
      return new RegExp(`<hx-partial hx-target="#lc-queue-row-${chatId}" hx-swap="delete">`)
    })
    // Ended, so bob stays under his limit for the next round.
    t.equal((await bob.post(`/livechat/console/chats/${chatId}/end`)).statusCode, 200)
    return { started, accepted }
  }

  /**
   * The fewest statements of three rounds: a cache of a few seconds (groups, settings) may run
   * out in one round, but a statement each console costs is in all three.
   */
  async function steady (name: string): Promise<{ started: string[], accepted: string[] }> {
    const rounds = []
    for (let i = 0; i < 3; i++) rounds.push(await startAndAccept(`${name} ${i}`))
    const fewest = (all: string[][]): string[] => all.reduce((a, b) => b.length < a.length ? b : a)
    return { started: fewest(rounds.map((r) => r.started)), accepted: fewest(rounds.map((r) => r.accepted)) }
  }

  await openConsoles(1)
  await startAndAccept('Warm Up')
  const one = await steady('One Console')
  await openConsoles(many)
  const all = await steady('Many Consoles')

  t.test('a chat started costs the same statements with one console open as with many', async (t) => {
    t.ok(one.started.length > 0)
    t.same(all.started, one.started, `${many} consoles`)
    t.ok(one.started.filter((s) => s === 'select lc_chats').length <= 6, 'a handful of chat reads, none of them per console')
  })

  t.test('a chat accepted costs the same statements with one console open as with many', async (t) => {
    t.same(all.accepted, one.accepted, `${many} consoles`)
  })

  t.test('every console is sent the row once, and the counts beside it', async (t) => {
    const chatId = Number((await knex('lc_chats').where({ customer_name: 'Many Consoles 2' }).first('id')).id)
    for (const c of consoles) {
      const rows = c.frames.filter((f) => f.includes(`id="lc-queue-row-${chatId}"`))
      t.equal(rows.length, 1)
      t.match(rows[0], /<hx-partial hx-target="#lc-queue-count" hx-swap="outerHTML">/)
      t.match(rows[0], /<hx-partial hx-target="#lc-counter-queue" hx-swap="outerHTML">/)
    }
  })
})
