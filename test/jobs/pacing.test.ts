import t from 'tap'
import { inPacedBatches, type PaceStep, paceStep } from '../../plugin/jobs/purge.ts'

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
    t.same(sizes, [64, 64, 64, 64, 64], 'a busy pool delays a batch without shrinking it')
    t.same(polls.filter((at) => at === 2), [2, 2, 2, 2], 'three looks found it busy, the fourth let the batch go')
    t.equal(steps.length, 4)
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
