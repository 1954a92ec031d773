import t from 'tap'
import { given } from '../helpers/given.ts'
import { jobServices } from '../helpers/jobs.ts'

const minute = 60_000
const grace = 120_000
// The in-process bus hands events over on a later tick.
const settled = async (): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, 20)) }

t.test('idle end', async (t) => {
  let now = Date.UTC(2026, 10, 21, 12, 0, 0)
  const clock = (): number => now
  const s = await jobServices(t, { clock })

  /** An active chat of alice's whose customer's window has just been marked gone (the customer-gone job). */
  async function goneChat () {
    const { chat, agent } = await given.activeChat(s, 'alice')
    now += grace + 1
    t.ok(await s.chats.markCustomersGone(grace) >= 1)
    return { chat, agent }
  }

  t.test('ends a chat whose customer has been gone idleEndMinutes, with a system message, History and the agent\'s capacity freed', async (t) => {
    const { chat, agent } = await goneChat()
    now += 29 * minute
    t.equal((await s.jobs.run('idle-end'))?.rows, 0, 'not yet: gone for 29 minutes')
    t.equal((await s.chats.get(chat.id)).status, 'active')

    now += 2 * minute
    await settled()
    const events = s.events.length
    const run = await s.jobs.run('idle-end')
    t.equal(run?.rows, 1)
    t.equal(run?.summary, 'Ended 1 chat whose customer had been gone for 30 minutes')
    const ended = await s.chats.get(chat.id)
    t.equal(ended.status, 'ended')
    t.equal(ended.endedBy, 'system')
    t.equal(ended.endedAt, now)
    const last = (await s.chats.messages(chat.id)).at(-1)!
    t.equal(last.kind, 'event')
    t.equal(last.authorKind, 'system')
    // The customer's window was last seen when the chat was accepted: 2 + 29 + 2 minutes ago.
    t.equal(last.body, 'Ended automatically: the customer left 33 minutes ago')
    const history = (await s.chats.history(chat.id)).at(-1)!
    t.equal(history.action, 'idle_ended')
    t.same(JSON.parse(history.data!), { leftMinutes: 33, afterMinutes: 30 })
    await settled()
    t.same(s.events.slice(events).map((e) => e.type), ['chat.message', 'chat.updated', 'agent.chats'])
    t.equal((await s.routing.presence(agent.id)).lastChatEndedAt, now, 'the agent\'s chat ended: their capacity is free for the queue')
    t.equal((await s.jobs.run('idle-end'))?.rows, 0, 'ended once')
  })

  t.test('leaves alone a chat whose customer came back, one the agent ended, and a deleted one', async (t) => {
    const back = await goneChat()
    const closed = await goneChat()
    const deleted = await goneChat()
    now += 5 * minute
    await s.chats.customerSeen([back.chat.id])
    await s.chats.endChat(closed.chat.id, { kind: 'agent', id: closed.agent.id, name: closed.agent.name })
    await s.knex('lc_chats').where('id', deleted.chat.id).update({ deleted_at: now })
    now += 60 * minute
    t.equal((await s.jobs.run('idle-end'))?.rows, 0)
    t.equal((await s.chats.get(back.chat.id)).status, 'active')
    t.equal((await s.chats.get(closed.chat.id)).endedBy, 'agent')
    t.equal((await s.knex('lc_chats').where('id', deleted.chat.id).first()).status, 'active')
  })

  t.test('records every run, rows and outcome, under the lease', async (t) => {
    const runs = await s.knex('lc_job_runs').where({ job: 'idle-end' }).orderBy('id')
    t.ok(runs.length >= 4)
    for (const r of runs) {
      t.equal(r.owner, 'test-instance')
      t.equal(r.trigger, 'schedule')
      t.ok(Number(r.finished_at) >= Number(r.started_at))
      t.equal(r.error, null)
    }
    t.same(runs.map((r: { rows: number }) => Number(r.rows)), [0, 1, 0, 0])
    t.equal(Number((await s.knex('lc_job_locks').where({ name: 'idle-end' }).first()).locked_until), 0, 'the lease is let go')
  })
})

t.test('idle end: idleEndMinutes 0 ends nothing', async (t) => {
  let now = Date.UTC(2026, 10, 21, 12, 0, 0)
  const s = await jobServices(t, { clock: () => now, settings: { idleEndMinutes: 0 } })
  const { chat } = await given.activeChat(s, 'alice')
  now += grace + 1
  await s.chats.markCustomersGone(grace)
  now += 7 * 24 * 60 * minute
  const run = await s.jobs.run('idle-end')
  t.equal(run?.rows, 0)
  t.equal(run?.summary, 'Off: idleEndMinutes is 0')
  t.equal((await s.chats.get(chat.id)).status, 'active')
})
