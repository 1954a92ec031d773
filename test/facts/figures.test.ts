import t from 'tap'
import type { AgentScope } from '../../plugin/chats/types.ts'
import { createFactService } from '../../plugin/facts/service.ts'
import { bucketsOf, createTally, figuresOf, localClock, median, percentile, wholeHourZone } from '../../plugin/facts/figures.ts'
import { rebuildRollups } from '../../plugin/facts/rollups.ts'
import { factsIn } from '../../plugin/facts/store.ts'
import { createSurveyService } from '../../plugin/surveys/service.ts'
import { given, services, type Services } from '../helpers/given.ts'

// Each definition of docs/reports.md on a built history whose answers are worked out by hand
// in the comments below. Monday 2 March 2026; Europe/Berlin is UTC+1 that day.
const day = Date.UTC(2026, 2, 2)
const at = (h: number, m: number, s = 0): number => day + h * 3_600_000 + m * 60_000 + s * 1000
const s = (n: number): number => n * 1000

/** The history: six chats, five in Support (L1, L2) and one in Sales. */
async function history (x: Services, set: (ms: number) => void): Promise<{ ids: Record<string, number> }> {
  const scope = async (u: string): Promise<AgentScope> => await x.scope(u)
  const surveys = createSurveyService({ db: x.knex, chats: x.chats })
  const alice = await x.user('alice')
  const bob = await x.user('bob')
  const carol = await x.user('carol')
  const agent = (u: { id: string, name: string }) => ({ kind: 'agent' as const, id: u.id, name: u.name })
  const ids: Record<string, number> = {}

  // A: queued 08:00, alice accepts 08:01 (wait 60 s), replies 08:03 (first response 180 s), ends 08:20 (handle 1,140 s); rated 5.
  set(at(8, 0)); const a = await given.queuedChat(x); ids.a = a.chat.id
  set(at(8, 1)); await x.chats.acceptChat(a.chat.id, await scope('alice'))
  set(at(8, 3)); await x.chats.postMessage(a.chat.id, agent(alice), 'Hello', null)
  set(at(8, 20)); await x.chats.endChat(a.chat.id, agent(alice))
  await surveys.submit(a.chat.id, a.token, null, { rating: '5', comment: 'Quick' })

  // B: queued 09:00, bob accepts 09:02 (wait 120 s), replies 09:06 (360 s), transfers to Support L2 at 09:10; carol accepts
  // 09:12 (the wait does not start again), ends 09:30 (handle from 09:02: 1,680 s); rated 3. The chat is carol's now.
  set(at(9, 0)); const b = await given.queuedChat(x); ids.b = b.chat.id
  set(at(9, 2)); await x.chats.acceptChat(b.chat.id, await scope('bob'))
  set(at(9, 6)); await x.chats.postMessage(b.chat.id, agent(bob), 'Let me see', null)
  set(at(9, 10)); await x.chats.transferChat(b.chat.id, await scope('bob'), { groupId: await x.groupId('Support L2'), agentId: null, auto: false, comment: '' })
  set(at(9, 12)); await x.chats.acceptChat(b.chat.id, await scope('carol'))
  set(at(9, 30)); await x.chats.endChat(b.chat.id, agent(carol))
  await surveys.submit(b.chat.id, b.token, null, { rating: '3', comment: undefined })

  // C: queued 10:00, the customer leaves the queue at 10:05: abandoned.
  set(at(10, 0)); const c = await given.queuedChat(x); ids.c = c.chat.id
  set(at(10, 5)); await x.chats.endChat(c.chat.id, { kind: 'customer', id: null, name: 'Dana Doyle' })

  // D: queued 11:00, alice accepts 11:10 (wait 600 s) and ends it 11:15 without a reply: missed (handle 300 s).
  set(at(11, 0)); const d = await given.queuedChat(x); ids.d = d.chat.id
  set(at(11, 10)); await x.chats.acceptChat(d.chat.id, await scope('alice'))
  set(at(11, 15)); await x.chats.endChat(d.chat.id, agent(alice))

  // E: queued 12:00 and still waiting: started, nothing else.
  set(at(12, 0)); const e = await given.queuedChat(x); ids.e = e.chat.id

  // F: Sales, queued 13:00, carol accepts 13:00:30 (wait 30 s), replies 13:01 (60 s), still active.
  set(at(13, 0)); const f = await given.queuedChat(x, { group: 'Sales' }); ids.f = f.chat.id
  set(at(13, 0, 30)); await x.chats.acceptChat(f.chat.id, await scope('carol'))
  set(at(13, 1)); await x.chats.postMessage(f.chat.id, agent(carol), 'Hi', null)
  return { ids }
}

t.test('median and 90th percentile', async (t) => {
  t.equal(median([]), null)
  t.equal(median([5]), 5)
  t.equal(median([1, 3, 10]), 3)
  t.equal(median([1, 3, 10, 20]), 6.5, 'an even count: the mean of the two middle values')
  t.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), 9, 'nearest rank: the 9th of 10')
  t.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.9), 10, 'the 10th of 11 (ceil 9.9)')
  t.equal(percentile([7], 0.9), 7)
})

t.test('durations in buckets: exact at a bucket\'s ends, within 5% between', async (t) => {
  const tally = createTally({ from: 0, to: 1, timeZone: 'UTC' })
  const values = Array.from({ length: 1000 }, (_, i) => 1000 + i * 37)
  const agent = { dayAt: 0, groupId: 1, agentId: 'a', started: 0, answered: 0, missed: 0, abandoned: 0, transfers: 0, transferred: 0, ratings: [0, 0, 0, 0, 0], startedHours: new Array(24).fill(0), answeredHours: new Array(24).fill(0), wait: [], handle: [], loadCount: 0, loadSum: 0, loadPeak: 0 }
  tally.rollup({ ...agent, firstResponse: bucketsOf(values) })
  const got = tally.result().firstResponse
  const sorted = [...values].sort((a, b) => a - b)
  t.equal(got.count, 1000)
  t.ok(Math.abs(got.median! - median(sorted)!) / median(sorted)! < 0.05, `median ${got.median} near ${median(sorted)}`)
  t.ok(Math.abs(got.p90! - percentile(sorted, 0.9)!) / percentile(sorted, 0.9)! < 0.05, `p90 ${got.p90} near ${percentile(sorted, 0.9)}`)
  t.same(bucketsOf([60_000, 60_000, 61_000]), [226, 3, 60_000, 61_000], 'a bucket keeps its count, smallest and largest')
})

t.test('the local clock across a change of the clocks', async (t) => {
  const berlin = localClock('Europe/Berlin')
  // 29 March 2026: Berlin moves from UTC+1 to UTC+2 at 01:00 UTC.
  t.same(berlin(Date.UTC(2026, 2, 29, 0, 30)), { date: '2026-03-29', hour: 1 })
  t.same(berlin(Date.UTC(2026, 2, 29, 1, 30)), { date: '2026-03-29', hour: 3 })
  t.same(berlin(Date.UTC(2026, 2, 28, 23, 30)), { date: '2026-03-29', hour: 0 })
  t.same(berlin(Date.UTC(2026, 9, 25, 0, 30)), { date: '2026-10-25', hour: 2 }, 'back to UTC+1 at 01:00 UTC')
  t.same(berlin(Date.UTC(2026, 9, 25, 1, 30)), { date: '2026-10-25', hour: 2 })
  t.same(localClock('Asia/Kolkata')(Date.UTC(2026, 2, 2, 18, 29)), { date: '2026-03-02', hour: 23 }, 'a half-hour offset')
})

t.test('chat facts: each definition of docs/reports.md on a built history', async (t) => {
  let now = at(7, 0)
  const x = await services(t, { clock: () => now })
  const { ids } = await history(x, (ms) => { now = ms })
  const facts = createFactService({ db: x.knex })
  const support = [await x.groupId('Support L1'), await x.groupId('Support L2')]
  const whole = { from: day, to: day + 86_400_000 }

  t.test('Support for the day', async (t) => {
    const f = await facts.figures({ ...whole, groupIds: support, agentId: null }, 'Europe/Berlin')
    t.same({ started: f.started, answered: f.answered, missed: f.missed, abandoned: f.abandoned }, { started: 5, answered: 2, missed: 1, abandoned: 1 },
      'A and B answered; D closed unanswered is missed; C left the queue is abandoned; E is still waiting')
    t.same(f.firstResponse, { count: 2, median: s(270), p90: s(360) }, 'first responses 180 s and 360 s')
    t.same(f.wait, { count: 3, median: s(120), p90: s(600) }, 'waits 60, 120 and 600 s; B waits once, though transferred')
    t.same(f.handle, { count: 3, median: s(1140), p90: s(1680) }, 'handle 300, 1,140 and 1,680 s, from the first assignment')
    t.same({ transfers: f.transfers, transferredChats: f.transferredChats }, { transfers: 1, transferredChats: 1 })
    t.same(f.satisfaction, { count: 2, average: 4, distribution: [0, 0, 1, 0, 1] })
    const hours = Object.fromEntries(f.byHour.map((n, h) => [h, n]).filter(([, n]) => (n ?? 0) > 0))
    t.same(hours, { 9: 1, 10: 1, 11: 1, 12: 1, 13: 1 }, 'hours on the Berlin clock')
    t.same(f.byDay.map((d) => [d.date, d.started, d.answered]), [['2026-03-02', 5, 2], ['2026-03-03', 0, 0]],
      'the UTC day runs to 01:00 the next Berlin day')
    const alice = (await x.user('alice')).id
    const carol = (await x.user('carol')).id
    t.same(f.agents, [
      { agentId: alice, chats: 2, answered: 1, medianFirstResponse: s(180), medianHandle: s(720), averageLoad: 1, peakLoad: 1 },
      { agentId: carol, chats: 1, answered: 1, medianFirstResponse: s(360), medianHandle: s(1680), averageLoad: 1, peakLoad: 1 }
    ], 'a chat counts for the agent who had it last: B is carol\'s, bob has none; nobody had two chats at once')
    t.same(f.groups.map((g) => [g.groupId, g.started]), [[support[0], 4], [support[1], 1]], 'B counts in Support L2, where it went')
  })

  t.test('every group, and one agent', async (t) => {
    const all = await facts.figures({ ...whole, groupIds: null, agentId: null }, 'UTC')
    t.same([all.started, all.answered, all.firstResponse.median, all.wait.median], [6, 3, s(180), s(90)])
    const alice = await facts.figures({ ...whole, groupIds: null, agentId: (await x.user('alice')).id }, 'UTC')
    t.same([alice.started, alice.answered, alice.missed, alice.abandoned], [2, 1, 1, 0])
    const none = await facts.figures({ ...whole, groupIds: [], agentId: null }, 'UTC')
    t.equal(none.started, 0, 'no groups, no chats')
    t.same(none.firstResponse, { count: 0, median: null, p90: null })
  })

  t.test('the counts the database sums are the figures\' (the wallboard\'s day)', async (t) => {
    for (const filter of [{ groupIds: support, agentId: null }, { groupIds: null, agentId: null }, { groupIds: null, agentId: (await x.user('alice')).id }, { groupIds: [], agentId: null }]) {
      for (const range of [whole, { from: at(8, 0), to: at(9, 30) }, { from: at(8, 0), to: at(12, 0) }]) {
        const f = await facts.figures({ ...range, ...filter }, 'UTC')
        const c = await facts.counts({ ...range, ...filter })
        t.same(c, {
          groups: f.groups,
          firstResponseMedian: f.firstResponse.median,
          satisfaction: { count: f.satisfaction.count, average: f.satisfaction.average }
        }, `${JSON.stringify(range)}, ${JSON.stringify(filter)}`)
      }
    }
  })

  t.test('a period counts the chats started in it', async (t) => {
    const morning = await facts.figures({ from: at(8, 0), to: at(10, 0), groupIds: null, agentId: null }, 'UTC')
    t.same([morning.started, morning.answered], [2, 2], 'A and B; the end of the period is left out')
    t.equal(morning.byHour[8], 1)
    t.equal(morning.byHour[9], 1)
  })

  t.test('whole past days come from the rollups, with the same answers as the facts', async (t) => {
    t.same((await x.knex('lc_chat_rollups').select('day_at')).map((r) => Number(r.day_at)), [day, day, day, day],
      'the day folded when a report first asked: one row per group and agent (L1 alice: A, D; L2 carol: B; L1 nobody: C, E; Sales carol: F)')
    for (const filter of [{ groupIds: support, agentId: null }, { groupIds: null, agentId: null }, { groupIds: null, agentId: (await x.user('alice')).id }]) {
      for (const zone of ['Europe/Berlin', 'UTC', 'America/New_York']) {
        const range = { ...whole, ...filter }
        t.same(await facts.figures(range, zone), figuresOf(await factsIn(x.knex, range), { ...whole, timeZone: zone }), `${zone}, ${JSON.stringify(filter)}`)
      }
    }
  })

  t.test('a change to a folded day is folded again when a report next asks', async (t) => {
    await x.knex('lc_chat_facts').where({ chat_id: ids.e }).update({ outcome: 'queue_timed_out', ended_at: at(12, 30), changed_at: Date.now() })
    const f = await facts.figures({ ...whole, groupIds: support, agentId: null }, 'UTC')
    t.equal(f.missed, 2, 'E timed out in the queue: missed')
    await x.knex('lc_chat_facts').where({ chat_id: ids.e }).update({ outcome: null, ended_at: null, changed_at: Date.now() })
    t.equal((await facts.figures({ ...whole, groupIds: support, agentId: null }, 'UTC')).missed, 1, 'and back')
  })

  t.test('a clock a half hour from UTC reads the facts', async (t) => {
    t.notOk(wholeHourZone('Asia/Kolkata', whole.from, whole.to))
    t.ok(wholeHourZone('Europe/Berlin', Date.UTC(2026, 2, 20), Date.UTC(2026, 3, 5)), 'across the change to summer time')
    const range = { ...whole, groupIds: null, agentId: null }
    t.same(await facts.figures(range, 'Asia/Kolkata'), figuresOf(await factsIn(x.knex, range), { ...whole, timeZone: 'Asia/Kolkata' }))
  })

  t.test('the rollup backfill rebuilds the same rows', async (t) => {
    const rows = async (): Promise<unknown[]> => (await x.knex('lc_chat_rollups').orderBy(['group_id', 'agent_id'])).map(({ id: _, ...r }) => r)
    const before = await rows()
    await rebuildRollups(x.knex, Date.now())
    t.same(await rows(), before)
  })

  t.test('the backfill migration writes the same rows', async (t) => {
    // changed_at is the rollups' bookkeeping (migration 045), and agent_load came after the backfill (migration 051): not facts it recovers.
    const rows = async (): Promise<unknown[]> => (await x.knex('lc_chat_facts').orderBy('chat_id')).map(({ changed_at: _, agent_load: __, ...r }) => r)
    const before = await rows()
    await x.knex('lc_chat_facts').del()
    const { up } = await import('../../migrations/20261208000042_backfill_lc_chat_facts.ts')
    await up(x.knex)
    t.same(await rows(), before)
  })
})

t.test('concurrent load: the chats an agent has open as each is given to them', async (t) => {
  let now = at(7, 0)
  const x = await services(t, { clock: () => now })
  const facts = createFactService({ db: x.knex })
  const alice = await x.user('alice')
  const sam = await x.user('sam')
  const agent = (u: { id: string, name: string }) => ({ kind: 'agent' as const, id: u.id, name: u.name })
  const queued = async (h: number, m: number): Promise<number> => { now = at(h, m); return (await given.queuedChat(x)).chat.id }
  // alice accepts P 14:00 (load 1), Q 14:05 (2: P, Q), R 14:10 (3), ends P 14:15, accepts S 14:20 (3: Q, R, S).
  // sam takes R from her at 14:25: R is sam's now, with sam's load as he got it (1). alice's chats: Q 2, S 3, and P 1.
  const p = await queued(14, 0); await x.chats.acceptChat(p, await x.scope('alice'))
  const q = await queued(14, 5); await x.chats.acceptChat(q, await x.scope('alice'))
  const r = await queued(14, 10); await x.chats.acceptChat(r, await x.scope('alice'))
  now = at(14, 15); await x.chats.endChat(p, agent(alice))
  const s4 = await queued(14, 20); await x.chats.acceptChat(s4, await x.scope('alice'))
  now = at(14, 25); await x.chats.takeChat(r, await x.scope('sam'))
  const loads = Object.fromEntries((await x.knex('lc_chat_facts').select('chat_id', 'agent_load')).map((f) => [Number(f.chat_id), Number(f.agent_load)]))
  t.same(loads, { [p]: 1, [q]: 2, [r]: 1, [s4]: 3 }, 'each chat keeps the load of the agent who has it, as they got it')
  const whole = { from: day, to: day + 86_400_000, groupIds: null, agentId: null }
  const f = await facts.figures(whole, 'UTC')
  const of = (id: string): unknown => f.agents.filter((a) => a.agentId === id).map((a) => [a.averageLoad, a.peakLoad])[0]
  t.same(of(alice.id), [2, 3], 'alice: (1 + 2 + 3) / 3 on average, 3 at most')
  t.same(of(sam.id), [1, 1])
  t.same(f, figuresOf(await factsIn(x.knex, whole), { ...whole, timeZone: 'UTC' }), 'the past day\'s rollups give what its facts give')
  const l1 = await facts.figures({ ...whole, groupIds: [await x.groupId('Support L1')] }, 'UTC')
  t.same(l1.agents.find((a) => a.agentId === alice.id)?.averageLoad, 2, 'a group filter keeps each chat\'s load')
})
