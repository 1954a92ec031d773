import type { AgentScope } from '../chats/types.ts'
import { LC_ERR_REPORT_OUT_OF_SCOPE, LC_ERR_REPORT_PERIOD } from '../errors.ts'
import type { DeflectionService } from '../deflections/service.ts'
import type { FactService, Figures } from '../facts/service.ts'
import type { HostAdapter } from '../host/adapter.ts'
import { canonicalTimeZone, instantOf, wallClock } from '../routing/hours.ts'
import type { Group, RoutingService } from '../routing/service.ts'
import type { Settings } from '../settings.ts'
import type { SurveyComment, SurveyService } from '../surveys/service.ts'

/** The periods a report offers (docs/reports.md#which-chats-a-period-holds). */
export const periodChoices = ['today', '7', '30', '90', 'custom'] as const
export type PeriodChoice = typeof periodChoices[number]
/** A custom range may span at most this many days: a year and a day. */
export const maxRangeDays = 366

export interface ReportQuery {
  period?: PeriodChoice
  from?: string
  to?: string
  department?: number
  group?: number
  agent?: string
}

export interface Period {
  choice: PeriodChoice
  /** First and last local dates, both included. */
  start: string
  end: string
  days: number
  from: number
  to: number
  timeZone: string
  /** The setting's value when the server does not know it (the report then counts in UTC). */
  unknownZone: string | null
}

/** Questions a suggested article answered before a chat, and their share of all questions asked (docs/reports.md#deflection). */
export interface Deflection {
  deflected: number
  /** Deflected out of deflected plus chats started, in percent to one decimal; null when nobody asked. */
  rate: number | null
}

/** Tickets made from the period's chats: all of them, and per group (docs/reports.md#tickets). */
export interface Tickets {
  created: number
  groups: Array<{ groupId: number | null, tickets: number }>
}

export interface Report {
  period: Period
  previous: Period
  current: Figures
  before: Figures
  /** What the viewer may filter by, within their scope. */
  choices: { departments: Array<{ id: number, name: string }>, groups: Group[], agents: Array<{ id: string, name: string }> }
  /** The filters as applied (an agent's own reports always name the agent). */
  filter: { department: number | null, group: number | null, agent: string | null }
  ownOnly: boolean
  /** Deflection for the period and the one before; null with a group or agent filter, or for an agent's own reports (a deflected question has neither). */
  deflection: { current: Deflection, before: Deflection } | null
  tickets: { current: Tickets, before: Tickets }
  /** The latest survey comments on the period's chats, newest first (docs/reports.md). */
  comments: SurveyComment[]
  names: { group: (id: number | null) => string, agent: (id: string) => string }
}

/**
 * Reports (docs/reports.md): a period's figures for the groups and agent the viewer may see,
 * beside the period of the same length before it. Administrators see every group; a
 * supervisor the groups they belong to; an agent only their own chats. A filter outside that
 * is refused, never widened.
 */
export interface ReportService {
  /** Throws LC_ERR_REPORT_PERIOD for a bad range, LC_ERR_REPORT_OUT_OF_SCOPE for a filter the viewer may not see. */
  report (scope: AgentScope, query: ReportQuery): Promise<Report>
  /** The period a query names, in the desk's time zone; throws LC_ERR_REPORT_PERIOD. */
  period (query: ReportQuery): Period
}

export interface ReportServiceDeps {
  facts: Pick<FactService, 'figures' | 'tickets'>
  surveys: Pick<SurveyService, 'comments'>
  deflections: Pick<DeflectionService, 'deflected'>
  routing: Pick<RoutingService, 'groups' | 'members'>
  host: Pick<HostAdapter, 'getUser'>
  settings: Pick<Settings, 'reportTimeZone'>
  clock?: () => number
}

const dayMs = 86_400_000
const isoDate = /^\d{4}-\d{2}-\d{2}$/

/** `date` moved by `n` days (local dates carry no zone, so UTC arithmetic is exact). */
export function addDays (date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * dayMs).toISOString().slice(0, 10)
}

const daysBetween = (start: string, end: string): number => Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / dayMs) + 1

function validDate (s: string | undefined): s is string {
  return s !== undefined && isoDate.test(s) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s
}

/** How many survey comments a report lists. */
export const commentsShown = 10

export function createReportService ({ facts, surveys, deflections, routing, host, settings, clock = Date.now }: ReportServiceDeps): ReportService {
  function zone (): { timeZone: string, unknownZone: string | null } {
    const known = canonicalTimeZone(settings.reportTimeZone)
    return known ? { timeZone: known, unknownZone: null } : { timeZone: 'UTC', unknownZone: settings.reportTimeZone }
  }

  function span (choice: PeriodChoice, start: string, end: string): Period {
    const { timeZone, unknownZone } = zone()
    return {
      choice,
      start,
      end,
      days: daysBetween(start, end),
      timeZone,
      unknownZone,
      from: instantOf(start, 0, timeZone),
      to: instantOf(addDays(end, 1), 0, timeZone)
    }
  }

  function period (query: ReportQuery): Period {
    const choice = query.period ?? '7'
    const today = wallClock(clock(), zone().timeZone).date
    if (choice === 'today') return span(choice, today, today)
    if (choice !== 'custom') return span(choice, addDays(today, 1 - Number(choice)), today)
    if (!validDate(query.from) || !validDate(query.to)) throw new LC_ERR_REPORT_PERIOD('give both dates as YYYY-MM-DD')
    if (query.from > query.to) throw new LC_ERR_REPORT_PERIOD('the first date is after the last')
    if (daysBetween(query.from, query.to) > maxRangeDays) throw new LC_ERR_REPORT_PERIOD(`a range may span at most ${maxRangeDays} days`)
    return span(choice, query.from, query.to)
  }

  return {
    period,
    async report (scope, query) {
      const current = period(query)
      const previous = span(current.choice, addDays(current.start, -current.days), addDays(current.start, -1))
      const all = await routing.groups()
      const visible = scope.visible === 'all' ? all : all.filter((g) => (scope.visible as number[]).includes(g.id))
      // An agent's reports are their own chats, whichever group they were in; a supervisor's and an administrator's are their groups'.
      const ownOnly = !scope.supervise && scope.visible !== 'all'
      let groupIds: number[] | null = scope.visible === 'all' || ownOnly ? null : visible.map((g) => g.id)
      if (query.department !== undefined) {
        const inDept = visible.filter((g) => g.departmentId === query.department)
        if (inDept.length === 0) throw new LC_ERR_REPORT_OUT_OF_SCOPE('department')
        groupIds = inDept.map((g) => g.id)
      }
      if (query.group !== undefined) {
        if (!visible.some((g) => g.id === query.group) || (groupIds !== null && !groupIds.includes(query.group))) throw new LC_ERR_REPORT_OUT_OF_SCOPE('group')
        groupIds = [query.group]
      }
      let agentId: string | null = ownOnly ? scope.id : null
      if (query.agent !== undefined) {
        if (ownOnly && query.agent !== scope.id) throw new LC_ERR_REPORT_OUT_OF_SCOPE('agent')
        agentId = query.agent
      }
      const filter = { groupIds, agentId }
      // A deflected question was never a chat: it has a department but no group nor agent.
      const deflectedIn = agentId !== null || query.group !== undefined
        ? undefined
        : query.department !== undefined ? [query.department] : scope.visible === 'all' ? null : [...new Set(visible.map((g) => g.departmentId))]
      const [now, before, comments, deflectedNow, deflectedBefore, ticketsNow, ticketsBefore] = await Promise.all([
        facts.figures({ from: current.from, to: current.to, ...filter }, current.timeZone),
        facts.figures({ from: previous.from, to: previous.to, ...filter }, previous.timeZone),
        surveys.comments({ from: current.from, to: current.to, ...filter }, commentsShown),
        deflectedIn === undefined ? 0 : deflections.deflected(current.from, current.to, deflectedIn),
        deflectedIn === undefined ? 0 : deflections.deflected(previous.from, previous.to, deflectedIn),
        facts.tickets({ from: current.from, to: current.to, ...filter }),
        facts.tickets({ from: previous.from, to: previous.to, ...filter })
      ])
      const tickets = (groups: Tickets['groups']): Tickets => ({ created: groups.reduce((n, g) => n + g.tickets, 0), groups })
      const share = (deflected: number, started: number): Deflection => ({
        deflected, rate: deflected + started === 0 ? null : Math.round(1000 * deflected / (deflected + started)) / 10
      })
      const agentIds = ownOnly
        ? [scope.id]
        : [...new Set([...(await routing.members(visible.map((g) => g.id))).map((m) => m.agentId), ...now.agents.map((a) => a.agentId)])]
      const users = await Promise.all(agentIds.map(async (id) => ({ id, name: id === scope.id ? scope.name : (await host.getUser(id))?.name ?? `Agent ${id}` })))
      const byId = new Map(users.map((u) => [u.id, u.name]))
      const groupName = new Map(all.map((g) => [g.id, `${g.departmentName} › ${g.name}`]))
      const departments = [...new Map(visible.map((g) => [g.departmentId, { id: g.departmentId, name: g.departmentName }])).values()]
      return {
        period: current,
        previous,
        current: now,
        before,
        choices: { departments, groups: visible, agents: users.sort((a, b) => a.name.localeCompare(b.name)) },
        filter: { department: query.department ?? null, group: query.group ?? null, agent: agentId },
        ownOnly,
        deflection: deflectedIn === undefined ? null : { current: share(deflectedNow, now.started), before: share(deflectedBefore, before.started) },
        tickets: { current: tickets(ticketsNow), before: tickets(ticketsBefore) },
        comments,
        names: { group: (id) => id === null ? 'No group' : groupName.get(id) ?? `Group ${id}`, agent: (id) => byId.get(id) ?? `Agent ${id}` }
      }
    }
  }
}
