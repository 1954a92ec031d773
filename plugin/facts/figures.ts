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

export interface AgentFigures {
  agentId: string
  chats: number
  answered: number
  medianFirstResponse: number | null
  medianHandle: number | null
  /** Concurrent load: the chats the agent had open as they got each of these chats, on average (two decimals) and at most; null with none. */
  averageLoad: number | null
  peakLoad: number | null
}
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

interface AgentTally { chats: number, answered: number, first: Durations, handle: Durations, loads: number, loadSum: number, loadPeak: number }

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

/** The average rating to two decimals; null with no ratings. */
export const satisfactionAverage = (count: number, sum: number): number | null => count === 0 ? null : Math.round(100 * sum / count) / 100

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
  const tally = createTally(period)
  for (const f of facts) tally.fact(f)
  return tally.result()
}

/**
 * The figures of a period, gathered from fact rows (each chat on its own) and from rollup rows
 * (a UTC day's chats of one group and agent, summed): one count of each figure, whichever way a
 * chat arrives. Durations from facts alone stay exact; once a rollup joins, they go into its
 * buckets too, and the median and 90th percentile are read from the buckets (docs/reports.md#speed).
 */
export function createTally (period: { from: number, to: number, timeZone: string }): { fact: (f: FactColumns) => void, rollup: (r: Rollup) => void, result: () => Figures } {
  const byHour = new Array<number>(24).fill(0)
  const days = new Map(datesOf(period.from, period.to, period.timeZone).map((date) => [date, { date, started: 0, answered: 0 }]))
  const agents = new Map<string, AgentTally>()
  const groups = new Map<number | null, GroupFigures>()
  const first = durations()
  const wait = durations()
  const handle = durations()
  const distribution: [number, number, number, number, number] = [0, 0, 0, 0, 0]
  let started = 0
  let answered = 0
  let missed = 0
  let abandoned = 0
  let transfers = 0
  let transferredChats = 0
  const local = localClock(period.timeZone)
  const groupOf = (id: number | null): GroupFigures => {
    const g = groups.get(id) ?? { groupId: id, started: 0, answered: 0, missed: 0, abandoned: 0 }
    groups.set(id, g)
    return g
  }
  const agentOf = (id: string | null): AgentTally | undefined => {
    if (id === null) return undefined
    const a = agents.get(id) ?? { chats: 0, answered: 0, first: durations(), handle: durations(), loads: 0, loadSum: 0, loadPeak: 0 }
    agents.set(id, a)
    return a
  }
  return {
    fact (f) {
      started++
      const wall = local(f.created_at)
      byHour[wall.hour]!++
      const day = days.get(wall.date)
      if (day) day.started++
      const g = groupOf(f.group_id)
      g.started++
      const a = agentOf(f.agent_id)
      if (a) {
        a.chats++
        if (f.agent_load !== null) { a.loads++; a.loadSum += f.agent_load; if (f.agent_load > a.loadPeak) a.loadPeak = f.agent_load }
      }
      if (isAnswered(f)) {
        answered++; g.answered++
        if (day) day.answered++
        first.add(f.first_response_at! - f.created_at)
        if (a) { a.answered++; a.first.add(f.first_response_at! - f.created_at) }
      } else if (isAbandoned(f)) {
        abandoned++; g.abandoned++
      } else if (isMissed(f)) {
        missed++; g.missed++
      }
      if (f.first_assigned_at !== null) {
        wait.add(f.first_assigned_at - f.created_at)
        if (f.ended_at !== null) {
          handle.add(f.ended_at - f.first_assigned_at)
          a?.handle.add(f.ended_at - f.first_assigned_at)
        }
      }
      transfers += f.transfers
      if (f.transfers > 0) transferredChats++
      if (f.rating !== null && f.rating >= 1 && f.rating <= 5) distribution[f.rating - 1]!++
    },
    rollup (r) {
      started += r.started; answered += r.answered; missed += r.missed; abandoned += r.abandoned
      transfers += r.transfers; transferredChats += r.transferred
      for (let i = 0; i < 5; i++) distribution[i]! += r.ratings[i]!
      // A whole-hour zone (the caller's condition) puts every instant of a UTC hour in one local hour.
      for (let h = 0; h < 24; h++) {
        if (r.startedHours[h] === 0) continue
        const wall = local(r.dayAt + h * 3_600_000)
        byHour[wall.hour]! += r.startedHours[h]!
        const day = days.get(wall.date)
        if (day) { day.started += r.startedHours[h]!; day.answered += r.answeredHours[h]! }
      }
      const g = groupOf(r.groupId)
      g.started += r.started; g.answered += r.answered; g.missed += r.missed; g.abandoned += r.abandoned
      first.merge(r.firstResponse); wait.merge(r.wait); handle.merge(r.handle)
      const a = agentOf(r.agentId)
      if (a) {
        a.chats += r.started; a.answered += r.answered; a.first.merge(r.firstResponse); a.handle.merge(r.handle)
        a.loads += r.loadCount; a.loadSum += r.loadSum; if (r.loadPeak > a.loadPeak) a.loadPeak = r.loadPeak
      }
    },
    result () {
      const rated = distribution.reduce((n, x) => n + x, 0)
      return {
        started,
        answered,
        missed,
        abandoned,
        transfers,
        transferredChats,
        firstResponse: first.spread(),
        wait: wait.spread(),
        handle: handle.spread(),
        satisfaction: { count: rated, average: satisfactionAverage(rated, distribution.reduce((n, x, i) => n + x * (i + 1), 0)), distribution },
        byHour,
        byDay: [...days.values()],
        agents: [...agents].map(([agentId, x]) => ({
          agentId,
          chats: x.chats,
          answered: x.answered,
          medianFirstResponse: x.first.spread().median,
          medianHandle: x.handle.spread().median,
          averageLoad: x.loads === 0 ? null : Math.round(100 * x.loadSum / x.loads) / 100,
          peakLoad: x.loads === 0 ? null : x.loadPeak
        })).sort((p, q) => q.chats - p.chats || p.agentId.localeCompare(q.agentId)),
        groups: [...groups.values()].sort((p, q) => (p.groupId ?? 0) - (q.groupId ?? 0))
      }
    }
  }
}

/*
 * Durations in buckets, for the rollups: each bucket is 5% wide (a value v in ms goes to
 * 1 + floor(ln v / ln 1.05); 0 for v < 1) and keeps its count, smallest and largest value. A
 * value read from a bucket is exact when it is the bucket's first or last by rank (the smallest
 * or largest) or the bucket holds one value; otherwise it is placed evenly between the two,
 * within 5% of the truth.
 */

/** Buckets in bucket order, flat: bucket, count, smallest, largest, then the next bucket's four. */
export type Buckets = number[]

const bucketBase = Math.log(1.05)
export const bucketOf = (v: number): number => v < 1 ? 0 : 1 + Math.floor(Math.log(v) / bucketBase)

/** Values into buckets. */
export function bucketsOf (values: readonly number[]): Buckets {
  const out = new Map<number, [number, number, number]>()
  for (const v of values) {
    const b = bucketOf(v)
    const x = out.get(b)
    if (x) { x[0]++; if (v < x[1]) x[1] = v; if (v > x[2]) x[2] = v } else out.set(b, [1, v, v])
  }
  return [...out].sort((p, q) => p[0] - q[0]).flatMap(([b, x]) => [b, ...x])
}

/** The value of rank r (1-based) in buckets sorted by bucket, each [count, smallest, largest]. */
function valueAt (buckets: ReadonlyArray<readonly [number, number, number]>, r: number): number {
  let seen = 0
  for (const [count, min, max] of buckets) {
    if (r <= seen + count) {
      const k = r - seen
      if (k === count) return max
      if (k === 1) return min
      return Math.round(min + (max - min) * (k - 1) / (count - 1))
    }
    seen += count
  }
  return buckets[buckets.length - 1]![2]
}

interface Durations { add: (v: number) => void, merge: (b: Readonly<Buckets>) => void, spread: () => Spread }

/** Exact values until a rollup's buckets join; then every value is bucketed. */
function durations (): Durations {
  const exact: number[] = []
  let buckets: Map<number, [number, number, number]> | null = null
  const put = (b: number, count: number, min: number, max: number): void => {
    const x = buckets!.get(b)
    if (!x) buckets!.set(b, [count, min, max])
    else { x[0] += count; if (min < x[1]) x[1] = min; if (max > x[2]) x[2] = max }
  }
  return {
    add (v) { if (buckets === null) exact.push(v); else put(bucketOf(v), 1, v, v) },
    merge (bs) {
      if (bs.length === 0) return
      if (buckets === null) {
        buckets = new Map()
        for (const v of exact) put(bucketOf(v), 1, v, v)
        exact.length = 0
      }
      for (let i = 0; i < bs.length; i += 4) put(bs[i]!, bs[i + 1]!, bs[i + 2]!, bs[i + 3]!)
    },
    spread () {
      if (buckets === null) return spread(exact)
      const sorted = [...buckets].sort((p, q) => p[0] - q[0]).map(([, x]) => x)
      const n = sorted.reduce((s, b) => s + b[0], 0)
      if (n === 0) return { count: 0, median: null, p90: null }
      const median = n % 2 === 1 ? valueAt(sorted, (n + 1) / 2) : (valueAt(sorted, n / 2) + valueAt(sorted, n / 2 + 1)) / 2
      return { count: n, median, p90: valueAt(sorted, Math.max(1, Math.ceil(0.9 * n))) }
    }
  }
}

/** A rollup row as the figures read it: the chats started on one UTC day in one group with one agent (docs/reports.md#speed). */
export interface Rollup {
  dayAt: number
  groupId: number | null
  agentId: string | null
  started: number
  answered: number
  missed: number
  abandoned: number
  transfers: number
  transferred: number
  /** How many rated 1, 2, 3, 4 and 5. */
  ratings: number[]
  /** Chats started, and of them answered, in each UTC hour (0–23) of the day. */
  startedHours: number[]
  answeredHours: number[]
  firstResponse: Buckets
  wait: Buckets
  handle: Buckets
  /** The chats with a concurrent load (agent_load), its sum and its largest (0: none). */
  loadCount: number
  loadSum: number
  loadPeak: number
}

/** The rollups of one UTC day's facts: one per group and agent, by the same definitions as every figure. */
export function rollupsOf (dayAt: number, facts: readonly FactColumns[]): Rollup[] {
  const keyed = new Map<string, FactColumns[]>()
  for (const f of facts) {
    const key = `${f.group_id ?? ''}|${f.agent_id ?? ''}`
    const list = keyed.get(key)
    if (list) list.push(f); else keyed.set(key, [f])
  }
  return [...keyed.values()].map((list) => {
    const r: Rollup = {
      dayAt,
      groupId: list[0]!.group_id,
      agentId: list[0]!.agent_id,
      started: list.length,
      answered: 0,
      missed: 0,
      abandoned: 0,
      transfers: 0,
      transferred: 0,
      ratings: [0, 0, 0, 0, 0],
      startedHours: new Array<number>(24).fill(0),
      answeredHours: new Array<number>(24).fill(0),
      firstResponse: [],
      wait: [],
      handle: [],
      loadCount: 0,
      loadSum: 0,
      loadPeak: 0
    }
    const first: number[] = []
    const wait: number[] = []
    const handle: number[] = []
    for (const f of list) {
      const h = Math.floor((f.created_at - dayAt) / 3_600_000)
      r.startedHours[h]!++
      if (isAnswered(f)) { r.answered++; r.answeredHours[h]!++; first.push(f.first_response_at! - f.created_at) } else if (isAbandoned(f)) r.abandoned++
      else if (isMissed(f)) r.missed++
      if (f.first_assigned_at !== null) {
        wait.push(f.first_assigned_at - f.created_at)
        if (f.ended_at !== null) handle.push(f.ended_at - f.first_assigned_at)
      }
      r.transfers += f.transfers
      if (f.transfers > 0) r.transferred++
      if (f.rating !== null && f.rating >= 1 && f.rating <= 5) r.ratings[f.rating - 1]!++
      if (f.agent_load !== null) { r.loadCount++; r.loadSum += f.agent_load; if (f.agent_load > r.loadPeak) r.loadPeak = f.agent_load }
    }
    r.firstResponse = bucketsOf(first)
    r.wait = bucketsOf(wait)
    r.handle = bucketsOf(handle)
    return r
  })
}

/** Whether every local hour of [from, to) in `timeZone` is a whole UTC hour (offsets of whole hours), as rollups need. */
export function wholeHourZone (timeZone: string, from: number, to: number): boolean {
  for (let at = Math.floor(from / dayMs) * dayMs; at < to + dayMs; at += dayMs / 2) {
    if (wallClock(at, timeZone).minute % 60 !== 0) return false
  }
  return true
}
