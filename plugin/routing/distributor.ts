import type { ChatChange, ChatService } from '../chats/service.ts'
import { type Settings, settingsSchema } from '../settings.ts'
import type { Bus } from '../realtime/bus-events.ts'
import { planRoundRobin } from './rules.ts'
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
  /** Chats a batch reads and may give (chats.assignQueued): one transaction for up to this many. */
  const batchSize = 50

  /**
   * Hands out a round-robin group's queued chats, oldest first, until chats or room run out,
   * a batch at a time: who has room is read first without locks (rank), then one transaction
   * locks those agents' presence rows, reads their loads and the queue again under the locks,
   * plans (planRoundRobin) and gives the whole batch. Another instance's batch on the same
   * agents waits for the locks and then sees what this one gave, so the two never pick the
   * same chat or fill an agent twice, and neither redoes the other's work.
   */
  async function drainOnce (groupId: number): Promise<number> {
    let given = 0
    for (;;) {
      // Most drains (a chat ended, an agent's switch) find nobody waiting: one read, no locks.
      if ((await chats.nextQueued(groupId, 1)).length === 0) return given
      const ranked = await routing.rank(groupId)
      if (ranked.length === 0) return given
      const batch = await chats.assignQueued(groupId, ranked.map((c) => c.agentId), (queued, candidates) => planRoundRobin(queued, candidates, clock()), batchSize)
      given += batch.given.length
      // better-sqlite3 never yields: without this a long drain would hold up sockets and timers.
      await new Promise((resolve) => setImmediate(resolve))
      // Nothing given: what waits has nobody with room. Fewer than a batch seen: the queue is done (a chat queued
      // since then makes its own drain, or this one go round again).
      if (batch.given.length === 0 || batch.seen < batchSize) return given
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
