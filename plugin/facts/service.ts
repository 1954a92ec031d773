import type { Knex } from 'knex'
import { closingActions, createTally, type Figures, figuresOf, type GroupFigures, median, satisfactionAverage, wholeHourZone } from './figures.ts'
import { dayMs, dayOf, foldRollups } from './rollups.ts'
import * as store from './store.ts'
import type { FactFilter } from './store.ts'

export type { Figures, Spread, AgentFigures, GroupFigures } from './figures.ts'
export type { FactFilter, OpenFact } from './store.ts'

/** A period's counts as the database sums them, without its rows (the wallboard's day). */
export interface Counts {
  groups: GroupFigures[]
  /** The median time to first response, exact (docs/reports.md#definitions). */
  firstResponseMedian: number | null
  satisfaction: { count: number, average: number | null }
}

/** A chat's change as the facts need it: the History action and the chat as the change leaves it. */
export interface FactChange {
  chatId: number
  action: string
  at: number
  groupId: number | null
  agentId: string | null
  createdAt: number
}

/**
 * The per-chat facts the reports and the wallboard read (docs/reports.md). The chat service
 * records each change inside the transaction of the change itself (as it records its History
 * row), so a chat can never be counted differently from what happened to it.
 */
export interface FactService {
  /** Inside `trx`: what a History action moves (start, assignment, transfer, close). */
  record (trx: Knex.Transaction, change: FactChange): Promise<void>
  /** Inside `trx`: chats started together (action 'started' of each), in one statement. */
  startedMany (trx: Knex.Transaction, chats: ReadonlyArray<{ chatId: number, groupId: number | null, createdAt: number }>): Promise<void>
  /** Inside `trx`: chats of one group given to agents at one moment (round robin's batch), in one statement. */
  assignedMany (trx: Knex.Transaction, groupId: number | null, byChat: ReadonlyArray<readonly [number, string]>, at: number): Promise<void>
  /** Inside `trx`: an agent's reply; only the first one counts. */
  answered (trx: Knex.Transaction, chatId: number, agentId: string | null, at: number): Promise<void>
  /** Whether `answered` would write nothing for this chat: its first answer is committed and remembered here. */
  answeredAlready (chatId: number): boolean
  /** Inside `trx`: the survey's rating. */
  rated (trx: Knex.Transaction, chatId: number, rating: number): Promise<void>
  /** Every figure for the chats started in [from, to) that pass the filter, by the desk's time zone. */
  figures (filter: FactFilter, timeZone: string): Promise<Figures>
  /**
   * The counts per group, the median time to first response and the satisfaction of the chats
   * started in [from, to) that pass the filter, summed by the database on the facts' indexes:
   * the same figures as `figures`, with no row sent (the wallboard reads today's this way).
   */
  counts (filter: FactFilter): Promise<Counts>
  /** Tickets made from the transcripts of the chats started in [from, to) that pass the filter, per group (docs/reports.md#tickets). */
  tickets (filter: FactFilter): Promise<Array<{ groupId: number | null, tickets: number }>>
  /** The chats open now (waiting, or with an agent) in these groups (null: all): the wallboard's live tiles. */
  open (groupIds: number[] | null): Promise<store.OpenFact[]>
}

const assignActions = new Set(['assigned', 'accepted', 'taken'])
const closing = new Set<string>(closingActions)

/** How many answered chats an instance remembers (a few bytes each). */
const answeredKept = 20_000

export function createFactService ({ db }: { db: Knex }): FactService {
  // One fold at a time per instance: the report's period and the one before it ask together.
  let folding: Promise<number> | null = null
  const fold = async (): Promise<number> => {
    folding ??= foldRollups(db, Date.now()).finally(() => { folding = null })
    return await folding
  }
  // changed_at is the server's own clock, as the fold's is: a chat's business clock may be another (docs/reports.md#speed).
  const stamp = (): number => Date.now()

  // Chats whose first answer is committed: a later reply then costs no statement (docs/design.md §9). Remembered
  // once the transaction commits, oldest forgotten first; another instance's first answer is kept by the UPDATE's
  // own guard (only an unanswered fact row changes).
  const answeredChats = new Set<number>()
  const remember = (chatId: number): void => {
    answeredChats.add(chatId)
    if (answeredChats.size > answeredKept) answeredChats.delete(answeredChats.values().next().value!)
  }
  return {
    async record (trx, c) {
      if (assignActions.has(c.action)) {
        // The agent's load as they get the chat: their other open chats and this one (docs/reports.md, concurrent load).
        // Assignments to one agent are serialised by their presence row's lock, so two never count alike.
        const load = c.agentId === null ? null : 1 + await store.openWith(trx, c.agentId, c.chatId)
        await store.assigned(trx, c.chatId, c.groupId, c.agentId, load, c.at, stamp())
      } else if (c.action === 'started') await store.insertFact(trx, { chat_id: c.chatId, group_id: c.groupId, created_at: c.createdAt, changed_at: stamp() })
      else if (c.action === 'transferred' || c.action === 'reoffered') await store.moved(trx, c.chatId, c.groupId, c.agentId, c.action === 'transferred', stamp())
      else if (closing.has(c.action)) await store.closed(trx, c.chatId, c.agentId, c.action, c.at, stamp())
    },
    async startedMany (trx, chats) {
      const changedAt = stamp()
      await store.insertFacts(trx, chats.map((c) => ({ chat_id: c.chatId, group_id: c.groupId, created_at: c.createdAt, changed_at: changedAt })))
    },
    async assignedMany (trx, groupId, byChat, at) {
      // Each chat's load as record gives one handed over alone: the agent's other open chats, then one more for each
      // chat of the batch in its order (the batch holds the agents' presence rows locked, as a single hand-over does).
      const open = await store.openWithMany(trx, [...new Set(byChat.map(([, agentId]) => agentId))], byChat.map(([chatId]) => chatId))
      const loads = byChat.map(([chatId, agentId]): [number, number] => {
        open.set(agentId, (open.get(agentId) ?? 0) + 1)
        return [chatId, open.get(agentId)!]
      })
      await store.assignedMany(trx, groupId, byChat, loads, at, stamp())
    },
    async answered (trx, chatId, agentId, at) {
      if (answeredChats.has(chatId)) return
      await store.answered(trx, chatId, agentId, at, stamp())
      trx.executionPromise.then(() => { remember(chatId) }, () => {})
    },
    answeredAlready: (chatId) => answeredChats.has(chatId),
    async rated (trx, chatId, rating) { await store.rated(trx, chatId, rating, stamp()) },
    async figures (filter, timeZone) {
      const period = { from: filter.from, to: filter.to, timeZone }
      // Whole UTC days before today come from the rollups; the hours on either side, and any zone whose clock is not
      // a whole number of hours from UTC (a rollup's UTC hour would straddle two local ones), from the facts.
      const fromDay = dayOf(filter.from + dayMs - 1)
      let toDay = Math.min(dayOf(filter.to), dayOf(Date.now()))
      if (fromDay >= toDay || !wholeHourZone(timeZone, filter.from, filter.to)) return figuresOf(await store.factsIn(db, filter), period)
      toDay = Math.min(toDay, await fold())
      if (fromDay >= toDay) return figuresOf(await store.factsIn(db, filter), period)
      const [before, rollups, after] = await Promise.all([
        filter.from < fromDay ? store.factsIn(db, { ...filter, to: fromDay }) : [],
        store.rollupsIn(db, { ...filter, from: fromDay, to: toDay }),
        toDay < filter.to ? store.factsIn(db, { ...filter, from: toDay }) : []
      ])
      const tally = createTally(period)
      for (const f of before) tally.fact(f)
      for (const r of rollups) tally.rollup(r)
      for (const f of after) tally.fact(f)
      return tally.result()
    },
    async counts (filter) {
      const groups = await store.countsIn(db, filter)
      const answered = groups.reduce((n, g) => n + g.answered, 0)
      // The one or two middle ranks, read by the database's sort: the exact median of docs/reports.md.
      const middle = answered === 0 ? [] : await store.firstResponsesRanked(db, filter, Math.floor((answered - 1) / 2), answered % 2 === 1 ? 1 : 2)
      const rated = groups.reduce((n, g) => n + g.rated, 0)
      return {
        groups: groups.map(({ groupId, started, answered, missed, abandoned }) => ({ groupId, started, answered, missed, abandoned })),
        firstResponseMedian: median(middle),
        satisfaction: { count: rated, average: satisfactionAverage(rated, groups.reduce((n, g) => n + g.ratingSum, 0)) }
      }
    },
    async tickets (filter) { return await store.ticketsIn(db, filter) },
    async open (groupIds) { return await store.openFacts(db, groupIds) }
  }
}
