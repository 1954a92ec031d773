import t from 'tap'
import { runJob } from '../../plugin/jobs/scheduler.ts'
import { jobState } from '../../plugin/jobs/store.ts'
import { services } from '../helpers/given.ts'

t.test('jobs', async (t) => {
  let now = Date.UTC(2026, 10, 21, 12, 0, 0)
  const s = await services(t, { clock: () => now })

  t.test('runJob: of instances racing for the lease exactly one runs the job', async (t) => {
    let runs = 0
    const work = async (): Promise<number> => { runs++; await new Promise((resolve) => setTimeout(resolve, 30)); return 7 }
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((owner) => runJob(s.knex, 'race', owner, work, () => now)))
    t.equal(runs, 1)
    t.same(results.filter((r) => r !== null), [7])
    const state = await jobState(s.knex, 'race')
    t.equal(Number(state?.last_rows), 7)
    t.equal(Number(state?.locked_until), 0, 'the lease is let go when the run ends')
  })

  t.test('runJob: a failed run records its error and frees the lease', async (t) => {
    await t.rejects(runJob(s.knex, 'failing', 'a', async () => { throw new Error('boom') }, () => now), { message: 'boom' })
    const state = await jobState(s.knex, 'failing')
    t.equal(state?.last_error, 'boom')
    t.equal(await runJob(s.knex, 'failing', 'b', async () => 1, () => now), 1, 'another instance can run it next time')
  })

  t.test('runJob: a lease left by a crashed instance expires', async (t) => {
    await s.knex('lc_job_locks').insert({ name: 'stuck', owner: 'crashed', locked_until: now + 60_000 })
    t.equal(await runJob(s.knex, 'stuck', 'a', async () => 1, () => now), null)
    now += 61_000
    t.equal(await runJob(s.knex, 'stuck', 'a', async () => 2, () => now), 2)
  })

  t.test('runJob: each scheduled tick is run once across instances, even after the first run has finished', async (t) => {
    // A minute of ticks, every second, with both instances' schedules firing at each: the
    // first to take the lease runs the tick, and the other, coming when that run is already
    // over, finds the tick done.
    let runs = 0
    const work = async (): Promise<number> => { runs++; return 0 }
    const start = now
    for (let second = 0; second < 60; second++) {
      const tick = start + second * 1000
      now = tick
      for (const owner of second % 2 === 0 ? ['a', 'b'] : ['b', 'a']) await runJob(s.knex, 'ticking', owner, work, () => now, undefined, { tick, keepRuns: 100 })
    }
    t.equal(runs, 60, 'sixty ticks, sixty runs')
    const recorded = await s.knex('lc_job_runs').where({ job: 'ticking' }).select('tick', 'owner')
    t.equal(recorded.length, 60)
    t.equal(new Set(recorded.map((r: { tick: number | string }) => Number(r.tick))).size, 60, 'one run a tick')
    t.same(new Set(recorded.map((r: { owner: string }) => r.owner)), new Set(['a', 'b']), 'whichever instance came first')
    t.equal(await runJob(s.knex, 'ticking', 'a', work, () => now, undefined, { tick: start }), null, 'a tick gone by is not run again')
    t.equal(await runJob(s.knex, 'ticking', 'a', work, () => now, undefined, { trigger: 'manual' }), 0, 'Run now names no tick, and runs')
    t.equal(runs, 61)
  })

  t.test('presence sweep: an available agent whose consoles stopped beating becomes unavailable', async (t) => {
    const alice = await s.user('alice')
    const bob = await s.user('bob')
    await s.routing.setAvailable(alice.id, true)
    await s.routing.setAvailable(bob.id, true)
    t.equal(await s.routing.anyoneAvailable(), true)
    now += 30_000
    await s.routing.heartbeat([bob.id])
    now += 40_000
    t.equal(await s.routing.sweepStale(), 1, 'only alice is stale')
    t.equal((await s.routing.presence(alice.id)).status, 'unavailable')
    t.equal((await s.routing.presence(bob.id)).status, 'available')
    now += 61_000
    t.equal(await s.routing.anyoneAvailable(), false, 'a stale heartbeat counts as away even before the sweep')
  })
})
