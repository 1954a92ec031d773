import type { CannedReply } from '../canned/service.ts'
import type { Chat, Message } from '../chats/types.ts'
import type { Comment } from '../comments/service.ts'
import type { ChatItem } from '../items/service.ts'
import type { Figures } from '../facts/service.ts'
import type { Period, Report } from '../reports/service.ts'
import type { Department, Group } from '../routing/service.ts'
import type { Survey } from '../surveys/service.ts'

/*
 * The JSON API's objects (plugin/api/schemas.ts) made from the services' own: what the API
 * promises stays the same when a service's objects grow.
 */

const iso = (ms: number): string => new Date(ms).toISOString()
const maybeIso = (ms: number | null | undefined): string | null => ms === null || ms === undefined ? null : iso(ms)

export function apiChat (c: Chat) {
  return {
    id: c.id,
    status: c.status,
    groupId: c.groupId,
    agentId: c.agentId,
    customer: { userId: c.customerUserId, name: c.customerName, email: c.customerEmail },
    question: c.question,
    createdAt: iso(c.createdAt),
    queuedAt: maybeIso(c.queuedAt),
    assignedAt: maybeIso(c.assignedAt),
    endedAt: maybeIso(c.endedAt),
    messageCount: c.messageCount,
    transferredTo: c.transferredTo,
    deleted: c.deletedAt !== null && c.deletedAt !== undefined
  }
}

export function apiMessage (m: Message) {
  return {
    id: m.id,
    seq: m.seq,
    kind: m.kind,
    author: { kind: m.authorKind, id: m.authorId, name: m.authorName },
    text: m.file ? m.file.name : m.article ? m.article.title : m.body,
    ...(m.file ? { file: { name: m.file.name, size: m.file.size, type: m.file.type } } : {}),
    ...(m.article ? { article: { title: m.article.title, url: m.article.url } } : {}),
    createdAt: iso(m.createdAt)
  }
}

export const apiGroup = (g: Group) => ({ id: g.id, departmentId: g.departmentId, name: g.name, distribution: g.distribution, enabled: g.enabled })
export const apiDepartment = (d: Department) => ({ id: d.id, name: d.name, defaultGroupId: d.defaultGroupId })
export const apiCanned = (r: CannedReply) => ({ id: r.id, groupId: r.groupId, title: r.title, shortcut: r.shortcut, body: r.body })

export function apiComment (c: Comment) {
  return { id: c.id, author: { id: c.authorId, name: c.authorName }, body: c.body, resolution: c.isResolution, createdAt: iso(c.createdAt), updatedAt: iso(c.updatedAt) }
}

export function apiTicket (i: ChatItem) {
  return { ref: i.ticketRef ?? '', url: i.ticketUrl, createdFromChat: i.createdFromChat, linkedBy: i.createdByName, linkedAt: iso(i.createdAt) }
}

export const apiSurvey = (s: Survey | undefined) => s === undefined ? null : { rating: s.rating, comment: s.comment, createdAt: iso(s.createdAt) }

const apiPeriod = (p: Period) => ({ start: p.start, end: p.end, days: p.days, timeZone: p.timeZone })

/** A report as the Reports page shows it, with each group and agent named (docs/reports.md). */
export function apiReport (r: Report) {
  const figures = (f: Figures) => ({
    ...f,
    agents: f.agents.map((a) => ({ ...a, name: r.names.agent(a.agentId) })),
    groups: f.groups.map((g) => ({ ...g, name: r.names.group(g.groupId) }))
  })
  const tickets = (x: Report['tickets']['current']) => ({ ...x, groups: x.groups.map((g) => ({ ...g, name: r.names.group(g.groupId) })) })
  return {
    period: apiPeriod(r.period),
    previous: apiPeriod(r.previous),
    filter: r.filter,
    current: figures(r.current),
    before: figures(r.before),
    deflection: r.deflection,
    tickets: { current: tickets(r.tickets.current), before: tickets(r.tickets.before) }
  }
}
