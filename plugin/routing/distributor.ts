import type { ChatChange, ChatService } from '../chats/service.ts'
import type { Settings } from '../settings.ts'
import type { Bus } from '../realtime/bus-events.ts'
import { byLoad } from './rules.ts'
import type { RoutingService } from './service.ts'

export interface DistributorDeps {
  chats: ChatService
  routing: RoutingService
  bus: Bus
  log: { error: (obj: object, msg: string) => void }
  /** reofferSeconds: an auto-assigned chat unanswered this long goes back to distribution. */
  settings: Pick<Settings, 'reofferSeconds'>
  clock?: () => number
}

export type Distributor = ReturnType<typeof createDistributor>

/**
 * Round robin and the queue drain (docs/design.md §5). Drains run when capacity may have
 * appeared: a chat queued, ended or transferred away, an agent available or raising N.
 * In one instance a group's drains run one at a time (a request during a run makes it go
 * round again); between instances the capacity lock and the conditional UPDATE decide,
 * so racing drains never give a chat twice or an agent too many.
 */
export function createDistributor ({ chats, routing, bus, log, settings, clock = Date.now }: DistributorDeps) {
  const { reofferSeconds } = settings
  const running = new Map<number, { again: boolean, done: Promise<void> }>()
  /** Assignments carried out at once in a drain; well under the connection pool's size. */
  const parallel = 6

  /**
   * Hands out a round-robin group's queued chats, oldest first, until chats or capacity
   * run out. Each batch is planned in memory (oldest chat to the best agent, loads updated
   * as it goes), then carried out in waves of distinct agents, several transactions at a
   * time: each locks only its own agent's presence row, so they never wait on each other.
   * A planned agent who filled up meanwhile (another instance) leaves the chat for the
   * next batch, which re-reads the loads.
   */
  async function drainOnce (groupId: number): Promise<number> {
    let given = 0
    for (;;) {
      const queued = await chats.nextQueued(groupId, 50)
      if (queued.length === 0) return given
      const ranked = await routing.rank(groupId)
      const plan: Array<{ chatId: number, agentId: string }> = []
      for (const chat of queued) {
        if (ranked.length === 0) break
        // A transferred chat never goes back to the agent who sent it away.
        const best = ranked.find((c) => c.agentId !== chat.transferredBy)
        if (!best) continue
        plan.push({ chatId: chat.id, agentId: best.agentId })
        best.active++
        best.lastAssignedAt = clock()
        if (best.active >= best.capacity) ranked.splice(ranked.indexOf(best), 1)
        ranked.sort(byLoad)
      }
      if (plan.length === 0) return given
      let progressed = false
      let rest = plan
      while (rest.length > 0) {
        const wave: typeof plan = []
        const later: typeof plan = []
        const inWave = new Set<string>()
        for (const step of rest) {
          if (wave.length < parallel && !inWave.has(step.agentId)) { inWave.add(step.agentId); wave.push(step) } else later.push(step)
        }
        for (const outcome of await Promise.all(wave.map(async (step) => await chats.assignChat(step.chatId, step.agentId)))) {
          if (outcome === 'assigned') given++
          if (outcome !== 'full') progressed = true
        }
        rest = later
        // better-sqlite3 never yields: without this a long drain would hold up sockets and timers.
        await new Promise((resolve) => setImmediate(resolve))
      }
      if (!progressed) return given
    }
  }

  async function drain (groupId: number): Promise<void> {
    const group = await routing.group(groupId).catch(() => undefined)
    if (!group || !group.enabled || group.distribution !== 'round_robin') return
    const current = running.get(groupId)
    if (current) { current.again = true; return await current.done }
    const state = { again: true, done: Promise.resolve() }
    running.set(groupId, state)
    state.done = (async () => {
      try {
        while (state.again) {
          state.again = false
          await drainOnce(groupId)
        }
      } finally {
        running.delete(groupId)
      }
    })()
    return await state.done
  }

  /** Group + auto-assign: the best available agent of the group (not the one transferring it) gets the chat now, whatever the group's method. */
  async function autoAssign (chatId: number, groupId: number, notTo?: string): Promise<boolean> {
    for (const candidate of await routing.rank(groupId)) {
      if (candidate.agentId === notTo) continue
      const outcome = await chats.assignChat(chatId, candidate.agentId)
      if (outcome === 'assigned') return true
      if (outcome === 'gone') return false
    }
    return false
  }

  async function drainFor (agentId: string, also?: number | null): Promise<void> {
    const groups = new Set((await routing.agentGroups(agentId)).activeIn)
    if (also !== undefined && also !== null) groups.add(also)
    for (const g of groups) await drain(g)
  }

  async function guarded (what: string, work: () => Promise<void>): Promise<void> {
    try {
      await work()
    } catch (err) {
      // The change that triggered this is committed; a failed drain is retried by the next one.
      log.error({ err }, `live chat ${what} failed`)
    }
  }

  chats.onChange(async (change: ChatChange) => {
    await guarded('distribution', async () => {
      if (change.kind === 'queued' && change.chat.groupId !== null) {
        if (change.auto && await autoAssign(change.chat.id, change.chat.groupId, change.notTo)) return
        await drain(change.chat.groupId)
      }
      if (change.kind === 'freed') await drainFor(change.agentId, change.chat.groupId)
    })
  })

  routing.onPresence(async ({ agentId, raised }) => {
    if (raised) await guarded('distribution', async () => { await drainFor(agentId) })
  })

  return {
    drain,
    autoAssign,

    /**
     * The re-offer job: unanswered auto-assigned chats go back to distribution and their
     * agents are marked unavailable with a notice saying why. Returns the chats moved.
     */
    async reoffer (): Promise<number> {
      // Their agents were marked unavailable in the same transactions that moved the chats.
      const moved = await chats.reofferUnanswered(reofferSeconds * 1000)
      for (const agentId of new Set(moved.map((m) => m.agentId))) {
        const n = moved.filter((m) => m.agentId === agentId).length
        await bus.publish({
          type: 'agent.notice',
          agentId,
          level: 'warning',
          text: `${n === 1 ? 'A chat' : `${n} chats`} assigned to you went unanswered for ${reofferSeconds} seconds and went to another agent; you are now unavailable. Switch Available back on when you are ready.`
        })
      }
      for (const groupId of new Set(moved.map((m) => m.chat.groupId))) {
        if (groupId !== null) await guarded('distribution', async () => { await drain(groupId) })
      }
      return moved.length
    }
  }
}
