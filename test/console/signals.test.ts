import t from 'tap'
import { agentSession, build, startChat } from '../helpers/build.ts'
import { queueTime, sinceSignal } from '../../plugin/console/list-view-models.ts'
import type { Chat } from '../../plugin/chats/types.ts'

// Signals in the console's lists (docs/features.md#queue-and-transferred): running durations
// public/js/console.js moves on from data-since, coloured by the idle thresholds, and the
// customer's wait measured from their start, kept across transfers.

const minute = 60_000

t.test('queueTime: the customer\'s wait runs from the start and a transfer does not reset it', async (t) => {
  const at = { createdAt: 1_000_000, assignedAt: null, endedAt: null }
  t.equal(queueTime({ ...at, status: 'queued' }, 1_000_000 + 3 * minute), 3 * minute, 'waiting: until now')
  t.equal(queueTime({ ...at, status: 'active', assignedAt: 1_000_000 + minute }, 1_000_000 + 9 * minute), minute, 'taken: until the agent got it')
  // Taken after a minute, transferred back at 5, waiting still at 9: nine minutes, not four.
  t.equal(queueTime({ ...at, status: 'queued', assignedAt: 1_000_000 + minute }, 1_000_000 + 9 * minute), 9 * minute, 'waiting again after a transfer: from the start')
  t.equal(queueTime({ ...at, status: 'active', assignedAt: 1_000_000 + 12 * minute }, 1_000_000 + 20 * minute), 12 * minute, 'taken again: until the new agent got it')
  t.equal(queueTime({ ...at, status: 'cancelled', endedAt: 1_000_000 + 2 * minute } as Pick<Chat, 'status' | 'createdAt' | 'assignedAt' | 'endedAt'>, 1_000_000 + 9 * minute), 2 * minute, 'left the queue: until it closed')
})

t.test('sinceSignal: calm, then amber at the warning, red at the high mark; no thresholds, never coloured', async (t) => {
  t.match(sinceSignal(0, 119_000, 120_000, 300_000), { since: 0, now: 119_000, text: '1m 59s', level: 'calm', warn: 120_000, high: 300_000 })
  t.equal(sinceSignal(0, 120_000, 120_000, 300_000).level, 'amber')
  t.equal(sinceSignal(0, 300_000, 120_000, 300_000).level, 'red')
  t.match(sinceSignal(0, 7_500_000), { text: '2h 5m', level: 'calm', warn: null, high: null })
})

t.test('the console\'s lists carry running durations and idle colours; a transfer keeps the wait', async (t) => {
  const { app, knex } = await build(t, { pluginOptions: { settings: { chatStartsPerMinute: 1000, messagesPerMinute: 10000, idleWarningSeconds: 60, idleHighSeconds: 240 } } })
  const page = async (cookie: string) => (await app.inject({ url: '/livechat/console', headers: { cookie } })).body
  const created = async (id: number) => Number((await knex('lc_chats').where({ id }).first()).created_at)
  const alice = await agentSession(app, 'alice')
  const carol = await agentSession(app, 'carol')
  const admin = await agentSession(app, 'admin')
  const l2 = Number((await knex('lc_groups').where({ name: 'Support L2' }).first('id')).id)

  // Old: waiting ten minutes; fresh: just started.
  const old = (await startChat(app, { name: 'Olga Old', question: 'Still waiting' })).chatId
  await knex('lc_chats').where({ id: old }).update({ created_at: Date.now() - 10 * minute, queued_at: Date.now() - 10 * minute })
  const fresh = (await startChat(app, { name: 'Fred Fresh', question: 'Just asked' })).chatId

  t.test('Queue: how long each customer has waited, red past idleHighSeconds, the thresholds on the element', async (t) => {
    const body = await page(alice.cookie)
    t.match(body, /<section id="lc-queue" class="lc-list" data-now="\d+" data-idle-warn="60000" data-idle-high="240000"/, 'the clock and thresholds once, on the list')
    const row = (id: number) => new RegExp(`id="lc-queue-row-${id}"[\\s\\S]*?Waiting <span class="lc-since( lc-since--\\w+)?" data-since="(\\d+)" data-idle>([^<]+)`)
    const [, oldLevel, oldSince, oldText] = row(old).exec(body) ?? []
    t.equal(oldLevel, ' lc-since--red')
    t.equal(Number(oldSince), await created(old))
    t.match(oldText, /^10m \d+s$/)
    t.match(body, /<span class="lc-visually-hidden" data-since-level> \(high idle\)<\/span>/, 'the colour is said in words too')
    t.notMatch(row(fresh).exec(body)?.[0] ?? '', /data-since-level/, 'calm needs no words')
    const [, freshLevel, freshSince] = row(fresh).exec(body) ?? []
    t.equal(freshLevel, undefined, 'calm: no colour')
    t.equal(Number(freshSince), await created(fresh))
  })

  t.test('My Active: how long the chat has run, and how long since its agent wrote', async (t) => {
    t.equal((await alice.post(`/livechat/console/chats/${old}/accept`)).statusCode, 200)
    const body = await page(alice.cookie)
    t.match(body, /<section id="lc-my-active" class="lc-list" data-now="\d+" data-idle-warn="60000" data-idle-high="240000"/)
    const item = new RegExp(`data-lc-show="${old}"[\\s\\S]*?#${old} · <span class="lc-since" data-since="(\\d+)">10m \\d+s</span>[\\s\\S]*? · idle <span class="lc-since" data-since="(\\d+)" data-idle>`).exec(body)
    t.ok(item, 'duration and idle in the row')
    t.equal(Number(item?.[1]), await created(old), 'the duration runs from the start')
    t.equal(Number(item?.[2]), Number((await knex('lc_chats').where({ id: old }).first()).assigned_at), 'idle runs from the assignment until the agent writes')
    // The chat's own header says the same, with the thresholds on it (a pushed header carries its own).
    const header = new RegExp(`id="lc-chat-header-${old}"[\\s\\S]*?<span class="lc-chat-header__duration" data-now="\\d+" data-idle-warn="60000" data-idle-high="240000"[^>]*><span class="lc-since" data-since="(\\d+)">10m \\d+s</span>\\s*<span class="lc-chat-header__idle"> · idle <span class="lc-since" data-since="(\\d+)" data-idle>`).exec(body)
    t.equal(Number(header?.[1]), await created(old), 'the header\'s duration runs from the start')
    t.equal(Number(header?.[2]), Number(item?.[2]), 'and its idle clock from the same moment as the row\'s')
  })

  t.test('a transfer back to a queue keeps the customer\'s wait: Transferred, the lists and their sort', async (t) => {
    t.equal((await alice.post(`/livechat/console/chats/${old}/transfer`, { group_id: String(l2) })).statusCode, 200)
    const row = await knex('lc_chats').where({ id: old }).first()
    t.ok(Number(row.queued_at) > Number(row.created_at) + 9 * minute, 'the queue itself restarts at the transfer')
    const body = await page(carol.cookie)
    const transferred = new RegExp(`id="lc-transferred-row-${old}"[\\s\\S]*? · waiting <span class="lc-since lc-since--red" data-since="(\\d+)"`).exec(body)
    t.equal(Number(transferred?.[1]), Number(row.created_at), 'waiting since the start, not since the transfer')

    const list = (await app.inject({ url: '/livechat/console/lists/global-active?sort=queue&dir=desc', headers: { cookie: admin.cookie } })).body
    const cell = new RegExp(`id="lc-list-row-${old}"[\\s\\S]*?<td data-since="(\\d+)" data-now="\\d+">(10m \\d+s)</td>`).exec(list)
    t.equal(Number(cell?.[1]), Number(row.created_at), 'Queue Time runs from the start and moves on in the page')
    const order = [...list.matchAll(/id="lc-list-row-(\d+)"/g)].map((m) => Number(m[1]))
    t.ok(order.indexOf(old) < order.indexOf(fresh), 'sorted by the customer\'s wait, the transferred chat first')
  })
})
