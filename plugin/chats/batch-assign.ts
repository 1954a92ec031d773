import { freshReads, transact } from '../db/index.ts'
import { agentActor, type ChatCore, eventTexts } from './core.ts'
import type { Candidate } from '../routing/service.ts'
import * as lists from './list-store.ts'
import type { ChatService } from './service.ts'
import * as store from './store.ts'
import { type Chat, ChatStatus, type Message } from './types.ts'

/** How long an agent's name is trusted for the "joined" events of round robin's batches: a rename shows in chats given after that. */
const namesKeptMs = 30_000

/**
 * What of a plan may be carried out: chats it read as queued, each once, to agents claimGroup
 * answered, none past the room it counted. The limit is kept here, whatever the plan says.
 */
function withinRoom (steps: ReadonlyArray<{ chatId: number, agentId: string }>, queued: Chat[], candidates: Candidate[]): Array<{ chatId: number, agentId: string }> {
  const room = new Map(candidates.map((c) => [c.agentId, c.capacity - c.active]))
  const waiting = new Set(queued.map((c) => c.id))
  return steps.filter((s) => {
    const left = room.get(s.agentId) ?? 0
    if (left <= 0 || !waiting.delete(s.chatId)) return false
    room.set(s.agentId, left - 1)
    return true
  })
}

/**
 * Round robin's batch (docs/design.md §5): many queued chats of a group given in one
 * transaction, so a burst costs a few statements per batch rather than a transaction per chat.
 * The agents' presence rows are locked first (routing.claimGroup), as every single hand-over
 * does, and the queue is read only then: a batch of another instance that locked them before
 * has committed, so its chats are seen as given and its agents' loads as they are now.
 */
export function createBatchAssign (core: ChatCore): Pick<ChatService, 'assignQueued'> {
  const { db, bus, host, routing, clock } = core
  // Read outside the transaction: a host lookup must never run while the agents' rows are locked.
  const names = new Map<string, { name: string, at: number }>()

  async function namesOf (agentIds: string[]): Promise<Map<string, string>> {
    const now = Date.now()
    const stale = agentIds.filter((id) => {
      const hit = names.get(id)
      return hit === undefined || now - hit.at >= namesKeptMs || now < hit.at
    })
    if (stale.length > 0 && host.getUsers) {
      // One look-up for a burst's 200 agents, where one each filled the pool before the first batch could start.
      const found = new Map((await host.getUsers(stale)).map((u) => [u.id, u.name]))
      for (const id of stale) names.set(id, { name: found.get(id) ?? 'An agent', at: now })
    } else {
      await Promise.all(stale.map(async (id) => { names.set(id, { name: (await host.getUser(id))?.name ?? 'An agent', at: now }) }))
    }
    return new Map(agentIds.map((id) => [id, names.get(id)!.name]))
  }

  return {
    async assignQueued (groupId, agentIds, plan, limit = 50) {
      if (agentIds.length === 0) return { given: [], seen: 0 }
      const named = await namesOf(agentIds)
      const at = clock()
      const done = await transact(db, async (trx) => {
        const candidates = await routing.claimGroup(trx, groupId, agentIds)
        if (candidates.length === 0) return { given: [] as Chat[], joined: [] as Message[], seen: 0 }
        const queued = (await lists.nextQueued(trx, groupId, limit)).map(store.toChat)
        const steps = withinRoom(plan(queued.slice(), candidates.map((c) => ({ ...c }))), queued, candidates)
        const chosen = new Map(steps.map((s) => [s.chatId, s.agentId]))
        // A chat that changed since it was read (the customer left, another instance's agent took it) is not among these.
        const given = (await store.assignMany(trx, steps, at)).map(store.toChat)
          .filter((c) => c.status === ChatStatus.active && c.agentId === chosen.get(c.id) && c.assignedAt === at)
        if (given.length === 0) return { given, joined: [] as Message[], seen: queued.length }
        const actors = new Map(given.map((c) => [c.id, agentActor({ id: c.agentId!, name: named.get(c.agentId!) ?? 'An agent' })]))
        const joined = await core.appendMany(trx, given.map((c) => ({ chatId: c.id, seq: c.lastSeq, author: actors.get(c.id)!, kind: 'event' as const, body: eventTexts.joined(actors.get(c.id)!.name) })))
        const before = new Map(queued.map((c) => [c.id, c]))
        await core.assignedMany(trx, given.map((c) => {
          const was = before.get(c.id)!
          return { chat: c, actor: actors.get(c.id)!, data: was.transferredAt ? { transferredBy: was.transferredBy } : undefined }
        }))
        await routing.markAssigned(trx, [...new Set(given.map((c) => c.agentId!))])
        return { given, joined, seen: queued.length }
      }, freshReads(db))
      // After the commit, per chat what assignChat publishes; issued at once, they still go out in this order (on Redis
      // in one write).
      await Promise.all(done.given.flatMap((chat, i) => {
        const message = done.joined[i]!
        const agentId = chat.agentId!
        return [
          bus.publish({ type: 'chat.message', chatId: chat.id, message }),
          bus.publish({ type: 'chat.updated', chat }),
          bus.publish({ type: 'agent.chats', agentId, chatId: chat.id, fromSeq: message.seq }),
          bus.publish({ type: 'queue.changed', groupId: chat.groupId, chatId: chat.id }),
          bus.publish({ type: 'agent.alert', reason: 'assigned', chatId: chat.id, agentId, text: `Chat from ${chat.customerName} assigned to you` })
        ]
      }))
      return { given: done.given, seen: done.seen }
    }
  }
}
