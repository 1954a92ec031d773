import t from 'tap'
import { inPacedBatches, type PaceStep, paceStep } from '../../plugin/jobs/purge.ts'

const pacing = { batchSize: 64, targetMs: 1000, restRatio: 3 }

t.test('purge pacing', async (t) => {
  t.test('a quiet database: batches grow towards batchSize and rest restRatio times as long as they took', async (t) => {
    t.same(paceStep(pacing, 16, 4, 0.25, false), { size: 32, restMs: 12, backedOff: false })
    t.same(paceStep(pacing, 64, 4, 0.0625, false), { size: 64, restMs: 12, backedOff: false }, 'never past batchSize')
  })

  t.test('a batch much slower a chat than the quietest: it halves and rests longer, with the slowdown', async (t) => {
    // 10 ms a chat against 1 ms when quiet: ten times slower, so the longest back-off.
    t.same(paceStep(pacing, 16, 160, 1, false), { size: 8, restMs: 160 * 3 * 8, backedOff: true })
    // Three times slower: rests three times its usual rest.
    t.same(paceStep(pacing, 16, 48, 1, false), { size: 8, restMs: 48 * 3 * 3, backedOff: true })
    t.same(paceStep(pacing, 1, 48, 1, false).size, 1, 'never below one chat')
  })

  t.test('a busy pool backs off however quick the batch was; timings under 2 ms are never slow', async (t) => {
    t.same(paceStep(pacing, 16, 0.5, 0.001, true), { size: 8, restMs: 6, backedOff: true })
    t.equal(paceStep(pacing, 16, 1.9, 0.0001, false).backedOff, false)
  })

  t.test('the loop: backs off while the pool is busy, grows again once it is not, stops when nothing is left', async (t) => {
    const steps: PaceStep[] = []
    const sizes: number[] = []
    let n = 0
    const busyAt = new Set([3, 4, 5])
    const batches = await inPacedBatches(undefined, { batchSize: 64, targetMs: 1000, restRatio: 0, busy: () => busyAt.has(n) }, async (size) => {
      n++
      sizes.push(size)
      return n <= 9
    }, (step) => steps.push(step))
    t.equal(batches, 9, 'every batch that found something counts; the tenth found nothing')
    t.same(sizes, [64, 64, 64, 32, 16, 8, 16, 32, 64, 64])
    t.same(steps.map((s) => s.backedOff), [false, false, true, true, true, false, false, false, false])
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
