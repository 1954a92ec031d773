import t from 'tap'
import { inParallel } from '../plugin/workers.ts'

t.test('inParallel runs every item, never more than the limit at once, a slow item holding one worker only', async (t) => {
  const items = [30, 1, 1, 1, 1, 1, 1, 1]
  const done: number[] = []
  let running = 0
  let most = 0
  await inParallel(items.map((ms, i) => ({ ms, i })), 3, async ({ ms, i }) => {
    running++
    most = Math.max(most, running)
    await new Promise((resolve) => setTimeout(resolve, ms))
    running--
    done.push(i)
  })
  t.same([...done].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7], 'every item once')
  t.equal(most, 3, 'at most three at once')
  t.equal(done.at(-1), 0, 'the slow first item finished last: the others went on beside it')
  await inParallel([], 3, async () => { t.fail('no item, no work') })
})
