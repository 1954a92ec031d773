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
  /** The requester's email: the user's, else the contact a guest's ticket was filed with. */
  requesterEmail: string | null
  /** True when the requester is a guest: no user of the desk, only the name and email filed with the ticket. */
  guest: boolean
  /** Where the ticket came from ('livechat'), where it was said. */
  channel: string | null
  assigneeName: string | null
  chatId: number | null
  createdAt: number
  templateId: number | null
  /** The template fields' values, by field name (a ticket made from a template). */
  details: Record<string, string>
}

/** A template field's value on a ticket, labelled as the template labels it. */
export interface DetailField {
  name: string
  label: string
  value: string
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
      't.requester_id', 't.chat_id', 't.created_at', 't.updated_at', 't.template_id', 't.details',
      't.requester_name as contact_name', 't.requester_email as contact_email', 't.channel',
      'r.name as requester_name', 'r.email as requester_user_email', 'a.name as assignee_name')
}

function toListItem (row: Record<string, unknown>): TicketListItem {
  return {
    ref: String(row.ref),
    kind: String(row.kind),
    kindLabel: label(String(row.kind)),
    summary: String(row.summary),
    status: String(row.status),
    statusReason: row.status_reason == null ? null : String(row.status_reason),
    // A guest has no user row: the name filed with the ticket stands in.
    requesterName: row.requester_name != null ? String(row.requester_name) : row.contact_name == null ? null : String(row.contact_name),
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
    requesterEmail: row.requester_user_email != null ? String(row.requester_user_email) : row.contact_email == null ? null : String(row.contact_email),
    guest: row.requester_id == null && (row.contact_name != null || row.contact_email != null),
    channel: row.channel == null ? null : String(row.channel),
    assigneeName: row.assignee_name == null ? null : String(row.assignee_name),
    chatId: row.chat_id == null ? null : Number(row.chat_id),
    createdAt: toMs(row.created_at),
    templateId: row.template_id == null ? null : Number(row.template_id),
    details: parseDetails(row.details)
  }
}

function parseJson (raw: unknown): unknown {
  if (typeof raw !== 'string' || raw === '') return null
  try {
    return JSON.parse(raw)
  } catch {
    return null
  }
}

function parseDetails (raw: unknown): Record<string, string> {
  const value = parseJson(raw)
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {}
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'))
}

/**
 * The ticket's template field values with the template's labels, in the template's order;
 * a value the template no longer has a field for keeps its name as the label.
 */
export async function ticketDetails (knex: Knex, ticket: TicketDetail): Promise<DetailField[]> {
  const names = Object.keys(ticket.details)
  if (names.length === 0) return []
  const row = ticket.templateId === null ? undefined : await knex('ticket_templates').where({ id: ticket.templateId }).first('fields')
  const defined = parseJson(row?.fields)
  const labels = new Map<string, string>()
  if (Array.isArray(defined)) {
    for (const f of defined as Array<{ name?: unknown, label?: unknown }>) {
      if (typeof f?.name === 'string') labels.set(f.name, typeof f.label === 'string' ? f.label : f.name)
    }
  }
  const ordered = [...labels.keys()].filter((n) => names.includes(n)).concat(names.filter((n) => !labels.has(n)))
  return ordered.map((name) => ({ name, label: labels.get(name) ?? name, value: ticket.details[name]! }))
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
export const doneStatuses = ['Resolved', 'Completed', 'Rejected', 'Closed', 'Cancelled']

/**
 * Each kind's statuses, in the order a ticket usually moves through them. Live chat reads
 * Cancelled (with the reason "Abandoned chat") from the plugin mapping; keep it here.
 */
export const statusesByKind: Record<TicketKind, string[]> = {
  incident: ['New', 'Assigned', 'In Progress', 'Pending', 'Resolved', 'Closed', 'Cancelled'],
  work_order: ['New', 'Assigned', 'Planning', 'In Progress', 'Pending', 'Completed', 'Rejected', 'Closed', 'Cancelled'],
  ticket: ['New', 'Open', 'Pending', 'Resolved', 'Closed', 'Cancelled']
}

/** Statuses that need a reason: someone reading the ticket later must know why it waits or was dropped. */
export const reasonRequired = ['Pending', 'Cancelled', 'Rejected']
export const maxReasonLength = 120

export function statusesFor (kind: string): string[] {
  return isTicketKind(kind) ? statusesByKind[kind] : statusesByKind.ticket
}

/** Why a status change was refused, for the form on the ticket page. */
export class StatusChangeError extends Error {
  readonly field: 'status' | 'reason'
  constructor (field: 'status' | 'reason', message: string) {
    super(message)
    this.field = field
  }
}

/**
 * Moves a ticket to another status of its kind, with a reason where one is needed, and writes
 * the change to its activity log in the same transaction. Returns false when nothing changed.
 */
export async function changeStatus (knex: Knex, ticket: TicketDetail, input: { status: string, reason: string }, authorId: number, now = Date.now()): Promise<boolean> {
  const status = input.status.trim()
  const reason = input.reason.trim()
  if (!statusesFor(ticket.kind).includes(status)) throw new StatusChangeError('status', `Choose one of the ${ticket.kindLabel.toLowerCase()} statuses`)
  if (reason.length > maxReasonLength) throw new StatusChangeError('reason', `Keep the reason to ${maxReasonLength} characters (this one has ${reason.length})`)
  if (reason === '' && reasonRequired.includes(status)) throw new StatusChangeError('reason', `Say why the ticket is ${status.toLowerCase()}`)
  if (status === ticket.status && reason === (ticket.statusReason ?? '')) return false
  await knex.transaction(async (trx) => {
    await trx('tickets').where({ id: ticket.id }).update({ status, status_reason: reason === '' ? null : reason, updated_at: now })
    const text = `Status changed from ${ticket.status} to ${status}${reason ? ` (${reason})` : ''}`
    await trx('ticket_activity').insert({ ticket_id: ticket.id, text, author_id: authorId, created_at: now })
  })
  return true
}

export async function countOpenTickets (knex: Knex): Promise<number> {
  const row = await knex('tickets').whereNotIn('status', doneStatuses).count({ n: '*' }).first()
  return Number(row?.n ?? 0)
}
