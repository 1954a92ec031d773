import { randomInt } from 'node:crypto'
import type { Knex } from 'knex'
import { type HostAdapter, type HostMapping, type SessionIdentity, sqlHost } from '../../plugin/host/index.ts'

/**
 * What the author of a thread-based desk writes to install live chat (docs/hosts.md, "The second test host"): the
 * mapping of the desk's tables (test/helpers/thread-host.ts creates them, shaped like osTicket's), and, below
 * it, the adapter code the mapping cannot say: reading who is signed in from the session data, and the desk's own
 * ticket numbers. Nothing else of the plugin is imported.
 */
export const threadHostMapping: HostMapping = {
  times: 'datetime',
  sessions: { cookie: 'OSTSESSID', table: 'ost_session', token: 'raw', tokenHash: 'session_id', data: 'session_data', expiresAt: 'session_expire' },
  agents: {
    table: 'ost_staff',
    id: 'staff_id',
    idPrefix: 'a:',
    username: 'username',
    email: 'email',
    firstName: 'firstname',
    lastName: 'lastname',
    roles: { column: 'role_id', table: 'ost_role', id: 'id', name: 'name' }
  },
  customers: {
    table: 'ost_user',
    id: 'id',
    idPrefix: 'c:',
    name: 'name',
    email: { column: 'default_email_id', table: 'ost_user_email', id: 'id', address: 'address', userId: 'user_id' },
    guests: { createdAt: 'created', updatedAt: 'updated', defaults: { org_id: 0, status: 0 }, emailDefaults: { flags: 0 } }
  },
  tickets: {
    table: 'ost_ticket',
    id: 'ticket_id',
    ref: 'number',
    summary: 'subject',
    summaryTable: { table: 'ost_ticket__cdata', ticketId: 'ticket_id' },
    status: 'status_id',
    statuses: { table: 'ost_ticket_status', id: 'id', name: 'name' },
    requesterId: 'user_id',
    assigneeId: 'staff_id',
    nobody: 0,
    channel: 'source',
    createdAt: 'created',
    updatedAt: 'updated',
    url: '/scp/tickets.php?id={id}',
    customerUrl: '/tickets.php?id={id}',
    refPrefix: { incident: '', work_order: '', ticket: '' },
    kinds: ['ticket'],
    newStatus: 'Open',
    cancelledStatus: 'Closed',
    resolvedStatuses: ['Resolved', 'Closed'],
    defaults: { dept_id: 1, topic_id: 0, ip_address: '' }
  },
  ticketActivity: {
    table: 'ost_thread_entry',
    id: 'id',
    ticketId: 'thread_id',
    text: 'body',
    authorId: 'staff_id',
    userId: 'user_id',
    posterName: 'poster',
    createdAt: 'created',
    thread: { table: 'ost_thread', id: 'id', objectId: 'object_id', objectType: { column: 'object_type', value: 'T' }, createdAt: 'created' },
    types: { column: 'type', customer: 'M', agent: 'R', system: 'N', note: 'N' },
    defaults: { format: 'text' }
  },
  ticketTemplates: { table: 'ost_help_topic', id: 'topic_id', kind: 'kind', name: 'topic', summary: 'subject', description: 'notes' },
  knowledge: {
    table: 'ost_faq',
    id: 'faq_id',
    title: 'question',
    body: 'answer',
    url: '/kb/faq.php?id={id}',
    published: { column: 'ispublished', values: ['1'] },
    internal: { column: 'internal', values: ['1'] }
  }
}

// The adapter code: everything below is what the desk's author writes beyond the mapping.

/**
 * Reads the desk's session data: `key|json` entries separated by `;`, the identity under
 * `_auth` ({"staff":{"id":3},"user":{"id":5}}), as the test desk writes it.
 */
export function decodeThreadDeskSession (data: string): SessionIdentity | null {
  for (const entry of data.split(';')) {
    const bar = entry.indexOf('|')
    if (entry.slice(0, bar) !== '_auth') continue
    const auth = JSON.parse(entry.slice(bar + 1)) as { staff?: { id?: number }, user?: { id?: number } }
    return { agentId: auth.staff?.id === undefined ? undefined : String(auth.staff.id), customerId: auth.user?.id === undefined ? undefined : String(auth.user.id) }
  }
  return null
}

/** The desk numbers its tickets itself: six random digits; live chat checks the number is free and asks again if not. */
export const newThreadRef = (): string => String(randomInt(100_000, 1_000_000))

export function threadHostAdapter (knex: Knex): HostAdapter {
  return sqlHost(knex, threadHostMapping, { decodeSession: decodeThreadDeskSession, newRef: newThreadRef, refLength: 6 })
}
