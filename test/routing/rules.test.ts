import t from 'tap'
import { byLoad, freshSince, isFresh, planRoundRobin, type Waiting } from '../../plugin/routing/rules.ts'
import type { Candidate } from '../../plugin/routing/store.ts'

/** Round robin one chat at a time, as written in docs/features.md: sort everyone, give the chat to the first allowed, again. */
function oneByOne (queued: Waiting[], ranked: Candidate[], now: number): Array<{ chatId: number, agentId: string }> {
  const plan: Array<{ chatId: number, agentId: string }> = []
  for (const chat of queued) {
    const open = ranked.filter((c) => c.active < c.capacity).sort(byLoad)
    const allowed = open.filter((c) => c.agentId !== chat.transferredBy)
    const best = allowed.find((c) => c.agentId !== chat.reofferedFrom) ?? allowed[0]
    if (!best) continue
    plan.push({ chatId: chat.id, agentId: best.agentId })
    best.active++
    best.lastAssignedAt = now
  }
  return plan
}

t.test('routing rules', async (t) => {
  t.test('a heartbeat is fresh for heartbeatTimeoutSeconds', async (t) => {
    t.equal(freshSince(100_000, 60), 40_000)
    t.ok(isFresh(40_001, 100_000, 60), 'just inside the timeout')
    t.notOk(isFresh(40_000, 100_000, 60), 'at the timeout it is stale')
    t.notOk(isFresh(null, 100_000, 60), 'no heartbeat at all is not fresh')
  })

  t.test('a batch is planned exactly as its chats would be given one at a time', async (t) => {
    // A small generator of its own, so every run plans the same cases.
    let seed = 7
    const random = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
    for (let round = 0; round < 200; round++) {
      const agents = 1 + random(12)
      const ranked: Candidate[] = Array.from({ length: agents }, (_, i) => {
        const capacity = 1 + random(6)
        return { agentId: `a${i}`, capacity, active: random(capacity), lastChatEndedAt: random(3) === 0 ? null : random(5), lastAssignedAt: random(3) === 0 ? null : random(5) }
      })
      const queued: Waiting[] = Array.from({ length: 1 + random(40) }, (_, i) => ({
        id: i + 1,
        transferredBy: random(5) === 0 ? `a${random(agents)}` : null,
        reofferedFrom: random(5) === 0 ? `a${random(agents)}` : null
      }))
      const copy = (): Candidate[] => ranked.map((c) => ({ ...c }))
      const expected = oneByOne(queued, copy(), 10)
      t.same(planRoundRobin(queued, copy(), 10), expected, `round ${round}: ${queued.length} chats onto ${agents} agents`)
    }
  })
})
