import { wallClock } from '../routing/hours.ts'
import type { FactColumns } from './store.ts'

/*
 * The definitions of docs/reports.md, each written once, here: every screen, export and API
 * answer is computed by these functions from lc_chat_facts rows, so a figure means the same
 * wherever it is read. The tests (test/facts/figures.test.ts) check each on a built history.
 */

/** The History actions that close a chat (docs/design.md §4). */
export const closingActions = ['ended', 'idle_ended', 'abandoned', 'cancelled', 'queue_timed_out'] as const

const dayMs = 86_400_000

/** Median and 90th percentile of some durations in ms; null where there are none. */
export interface Spread { count: number, median: number | null, p90: number | null }

export interface AgentFigures { agentId: string, chats: number, answered: number, medianFirstResponse: number | null, medianHandle: number | null }
export interface GroupFigures { groupId: number | null, started: number, answered: number, missed: number, abandoned: number }

export interface Figures {
  started: number
  answered: number
  missed: number
  abandoned: number
  /** Transfers of the period's chats, each transfer once; and how many chats were transferred at least once. */
  transfers: number
  transferredChats: number
  firstResponse: Spread
  wait: Spread
  handle: Spread
  satisfaction: { count: number, average: number | null, distribution: [number, number, number, number, number] }
  /** Chats started by hour of the day (0–23) in the desk's time zone. */
  byHour: number[]
  /** Chats started and answered on each local date of the period, in order. */
  byDay: Array<{ date: string, started: number, answered: number }>
  agents: AgentFigures[]
  groups: GroupFigures[]
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median (sorted: readonly number[]): number | null {
  const n = sorted.length
  if (n === 0) return null
  return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2
}

/** The nearest-rank percentile: the smallest value with at least p of the values at or below it. */
export function percentile (sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!
}

function spread (values: number[]): Spread {
  const sorted = values.sort((a, b) => a - b)
  return { count: sorted.length, median: median(sorted), p90: percentile(sorted, 0.9) }
}

/** Answered: an agent sent a reply (text, file or article). */
export const isAnswered = (f: FactColumns): boolean => f.first_response_at !== null
/** Abandoned: the customer left the queue (cancelled) before any agent reply. */
export const isAbandoned = (f: FactColumns): boolean => f.first_response_at === null && f.outcome === 'cancelled'
/** Missed: closed any other way without an agent reply (the queue timed out, or it was ended or abandoned unanswered). */
export const isMissed = (f: FactColumns): boolean => f.first_response_at === null && f.outcome !== null && f.outcome !== 'cancelled'

/** The local dates from `from` to just before `to`, in `timeZone`. */
export function datesOf (from: number, to: number, timeZone: string): string[] {
  const out: string[] = []
  const local = localClock(timeZone)
  for (let at = from; at < to; at += 3_600_000) {
    const d = local(at).date
    if (out[out.length - 1] !== d) out.push(d)
  }
  return out
}

/**
 * The local date and hour of an instant, fast: the zone's offset is read (by Intl) at the start
 * and end of each UTC day; where the two agree, the whole day has that offset (clocks change
 * at most once a day), and only on the day of a change is each instant read on its own. A
 * period of a month then costs some sixty Intl calls instead of one per chat.
 */
export function localClock (timeZone: string): (at: number) => { date: string, hour: number } {
  const offsets = new Map<number, number | null>()
  const dates = new Map<number, string>()
  const offsetOf = (t: number): number => {
    const w = wallClock(t, timeZone)
    return Date.parse(`${w.date}T00:00:00Z`) + w.minute * 60_000 - Math.floor(t / 60_000) * 60_000
  }
  return (at) => {
    const day = Math.floor(at / dayMs)
    let off = offsets.get(day)
    if (off === undefined) {
      const first = offsetOf(day * dayMs)
      off = first === offsetOf(day * dayMs + dayMs - 1) ? first : null
      offsets.set(day, off)
    }
    const local = at + (off ?? offsetOf(at))
    const localDay = Math.floor(local / dayMs)
    let date = dates.get(localDay)
    if (date === undefined) {
      date = new Date(localDay * dayMs).toISOString().slice(0, 10)
      dates.set(localDay, date)
    }
    return { date, hour: Math.floor((local - localDay * dayMs) / 3_600_000) }
  }
}

/** Every figure of docs/reports.md for the facts of one period (already narrowed by scope and filters). */
export function figuresOf (facts: readonly FactColumns[], period: { from: number, to: number, timeZone: string }): Figures {
  const byHour = new Array<number>(24).fill(0)
  const days = new Map(datesOf(period.from, period.to, period.timeZone).map((date) => [date, { date, started: 0, answered: 0 }]))
  const agents = new Map<string, { chats: number, answered: number, first: number[], handle: number[] }>()
  const groups = new Map<number | null, GroupFigures>()
  const first: number[] = []
  const wait: number[] = []
  const handle: number[] = []
  const distribution: [number, number, number, number, number] = [0, 0, 0, 0, 0]
  let answered = 0
  let missed = 0
  let abandoned = 0
  let transfers = 0
  let transferredChats = 0
  let ratingSum = 0
  let rated = 0
  const local = localClock(period.timeZone)
  for (const f of facts) {
    const wall = local(f.created_at)
    byHour[wall.hour]!++
    const day = days.get(wall.date)
    if (day) day.started++
    const g = groups.get(f.group_id) ?? { groupId: f.group_id, started: 0, answered: 0, missed: 0, abandoned: 0 }
    groups.set(f.group_id, g)
    g.started++
    const a = f.agent_id === null ? undefined : agents.get(f.agent_id) ?? { chats: 0, answered: 0, first: [], handle: [] }
    if (a && f.agent_id !== null) { agents.set(f.agent_id, a); a.chats++ }
    if (isAnswered(f)) {
      answered++; g.answered++
      if (day) day.answered++
      first.push(f.first_response_at! - f.created_at)
      if (a) { a.answered++; a.first.push(f.first_response_at! - f.created_at) }
    } else if (isAbandoned(f)) {
      abandoned++; g.abandoned++
    } else if (isMissed(f)) {
      missed++; g.missed++
    }
    if (f.first_assigned_at !== null) {
      wait.push(f.first_assigned_at - f.created_at)
      if (f.ended_at !== null) {
        handle.push(f.ended_at - f.first_assigned_at)
        a?.handle.push(f.ended_at - f.first_assigned_at)
      }
    }
    transfers += f.transfers
    if (f.transfers > 0) transferredChats++
    if (f.rating !== null && f.rating >= 1 && f.rating <= 5) { rated++; ratingSum += f.rating; distribution[f.rating - 1]!++ }
  }
  return {
    started: facts.length,
    answered,
    missed,
    abandoned,
    transfers,
    transferredChats,
    firstResponse: spread(first),
    wait: spread(wait),
    handle: spread(handle),
    satisfaction: { count: rated, average: rated === 0 ? null : Math.round(100 * ratingSum / rated) / 100, distribution },
    byHour,
    byDay: [...days.values()],
    agents: [...agents].map(([agentId, x]) => ({
      agentId,
      chats: x.chats,
      answered: x.answered,
      medianFirstResponse: median(x.first.sort((p, q) => p - q)),
      medianHandle: median(x.handle.sort((p, q) => p - q))
    })).sort((p, q) => q.chats - p.chats || p.agentId.localeCompare(q.agentId)),
    groups: [...groups.values()].sort((p, q) => (p.groupId ?? 0) - (q.groupId ?? 0))
  }
}
