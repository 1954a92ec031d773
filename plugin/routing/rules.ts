import type { Candidate, Group, Membership } from './store.ts'

/**
 * The routing rules that need no database, each written once: the console, the admin
 * pages and instant messages judge "here" and "how many chats" by these, as routing does.
 */

/** The limit of an agent who belongs to no group yet (a fresh install, a supervisor). */
export const defaultChatLimit = 4

/**
 * The heartbeatTimeoutSeconds setting's rule: heartbeats after this time are fresh. An
 * agent counts as here only while an open console keeps their heartbeat fresh.
 */
export function freshSince (now: number, timeoutSeconds: number): number {
  return now - timeoutSeconds * 1000
}

/** Whether a heartbeat is fresh now (freshSince); never for an agent who has sent none. */
export function isFresh (heartbeatAt: number | null, now: number, timeoutSeconds: number): boolean {
  return heartbeatAt !== null && heartbeatAt > freshSince(now, timeoutSeconds)
}

/**
 * How often an open console renews its agent's heartbeat: a third of the timeout, at least
 * every 3 s. The heartbeat is renewed twice before it could go stale, and a console gone
 * without a close (its socket cut off after a missed ping) stops renewing it within two.
 */
export function heartbeatEveryMs (timeoutSeconds: number): number {
  return Math.max(3, Math.floor(timeoutSeconds / 3)) * 1000
}

/** An agent's limit in one group: their own, else the group's default. */
export function limitIn (member: Pick<Membership, 'maxChats'>, group: Pick<Group, 'defaultMaxChats'>): number {
  return member.maxChats ?? group.defaultMaxChats
}

/** An agent's limit: the highest of their limits in the enabled groups they belong to, else defaultChatLimit. */
export function agentLimit (memberships: Membership[], groups: Map<number, Pick<Group, 'enabled' | 'defaultMaxChats'>>): number {
  const limits = memberships.flatMap((m) => {
    const group = groups.get(m.groupId)
    return group?.enabled ? [limitIn(m, group)] : []
  })
  return limits.length > 0 ? Math.max(...limits) : defaultChatLimit
}

/**
 * Round robin's order (docs/features.md, distribution methods): lowest share of capacity
 * in use (compared without floating point), then fewest active chats, then the earliest
 * "last chat ended", then the earliest last assignment, then agent id so the order is total.
 */
export function byLoad (a: Candidate, b: Candidate): number {
  return (a.active * b.capacity - b.active * a.capacity) ||
    (a.active - b.active) ||
    ((a.lastChatEndedAt ?? 0) - (b.lastChatEndedAt ?? 0)) ||
    ((a.lastAssignedAt ?? 0) - (b.lastAssignedAt ?? 0)) ||
    (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0)
}

/** A queued chat as round robin plans it: who sent it away (never back to them) and who let it go unanswered. */
export interface Waiting { id: number, transferredBy: string | null, reofferedFrom?: string | null }

/**
 * Round robin's plan for a batch (docs/features.md#round-robin): the oldest chat to the best
 * agent by byLoad, their load counted up as it goes, until chats or room run out. A
 * transferred chat never goes back to the agent who sent it away. A re-offered one goes to the
 * next agent: back to the one who let it go unanswered only when nobody else can take it now
 * (docs/features.md#re-offer), as the customer is better served by them than by nobody.
 * `ranked` is consumed (loads raised, the full taken out).
 */
export function planRoundRobin (queued: readonly Waiting[], ranked: Candidate[], now: number): Array<{ chatId: number, agentId: string }> {
  const plan: Array<{ chatId: number, agentId: string }> = []
  ranked.sort(byLoad)
  for (const chat of queued) {
    if (ranked.length === 0) break
    const at = bestFor(ranked, chat)
    if (at < 0) continue
    const best = ranked[at]!
    plan.push({ chatId: chat.id, agentId: best.agentId })
    best.active++
    best.lastAssignedAt = now
    // Only the chosen agent's place changes, further down: the rest stay sorted (a sort per chat cost more than the batch's statements).
    ranked.splice(at, 1)
    if (best.active < best.capacity) {
      // Binary search: a burst moves the chosen agent past all the others each time.
      let lo = at
      let hi = ranked.length
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (byLoad(ranked[mid]!, best) < 0) lo = mid + 1
        else hi = mid
      }
      ranked.splice(lo, 0, best)
    }
  }
  return plan
}

/** Where in `ranked` the chat's agent is: the first not the one who sent it away, and not the one who let it go unanswered unless nobody else is left; -1 for none. */
function bestFor (ranked: readonly Candidate[], chat: Waiting): number {
  let fallback = -1
  for (let i = 0; i < ranked.length; i++) {
    const c = ranked[i]!
    if (c.agentId === chat.transferredBy) continue
    if (c.agentId !== chat.reofferedFrom) return i
    if (fallback < 0) fallback = i
  }
  return fallback
}
