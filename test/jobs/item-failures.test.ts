import t from 'tap'
import { retryDelay } from '../../plugin/jobs/item-failures.ts'
import { jobModel } from '../../plugin/jobs/view-models.ts'
import { render } from '../../plugin/web/views.ts'
import { given } from '../helpers/given.ts'
import { jobServices } from '../helpers/jobs.ts'

const minute = 60_000
const grace = 120_000

t.test('per-item failures of the jobs', async (t) => {
  let now = Date.UTC(2026, 10, 21, 12, 0, 0)
  const clock = (): number => now
  const s = await jobServices(t, { clock })
  // Alice holds every chat these tests open.
  await s.knex('lc_group_members').update({ max_chats: 50 })
  await s.knex('lc_agent_presence').update({ max_chats: 50 })

  /**
   * Breaks a chat for real: its last_seq falls behind its last message, so the next line
   * written to it takes a seq that is already used and the unique index refuses it.
   */
  const breakChat = async (chatId: number): Promise<void> => { await s.knex('lc_chats').where('id', chatId).decrement('last_seq', 1) }
  const repairChat = async (chatId: number): Promise<void> => {
    const last = await s.knex('lc_messages').where('chat_id', chatId).max({ seq: 'seq' }).first()
    await s.knex('lc_chats').where('id', chatId).update({ last_seq: Number(last?.seq) })
  }
  const failure = async (job: string, chatId: number) => await s.knex('lc_job_item_failures').where({ job, item: String(chatId) }).first()
  const recordedError = (row: { error: string }): string => row.error
  const status = async (chatId: number): Promise<string> => (await s.chats.get(chatId)).status

  t.test('the wait doubles from a minute with each failure, up to a day', async (t) => {
    t.same([1, 2, 3, 4, 11].map(retryDelay), [minute, 2 * minute, 4 * minute, 8 * minute, 1024 * minute])
    t.equal(retryDelay(12), 86_400_000)
    t.equal(retryDelay(40), 86_400_000)
  })

  t.test('idle end: one bad chat is recorded and skipped, the others are ended, and it is retried only after its backoff', async (t) => {
    const chats = []
    for (let i = 0; i < 3; i++) chats.push((await given.activeChat(s, 'alice')).chat)
    now += grace + 1
    t.equal(await s.chats.markCustomersGone(grace), 3)
    const [first, bad, last] = chats as [typeof chats[0], typeof chats[0], typeof chats[0]]
    await breakChat(bad.id)
    const before = (await s.chats.messages(bad.id)).length
    now += 31 * minute

    const run = await s.jobs.run('idle-end')
    t.equal(run?.rows, 2, 'the others are ended')
    t.equal(await status(first.id), 'ended')
    t.equal(await status(last.id), 'ended', 'a chat after the bad one too')
    t.equal(await status(bad.id), 'active', 'the bad one is left as it was')
    t.equal((await s.chats.messages(bad.id)).length, before, 'nothing half-written')
    t.match(run?.error, new RegExp(`^1 chat skipped, retried later \\(#${bad.id}: `))
    t.notMatch(recordedError(await failure('idle-end', bad.id)), /insert into/i, 'the database\'s reason, not the statement with the chat\'s text')
    t.match(run?.summary, /^Ended 2 chats .*; 1 chat failed and will be retried$/)
    const recorded = await failure('idle-end', bad.id)
    t.equal(Number(recorded.attempts), 1)
    t.equal(Number(recorded.first_failed_at), now)
    t.equal(Number(recorded.next_attempt_at), now + minute)
    t.ok(s.log.some((l) => l.level === 'warn' && /skipped an item/.test(l.msg)), 'logged as a warning')

    await t.test('the jobs page lists it', async (t) => {
      const job = (await s.jobs.overview()).find((j) => j.id === 'idle-end')!
      t.match(job.failures, [{ job: 'idle-end', item: String(bad.id), attempts: 1, nextAttemptAt: now + minute }])
      const html = render('jobs/job', jobModel('/livechat', job, now))
      t.match(html, new RegExp(`<tr data-item="${bad.id}" data-attempts="1">`))
      t.match(html, `Chat #${bad.id}`)
      t.match(html, 'Failing items (1)')
    })

    const waiting = await s.jobs.run('idle-end')
    t.equal(waiting?.rows, 0)
    t.equal(waiting?.error, null, 'a chat waiting for its retry is no new failure')
    t.match(waiting?.summary, /1 failed before and waits for its retry/)
    now += minute - 1
    await s.jobs.run('idle-end')
    t.equal(Number((await failure('idle-end', bad.id)).attempts), 1, 'not tried before its minute is up')

    now += 1
    const retried = await s.jobs.run('idle-end')
    t.match(retried?.error, /1 chat skipped/, 'tried again on the minute, and failing still')
    const second = await failure('idle-end', bad.id)
    t.equal(Number(second.attempts), 2)
    t.equal(Number(second.next_attempt_at), now + 2 * minute, 'the wait doubles')

    await repairChat(bad.id)
    now += 2 * minute - 1
    t.equal((await s.jobs.run('idle-end'))?.rows, 0, 'mended, but still waiting')
    now += 1
    t.equal((await s.jobs.run('idle-end'))?.rows, 1, 'ended once its wait is over')
    t.equal(await status(bad.id), 'ended')
    t.equal(await failure('idle-end', bad.id), undefined, 'its failure is gone')
    t.same((await s.jobs.overview()).find((j) => j.id === 'idle-end')!.failures, [])
  })

  t.test('customer gone: one bad chat does not keep the others from being marked', async (t) => {
    const a = (await given.activeChat(s, 'alice')).chat
    const bad = (await given.activeChat(s, 'alice')).chat
    const b = (await given.activeChat(s, 'alice')).chat
    await breakChat(bad.id)
    now += grace + 1
    const run = await s.jobs.run('customer-gone')
    t.equal(run?.rows, 2)
    t.ok((await s.chats.get(a.id)).customerGoneAt)
    t.ok((await s.chats.get(b.id)).customerGoneAt)
    t.equal((await s.chats.get(bad.id)).customerGoneAt, null, 'the mark rolled back with the note')
    t.match(run?.error, new RegExp(`#${bad.id}: `))
    t.equal(Number((await failure('customer-gone', bad.id)).attempts), 1)
  })

  t.test('a failure of a chat that is no longer the job\'s goes when its retry comes', async (t) => {
    const bad = (await s.knex('lc_job_item_failures').where({ job: 'customer-gone' }).first()).item
    await repairChat(Number(bad))
    await s.chats.endChat(Number(bad), { kind: 'system', id: null, name: 'System' })
    now += minute
    await s.jobs.run('customer-gone')
    t.equal(await failure('customer-gone', Number(bad)), undefined)
  })
})
