import t from 'tap'
import { inParallel } from '../plugin/workers.ts'

t.test('inParallel runs every item, never more than the limit at once, a slow item holding one worker only', async (t) => {
  // The slow item waits until the seven others are done (or 5 s, so a pool that waits for it
  // fails here instead of hanging): no timer race, so a busy machine cannot reorder them.
  let othersDone!: () => void
  const seven = new Promise<void>((resolve) => { othersDone = resolve })
  const done: number[] = []
  let running = 0
  let most = 0
  await inParallel([0, 1, 2, 3, 4, 5, 6, 7], 3, async (i) => {
    running++
    most = Math.max(most, running)
    if (i === 0) await Promise.race([seven, new Promise((resolve) => setTimeout(resolve, 5000))])
    else await new Promise((resolve) => setImmediate(resolve))
    running--
    done.push(i)
    if (done.length === 7 && !done.includes(0)) othersDone()
  })
  t.same([...done].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7], 'every item once')
  t.equal(most, 3, 'at most three at once')
  t.equal(done.at(-1), 0, 'the slow first item finished last: the others went on beside it')
  await inParallel([], 3, async () => { t.fail('no item, no work') })
})
