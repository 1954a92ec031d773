import type { Knex } from 'knex'
import * as store from './store.ts'
import type { AuditFilter, AuditRecord } from './store.ts'

export type { AuditFilter, AuditRecord } from './store.ts'

/**
 * Who did it and from where: the signed-in person (host user id and name) and the address
 * their request came from (request.ip, as the host's trustProxy sees it). An API token acts
 * under its own name with no user id.
 */
export interface Auditor { id: string | null, name: string, ip?: string | null }

/**
 * Every action the audit log records (docs/features.md#audit-log), with the words its Action
 * filter and its rows use. A new action is added here, so the filter offers it.
 */
export const auditActions = {
  'settings.changed': 'Setting changed',
  'department.created': 'Department created',
  'department.updated': 'Department changed',
  'departments.imported': 'Departments imported',
  'group.created': 'Group created',
  'group.updated': 'Group changed',
  'member.added': 'Member added',
  'member.updated': 'Member or limit changed',
  'member.removed': 'Member removed',
  'chat.taken': 'Chat taken',
  'chat.monitored': 'Chat monitored by a supervisor',
  'chat.transferred': 'Chat transferred by a supervisor',
  'chat.deleted': 'Chat deleted',
  'chat.undeleted': 'Chat undeleted',
  'chats.purged': 'Deleted chats purged',
  'job.run': 'Job run by hand',
  'token.created': 'API token created',
  'token.revoked': 'API token revoked',
  'api.call': 'API call that changed something',
  'webhook.created': 'Webhook added',
  'webhook.updated': 'Webhook turned on or off',
  'webhook.removed': 'Webhook removed',
  'block.added': 'Address blocked',
  'block.removed': 'Address unblocked'
} as const

export type AuditAction = keyof typeof auditActions

/** What one action was done to, and what it changed. */
export interface AuditEntry {
  action: AuditAction
  /** What it was done to, as a person reads it ("Group Sales / Tier 1", "Chat #42"). */
  subject: string
  subjectId?: string | number | null
  /** The department it concerns, so that department's supervisors see it; none: administrators only. */
  departmentId?: number | null
  /** What it was before (undefined or null: it did not exist) and what it became (null: it is gone). */
  before?: unknown
  after?: unknown
}

export interface AuditServiceDeps {
  db: Knex
  clock?: () => number
}

/**
 * The desk's audit log (docs/features.md#audit-log, docs/design.md §1): the services of the
 * actions it covers call `record` inside the action's own transaction, so an action and its
 * entry commit or roll back together.
 */
export interface AuditService {
  /** Records one action by `by` (null: the desk itself, a job run on schedule) through `q`, the action's transaction where it has one. */
  record (q: Knex | Knex.Transaction, by: Auditor | null, entry: AuditEntry): Promise<void>
  /**
   * Records an action only the first time `by` does it to the entry's subject (a supervisor
   * monitoring a chat: one entry however often they look); returns whether it recorded.
   */
  recordFirst (q: Knex | Knex.Transaction, by: Auditor, entry: AuditEntry & { subjectId: string | number }): Promise<boolean>
  /** Up to `limit` entries matching `filter`, newest first. */
  list (filter: AuditFilter, limit: number): Promise<AuditRecord[]>
  /** Everyone who appears in the entries of `departments` (null: all), by name. */
  actors (departments: number[] | null): Promise<Array<{ id: string, name: string }>>
  /** Removes entries older than `before`, at most `limit` in one statement; returns how many. */
  purge (before: number, limit: number): Promise<number>
}

/** Larger values are recorded as a marker, not cut: a cut JSON text could not be read back. */
const maxJson = 60_000

function json (value: unknown): string | null {
  if (value === undefined || value === null) return null
  const text = JSON.stringify(value)
  return text.length > maxJson ? JSON.stringify({ tooLargeToKeep: text.length }) : text
}

export function createAuditService ({ db, clock = Date.now }: AuditServiceDeps): AuditService {
  async function record (q: Knex | Knex.Transaction, by: Auditor | null, entry: AuditEntry): Promise<void> {
    await store.insert(q, {
      at: clock(),
      actor_id: by?.id?.slice(0, 64) ?? null,
      actor_name: (by?.name ?? 'Live chat').slice(0, 120),
      ip: by?.ip?.slice(0, 45) ?? null,
      action: entry.action,
      subject: entry.subject.slice(0, 200),
      subject_id: entry.subjectId == null ? null : String(entry.subjectId).slice(0, 64),
      department_id: entry.departmentId ?? null,
      before: json(entry.before),
      after: json(entry.after)
    })
  }

  return {
    record,

    async recordFirst (q, by, entry) {
      if (by.id === null) return false
      if (await store.has(q, entry.action, by.id.slice(0, 64), String(entry.subjectId).slice(0, 64))) return false
      await record(q, by, entry)
      return true
    },

    async list (filter, limit) {
      if (filter.departments?.length === 0) return []
      return await store.list(db, filter, limit)
    },

    async actors (departments) {
      if (departments?.length === 0) return []
      return await store.actors(db, departments)
    },

    async purge (before, limit) {
      return await store.purge(db, before, limit)
    }
  }
}
