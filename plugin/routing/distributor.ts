import type { ChatChange, ChatService } from '../chats/service.ts'
import { type Settings, settingsSchema } from '../settings.ts'
import type { Bus } from '../realtime/bus-events.ts'
import { byLoad } from './rules.ts'
import type { MissedOffer, RoutingService } from './service.ts'

export interface DistributorDeps {
  chats: ChatService
  routing: RoutingService
  bus: Bus
  log: { error: (obj: object, msg: string) => void }
  /**
   * reofferSeconds: an auto-assigned chat unanswered this long goes back to distribution;
   * reofferMissesBeforeUnavailable: that many in a row make its agent unavailable (its
   * documented default when a caller building the distributor by hand leaves it out).
   */
  settings: Pick<Settings, 'reofferSeconds'> & Partial<Pick<Settings, 'reofferMissesBeforeUnavailable'>>
  clock?: () => number
}

/**
 * What an agent is told when chats given to them went unanswered (docs/features.md#re-offer):
 * how many, where they went, and how far they are from being made unavailable, or that they
 * now are and why. `missed` is the last of their misses in this run.
 */
function missedOfferNotice (chats: number, seconds: number, missed: MissedOffer, limit: number): string {
  const what = `${chats === 1 ? 'A chat' : `${chats} chats`} assigned to you went unanswered for ${seconds} seconds and went back to the queue for the next available agent`
  if (missed.madeUnavailable) return `${what}. That is ${missed.missed} missed in a row, so you are now unavailable; switch Available back on when you are ready.`
  // Already unavailable (not counted), or never switched off (limit 0): nothing to count down to.
  if (!missed.counted || limit === 0) return `${what}.`
  return `${what} (${missed.missed} of ${limit} missed in a row; after ${limit} you will be made unavailable). Answering a chat given to you starts the count again.`
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
        // A transferred chat never goes back to the agent who sent it away. A re-offered one
        // goes to the next agent: back to the one who let it go unanswered only when nobody
        // else in the group can take it now (docs/features.md#re-offer), as the customer is
        // better served by them than by nobody.
        const allowed = ranked.filter((c) => c.agentId !== chat.transferredBy)
        const best = allowed.find((c) => c.agentId !== chat.reofferedFrom) ?? allowed[0]
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
     * The re-offer job: unanswered auto-assigned chats go back to distribution, on to the
     * next agent; each is a missed offer of its agent, who is told so, and made unavailable
     * only at reofferMissesBeforeUnavailable in a row (docs/features.md#re-offer). Returns
     * the chats moved.
     */
    async reoffer (): Promise<number> {
      // Read at each run: the settings screen may have changed them since the last.
      const { reofferSeconds } = settings
      const missesBeforeUnavailable = settings.reofferMissesBeforeUnavailable ?? settingsSchema.properties.reofferMissesBeforeUnavailable.default
      // The misses were counted (and agents switched off) in the transactions that moved the chats.
      const moved = await chats.reofferUnanswered(reofferSeconds * 1000, missesBeforeUnavailable)
      for (const agentId of new Set(moved.map((m) => m.agentId))) {
        const theirs = moved.filter((m) => m.agentId === agentId)
        const last = theirs.at(-1)!.missed
        const missed = { ...last, madeUnavailable: theirs.some((m) => m.missed.madeUnavailable) }
        await bus.publish({ type: 'agent.notice', agentId, level: 'warning', text: missedOfferNotice(theirs.length, reofferSeconds, missed, missesBeforeUnavailable) })
      }
      for (const groupId of new Set(moved.map((m) => m.chat.groupId))) {
        if (groupId !== null) await guarded('distribution', async () => { await drain(groupId) })
      }
      return moved.length
    }
  }
}
