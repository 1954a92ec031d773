import { LC_ERR_AUDIT_RANGE } from '../errors.ts'
import { type AuditAction, auditActions, type AuditFilter, type AuditRecord } from '../audit/service.ts'
import type { Department } from '../routing/service.ts'
import { listAddress, type ListTableModel } from '../web/lists/table.ts'
import type { FiltersModel } from '../web/lists/toolbar.ts'
import { auditPeriods, type AuditQuery } from './audit-schemas.ts'

/** Rows on one page of the audit log; Older entries reads the next. */
export const auditPageSize = 50
/** Rows in one CSV export at most: a bigger one is narrowed with the filters first. */
export const auditCsvMax = 100_000

const dayMs = 86_400_000

/** What the filters ask, as the audit service reads it; `departments` is the reader's scope. */
export function auditFilter (query: AuditQuery, departments: number[] | null, now: number): AuditFilter {
  const days = Number(query.period ?? '')
  const department = query.department ? Number(query.department) : undefined
  if (query.from && query.to && query.from > query.to) throw new LC_ERR_AUDIT_RANGE()
  // The period and the dates narrow together: the later start and the earlier end hold.
  const starts = [...(days > 0 ? [now - days * dayMs] : []), ...(query.from ? [Date.parse(`${query.from}T00:00:00Z`)] : [])]
  return {
    departments,
    ...(department === undefined ? {} : { departmentId: department }),
    ...(query.who ? { actorId: query.who } : {}),
    ...(query.action ? { action: query.action } : {}),
    ...(starts.length > 0 ? { from: Math.max(...starts) } : {}),
    ...(query.to ? { to: Date.parse(`${query.to}T00:00:00Z`) + dayMs } : {}),
    ...(query.q?.trim() ? { subject: query.q.trim() } : {}),
    ...(query.before === undefined ? {} : { beforeId: query.before })
  }
}

/** Before and after as one short line: JSON without its quotes around names. */
function compact (value: unknown): string {
  if (value === null || value === undefined) return '—'
  const text = JSON.stringify(value)
  return text.length > 300 ? `${text.slice(0, 299)}…` : text
}

const actionLabel = (action: string): string => auditActions[action as AuditAction] ?? action

/** The page's parts: the filters (list kit), the table (list kit) and the address of the next page and of the CSV. */
export interface AuditPageModel {
  filters: FiltersModel
  table: ListTableModel
  older: string | null
  csv: string
}

export interface AuditPlace {
  /** The page's own path: /admin/audit or /console/audit. */
  path: string
  departments: Department[]
  actors: Array<{ id: string, name: string }>
}

/** The audit page's model from the rows read (one beyond the page: whether there are older ones). */
export function auditPageModel (place: AuditPlace, query: AuditQuery, found: AuditRecord[]): AuditPageModel {
  const shown = found.slice(0, auditPageSize)
  const narrowed = { q: query.q, who: query.who, action: query.action, period: query.period, department: query.department, from: query.from, to: query.to }
  const deptName = new Map(place.departments.map((d) => [d.id, d.name]))
  const select = (id: string, name: string, label: string, all: string, options: Array<{ value: string | number, text: string }>, chosen: string | undefined) =>
    ({ id, name, label, all, options: options.map((o) => ({ ...o, selected: String(o.value) === (chosen ?? '') })) })
  return {
    filters: {
      action: place.path,
      label: 'Filter the audit log',
      keep: [],
      search: {
        id: 'lc-audit-search',
        label: 'Search subjects',
        hint: 'Finds entries whose subject contains these words: a chat number, a group, a setting',
        maxLength: 100,
        value: query.q ?? '',
        clearUrl: query.q ? listAddress(place.path, { ...narrowed, q: undefined }) : null,
        error: null,
        alert: false
      },
      selects: [
        select('lc-audit-who', 'who', 'Who', 'Anyone', place.actors.map((a) => ({ value: a.id, text: a.name })), query.who),
        select('lc-audit-action', 'action', 'Action', 'Any action', Object.entries(auditActions).map(([value, text]) => ({ value, text })), query.action),
        select('lc-audit-period', 'period', 'Period', 'Any time', Object.entries(auditPeriods).map(([value, text]) => ({ value, text })), query.period),
        select('lc-audit-department', 'department', 'Department', 'Any department', place.departments.map((d) => ({ value: d.id, text: d.name })), query.department)
      ],
      dates: [
        { id: 'lc-audit-from', name: 'from', label: 'From (UTC date)', value: query.from ?? '' },
        { id: 'lc-audit-to', name: 'to', label: 'To (UTC date)', value: query.to ?? '' }
      ],
      carry: [],
      apply: true,
      showAll: Object.values(narrowed).some((v) => v !== undefined && v !== '') ? place.path : null
    },
    table: {
      id: 'lc-audit-table',
      label: 'Audit log',
      refreshUrl: null,
      tableClass: 'lc-audit-table',
      sized: false,
      select: null,
      headers: [
        { key: 'at', label: 'When' }, { key: 'who', label: 'Who' }, { key: 'ip', label: 'From' }, { key: 'action', label: 'Action' },
        { key: 'subject', label: 'Subject' }, { key: 'department', label: 'Department' }, { key: 'before', label: 'Before' }, { key: 'after', label: 'After' }
      ],
      rows: shown.map((r) => ({
        id: `lc-audit-${r.id}`,
        className: 'lc-audit-row',
        cells: [
          { kind: 'time', at: r.at },
          { kind: 'text', text: r.actorName },
          { kind: 'text', text: r.ip ?? '—' },
          { kind: 'text', text: actionLabel(r.action) },
          { kind: 'text', text: r.subject },
          { kind: 'text', text: r.departmentId === null ? '—' : deptName.get(r.departmentId) ?? `#${r.departmentId}` },
          { kind: 'text', text: compact(r.before) },
          { kind: 'text', text: compact(r.after) }
        ]
      })),
      empty: 'No entries match these filters.',
      more: null
    },
    older: found.length > auditPageSize ? listAddress(place.path, { ...narrowed, before: shown[shown.length - 1]!.id }) : null,
    csv: listAddress(`${place.path}.csv`, narrowed)
  }
}

/**
 * One CSV cell. A cell a spreadsheet would read as a formula (starting with = + - @, or a tab
 * or carriage return that some strip first) gets a leading apostrophe (OWASP's advice on CSV
 * injection): user text such as a chat's customer name reaches these cells.
 */
export function csvCell (value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return `"${safe.replace(/"/g, '""')}"`
}

export const csvHeader = ['When (UTC)', 'Who', 'Who (id)', 'From', 'Action', 'Subject', 'Department', 'Before', 'After']

/** One entry as a CSV line (CRLF-ended, RFC 4180). */
export function csvLine (r: AuditRecord, deptName: Map<number, string>): string {
  const cells = [
    new Date(r.at).toISOString(), r.actorName, r.actorId ?? '', r.ip ?? '', actionLabel(r.action), r.subject,
    r.departmentId === null ? '' : deptName.get(r.departmentId) ?? String(r.departmentId),
    r.before === null ? '' : JSON.stringify(r.before), r.after === null ? '' : JSON.stringify(r.after)
  ]
  return cells.map(csvCell).join(',') + '\r\n'
}
