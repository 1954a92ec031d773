import t from 'tap'
import { freshSince, isFresh } from '../../plugin/routing/rules.ts'

t.test('routing rules', async (t) => {
  t.test('a heartbeat is fresh for heartbeatTimeoutSeconds', async (t) => {
    t.equal(freshSince(100_000, 60), 40_000)
    t.ok(isFresh(40_001, 100_000, 60), 'just inside the timeout')
    t.notOk(isFresh(40_000, 100_000, 60), 'at the timeout it is stale')
    t.notOk(isFresh(null, 100_000, 60), 'no heartbeat at all is not fresh')
  })
})
