import t from 'tap'
import { inPacedBatches, liveStep, type LiveLoad, type PaceStep, paceStep } from '../../plugin/jobs/purge.ts'

const pacing = { batchSize: 64, targetMs: 1000, restRatio: 3 }

t.test('purge pacing', async (t) => {
  t.test('batches shrink or grow by how long they took, and rest restRatio times as long', async (t) => {
    const p = { batchSize: 64, targetMs: 10, restRatio: 3 }
    t.same(paceStep(p, 16, 4), { size: 32, restMs: 12 }, 'under half the target: twice as big')
    t.same(paceStep(p, 64, 4), { size: 64, restMs: 12 }, 'never past batchSize')
    t.same(paceStep(p, 16, 40), { size: 4, restMs: 120 }, 'four times the target: a quarter as big, and a long rest')
    t.same(paceStep(p, 1, 400).size, 1, 'never below one chat')
    t.same(paceStep(p, 16, 12), { size: 16, restMs: 36 }, 'near the target: as it was')
  })

  t.test('the loop: waits while live statements wait for a connection, then runs the batch; stops when nothing is left', async (t) => {
    const steps: PaceStep[] = []
    const sizes: number[] = []
    const polls: number[] = []
    let n = 0
    let busyPolls = 0
    // Busy for three looks before the third batch, as if live statements were queued.
    const busy = (): boolean => {
      polls.push(n)
      if (n === 2 && busyPolls < 3) { busyPolls++; return true }
      return false
    }
    const batches = await inPacedBatches(undefined, { batchSize: 64, targetMs: 1000, restRatio: 0, busy }, async (size) => {
      n++
      sizes.push(size)
      return n <= 4
    }, (step) => steps.push(step))
    t.equal(batches, 4, 'every batch that found something counts; the fifth found nothing')
    t.same(sizes, [1, 2, 4, 8, 16], 'a busy pool delays a batch without shrinking it; the first is one chat, and quick ones double')
    t.same(polls.filter((at) => at === 2), [2, 2, 2, 2], 'three looks found it busy, the fourth let the batch go')
    t.equal(steps.length, 4)
  })

  t.test('a probe slower than twice the lower quartile of the recent ones (plus 1 ms) is slow, and doubles the rests up to eight times', async (t) => {
    let load: LiveLoad = { recent: [], restFactor: 1 }
    for (const ms of [2, 2, 3, 2]) {
      const step = liveStep(load, ms)
      t.notOk(step.slow, `${ms} ms beside 2-3 ms is the live load's own pace`)
      load = step.load
    }
    t.equal(load.restFactor, 1, 'never below restRatio')
    const factors: number[] = []
    for (let i = 0; i < 5; i++) {
      const step = liveStep(load, 50)
      t.ok(step.slow)
      load = step.load
      factors.push(load.restFactor)
    }
    t.same(factors, [2, 4, 8, 8, 8], 'rests lengthen while live statements stay slow, at most eight times')
    const back = liveStep(load, 2)
    t.notOk(back.slow)
    t.equal(back.load.restFactor, 4, 'a quick probe halves them back')
    t.equal(liveStep({ recent: [], restFactor: 1 }, 500).slow, false, 'the first probe is its own measure')
    t.equal(liveStep({ recent: Array(40).fill(1), restFactor: 1 }, 1).load.recent.length, 32, 'the last 32 probes are kept')
  })

  t.test('the loop: a slow probe holds the batch back, then lengthens the rest after it; quick probes bring it back', async (t) => {
    // Live statements answer in 1 ms, but before the third batch they are held up (30 ms) for two looks.
    const answers = [1, 1, 30, 30, 1, 1, 1]
    const looks: number[] = []
    let n = 0
    const probe = async (): Promise<number> => { looks.push(n); return answers.shift() ?? 1 }
    const factors: number[] = []
    const batches = await inPacedBatches(undefined, { batchSize: 8, targetMs: 1000, restRatio: 0.001, probe }, async () => {
      n++
      return n <= 4
    }, (step) => factors.push(step.restFactor ?? NaN))
    t.equal(batches, 4)
    t.same(looks, [0, 1, 2, 2, 2, 3, 4], 'before the third batch: looked again while the probe stayed slow, then let it go')
    t.same(factors, [1, 1, 2, 1], 'the rest after the held-up batch is twice restRatio times the batch, then back')
  })

  t.test('a read before the batches is neither counted nor paced: the batch after it keeps its size and rest', async (t) => {
    const done: Array<boolean | 'read'> = [true, 'read', true, true, false]
    const sizes: number[] = []
    const steps: PaceStep[] = []
    const batches = await inPacedBatches(undefined, { batchSize: 64, targetMs: 1000, restRatio: 0 }, async (size) => {
      sizes.push(size)
      const next = done.shift()!
      // The read takes long enough to shrink the next batch and lengthen the rest, were it timed as a batch.
      if (next === 'read') await new Promise((resolve) => setTimeout(resolve, 1600))
      return next
    }, (step) => steps.push(step))
    t.equal(batches, 3, 'three batches, not four')
    t.same(sizes, [1, 2, 2, 4, 8], 'the size doubles past the read as if it had not been')
    t.equal(steps.length, 3)
  })

  t.test('a lost lease stops the loop before the next batch', async (t) => {
    let calls = 0
    let ours = 2
    const ctx = { stillOurs: async () => ours-- > 0 } as unknown as Parameters<typeof inPacedBatches>[0]
    const batches = await inPacedBatches(ctx, { ...pacing, restRatio: 0 }, async () => { calls++; return true })
    t.equal(batches, 2)
    t.equal(calls, 2)
  })
})
