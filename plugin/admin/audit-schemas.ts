import type { FromSchema } from 'json-schema-to-ts'
import { auditActions } from '../audit/service.ts'

/** How far back the Period filter reaches, in days (docs/features.md#audit-log). */
export const auditPeriods = { 1: 'Last 24 hours', 7: 'Last 7 days', 30: 'Last 30 days', 90: 'Last 90 days', 365: 'Last 365 days' } as const
export const auditPeriodDays = Object.keys(auditPeriods)

/** The audit pages' and their CSV's filters, as the filter form sends them (empty: not narrowed). */
export const auditQuery = {
  $id: 'lc/admin/audit-query',
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { type: 'string', maxLength: 100 },
    who: { type: 'string', maxLength: 70 },
    action: { type: 'string', enum: ['', ...Object.keys(auditActions)] },
    period: { type: 'string', enum: ['', ...auditPeriodDays] },
    department: { type: 'string', maxLength: 12, pattern: '^[0-9]*$' },
    // A custom range of UTC dates, both included (the CSV's times are UTC too); empty: not narrowed.
    from: { type: 'string', maxLength: 10, anyOf: [{ maxLength: 0 }, { format: 'date' }] },
    to: { type: 'string', maxLength: 10, anyOf: [{ maxLength: 0 }, { format: 'date' }] },
    before: { type: 'integer', minimum: 1 }
  }
} as const

export type AuditQuery = FromSchema<typeof auditQuery>
