import type { AgentScope } from '../chats/types.ts'
import type { FactService } from '../facts/service.ts'
import type { HostAdapter } from '../host/adapter.ts'
import { canonicalTimeZone, instantOf, wallClock } from '../routing/hours.ts'
import { isFresh } from '../routing/rules.ts'
import type { RoutingService } from '../routing/service.ts'
import type { Settings } from '../settings.ts'
import { bind } from '../web/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { duration } from './view-models.ts'

/** A tile's colour by the thresholds of the settings (docs/features.md#wallboard). */
export type Level = 'ok' | 'amber' | 'red'

export interface Tile { id: string, label: string, value: string, level: Level }
export interface AgentLine { name: string, state: 'available' | 'busy' | 'away', load: number, limit: number }
export interface Section { title: string, tiles: Tile[] }

export interface Wallboard {
  tv: boolean
  /** Desk-wide first, then each department and each group the viewer supervises. */
  sections: Section[]
  agents: AgentLine[]
  updatedAt: string
  timeZone: string
}

export interface WallboardDeps {
  facts: Pick<FactService, 'counts' | 'open'>
  routing: Pick<RoutingService, 'groups' | 'members' | 'presences'>
  host: Pick<HostAdapter, 'getUser'>
  settings: Pick<Settings, 'reportTimeZone' | 'heartbeatTimeoutSeconds' | 'wallboardWaitAmberSeconds' | 'wallboardWaitRedSeconds' | 'wallboardQueueAmber' | 'wallboardQueueRed'>
  clock?: () => number
}

export interface WallboardService {
  /** The board for a supervisor's groups (an administrator's: all), now. */
  board (scope: AgentScope, tv: boolean): Promise<Wallboard>
}

const level = (n: number, amber: number, red: number): Level => n >= red ? 'red' : n >= amber ? 'amber' : 'ok'

/** How long an agent's name is kept: a renamed agent shows under the new name within this. */
export const namesKeptMs = 60_000

/**
 * The live wallboard (docs/features.md#wallboard): what is waiting and open now from the open
 * chats' facts, today's figures as docs/reports.md defines them, and each agent's state and
 * load; all from indexed reads, with today's counts summed by the database (no chat's row
 * comes back), so a push costs a few milliseconds.
 */
export function createWallboardService ({ facts, routing, host, settings, clock = Date.now }: WallboardDeps): WallboardService {
  // Each push names every agent: the host's users are read once a minute, not on every push.
  const names = new Map<string, { name: string, at: number }>()
  const nameOf = async (id: string, now: number): Promise<string> => {
    const kept = names.get(id)
    if (kept && now - kept.at < namesKeptMs) return kept.name
    const name = (await host.getUser(id))?.name ?? `Agent ${id}`
    names.set(id, { name, at: now })
    return name
  }
  return {
    async board (scope, tv) {
      const now = clock()
      const timeZone = canonicalTimeZone(settings.reportTimeZone) ?? 'UTC'
      const from = instantOf(wallClock(now, timeZone).date, 0, timeZone)
      const all = await routing.groups()
      const groups = scope.visible === 'all' ? all : all.filter((g) => (scope.visible as number[]).includes(g.id))
      const ids = scope.visible === 'all' ? null : groups.map((g) => g.id)
      const [today, open, members] = await Promise.all([
        facts.counts({ from, to: now + 1, groupIds: ids, agentId: null }),
        facts.open(ids),
        routing.members(groups.map((g) => g.id))
      ])
      const section = (title: string, groupIds: Set<number> | null): Section => {
        const inIt = (g: number | null): boolean => groupIds === null || (g !== null && groupIds.has(g))
        const waiting = open.filter((o) => o.agent_id === null && inIt(o.group_id))
        const active = open.filter((o) => o.agent_id !== null && inIt(o.group_id)).length
        const longest = waiting.length === 0 ? 0 : now - Math.min(...waiting.map((w) => w.created_at))
        const g = today.groups.filter((x) => inIt(x.groupId))
        const sum = (k: 'started' | 'answered' | 'missed' | 'abandoned'): number => g.reduce((a, x) => a + x[k], 0)
        const tiles: Tile[] = [
          { id: 'waiting', label: 'Chats waiting', value: String(waiting.length), level: level(waiting.length, settings.wallboardQueueAmber, settings.wallboardQueueRed) },
          { id: 'longest', label: 'Longest wait', value: waiting.length === 0 ? '—' : duration(longest), level: level(longest / 1000, settings.wallboardWaitAmberSeconds, settings.wallboardWaitRedSeconds) },
          { id: 'active', label: 'Active chats', value: String(active), level: 'ok' },
          { id: 'started', label: 'Started today', value: String(sum('started')), level: 'ok' },
          { id: 'answered', label: 'Answered today', value: String(sum('answered')), level: 'ok' },
          { id: 'missed', label: 'Missed today', value: String(sum('missed')), level: sum('missed') > 0 ? 'amber' : 'ok' },
          { id: 'abandoned', label: 'Abandoned today', value: String(sum('abandoned')), level: sum('abandoned') > 0 ? 'amber' : 'ok' }
        ]
        if (groupIds === null) {
          tiles.push({ id: 'first-response', label: 'Median first response today', value: duration(today.firstResponseMedian), level: 'ok' })
          tiles.push({ id: 'satisfaction', label: 'Satisfaction today', value: today.satisfaction.average === null ? '—' : `${today.satisfaction.average.toFixed(1)} / 5 (${today.satisfaction.count})`, level: 'ok' })
        }
        return { title, tiles }
      }
      const departments = [...new Map(groups.map((g) => [g.departmentId, g.departmentName])).entries()]
      const sections = [
        section(scope.visible === 'all' ? 'Whole desk' : 'All my groups', null),
        ...departments.map(([id, name]) => section(name, new Set(groups.filter((g) => g.departmentId === id).map((g) => g.id)))),
        ...groups.map((g) => section(`${g.departmentName} › ${g.name}`, new Set([g.id])))
      ]
      const load = new Map<string, number>()
      for (const o of open) if (o.agent_id !== null) load.set(o.agent_id, (load.get(o.agent_id) ?? 0) + 1)
      const agentIds = [...new Set(members.filter((m) => m.active).map((m) => m.agentId))]
      const presences = await routing.presences(agentIds)
      const agents = await Promise.all(agentIds.map(async (id): Promise<AgentLine> => {
        const p = presences.get(id)!
        const on = p.status === 'available' && isFresh(p.heartbeatAt, now, settings.heartbeatTimeoutSeconds)
        const n = load.get(id) ?? 0
        return { name: await nameOf(id, now), state: !on ? 'away' : n >= p.maxChats ? 'busy' : 'available', load: n, limit: p.maxChats }
      }))
      return { tv, sections, agents: agents.sort((a, b) => a.name.localeCompare(b.name)), updatedAt: new Date(now).toISOString(), timeZone }
    }
  }
}

/** The board, bound once: the page renders it, and each push replaces it whole. */
export const wallboardFragment = bind('reports/wallboard', 'outerHTML', (_: Wallboard) => targets.wallboard())
