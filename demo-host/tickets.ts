import type { Knex } from 'knex'
import { toMs, toMsOrNull } from './db.ts'

export const ticketKinds = ['incident', 'work_order', 'ticket'] as const
export type TicketKind = typeof ticketKinds[number]

export const kindLabels: Record<TicketKind, string> = { incident: 'Incident', work_order: 'Work order', ticket: 'Ticket' }

// The same prefixes as manifest.json host.tickets.refPrefix: tickets the plugin creates and
// tickets the desk creates must look alike.
const refPrefixes: Record<TicketKind, string> = { incident: 'INC', work_order: 'WO', ticket: 'TKT' }

/** INC000042: the kind's prefix and the id, zero-padded to six digits. */
export function ticketRef (kind: TicketKind, id: number): string {
  return refPrefixes[kind] + String(id).padStart(6, '0')
}

export function isTicketKind (value: unknown): value is TicketKind {
  return typeof value === 'string' && (ticketKinds as readonly string[]).includes(value)
}

export interface TicketListItem {
  ref: string
  kind: string
  kindLabel: string
  summary: string
  status: string
  statusReason: string | null
  requesterName: string | null
  updatedAt: number
}

export interface TicketDetail extends TicketListItem {
  id: number
  description: string
  requesterId: number | null
  assigneeName: string | null
  chatId: number | null
  createdAt: number
}

export interface ActivityItem {
  text: string
  authorName: string | null
  createdAt: number
}

function label (kind: string): string {
  return isTicketKind(kind) ? kindLabels[kind] : kind
}

function baseQuery (knex: Knex): Knex.QueryBuilder {
  return knex('tickets as t')
    .leftJoin('users as r', 'r.id', 't.requester_id')
    .leftJoin('users as a', 'a.id', 't.assignee_id')
    .select('t.id', 't.ref', 't.kind', 't.summary', 't.description', 't.status', 't.status_reason',
      't.requester_id', 't.chat_id', 't.created_at', 't.updated_at',
      'r.name as requester_name', 'a.name as assignee_name')
}

function toListItem (row: Record<string, unknown>): TicketListItem {
  return {
    ref: String(row.ref),
    kind: String(row.kind),
    kindLabel: label(String(row.kind)),
    summary: String(row.summary),
    status: String(row.status),
    statusReason: row.status_reason == null ? null : String(row.status_reason),
    requesterName: row.requester_name == null ? null : String(row.requester_name),
    updatedAt: toMs(row.updated_at)
  }
}

/** Tickets, most recently updated first, optionally of one kind or one requester. */
export async function listTickets (knex: Knex, filter: { kind?: TicketKind, requesterId?: number, limit?: number } = {}): Promise<TicketListItem[]> {
  const q = baseQuery(knex).orderBy('t.updated_at', 'desc').orderBy('t.id', 'desc').limit(filter.limit ?? 200)
  if (filter.kind) q.where('t.kind', filter.kind)
  if (filter.requesterId !== undefined) q.where('t.requester_id', filter.requesterId)
  return (await q).map(toListItem)
}

export async function getTicket (knex: Knex, ref: string): Promise<TicketDetail | undefined> {
  const row = await baseQuery(knex).where('t.ref', ref).first()
  if (!row) return undefined
  return {
    ...toListItem(row),
    id: Number(row.id),
    description: String(row.description ?? ''),
    requesterId: row.requester_id == null ? null : Number(row.requester_id),
    assigneeName: row.assignee_name == null ? null : String(row.assignee_name),
    chatId: row.chat_id == null ? null : Number(row.chat_id),
    createdAt: toMs(row.created_at)
  }
}

export async function ticketActivity (knex: Knex, ticketId: number): Promise<ActivityItem[]> {
  const rows = await knex('ticket_activity as x')
    .leftJoin('users as u', 'u.id', 'x.author_id')
    .where('x.ticket_id', ticketId)
    .orderBy('x.created_at').orderBy('x.id')
    .select('x.text', 'x.created_at', 'u.name as author_name')
  return rows.map((r: Record<string, unknown>) => ({
    text: String(r.text),
    authorName: r.author_name == null ? null : String(r.author_name),
    createdAt: toMsOrNull(r.created_at) ?? 0
  }))
}

/** Statuses after which nobody needs to work on a ticket. */
export const doneStatuses = ['Resolved', 'Closed', 'Cancelled']

export async function countOpenTickets (knex: Knex): Promise<number> {
  const row = await knex('tickets').whereNotIn('status', doneStatuses).count({ n: '*' }).first()
  return Number(row?.n ?? 0)
}
