import type { FromSchema } from 'json-schema-to-ts'
import { periodChoices } from './service.ts'
import { tableIds } from './view-models.ts'

/** A report's period and filters (docs/reports.md), shared by the page and the JSON API. */
export const reportFilters = {
  period: { type: 'string', enum: periodChoices },
  from: { type: 'string', format: 'date', maxLength: 10 },
  to: { type: 'string', format: 'date', maxLength: 10 },
  department: { type: 'integer', minimum: 1 },
  group: { type: 'integer', minimum: 1 },
  agent: { type: 'string', minLength: 1, maxLength: 64 }
} as const

/** The Reports page's filters (docs/reports.md); an unknown one is refused, not ignored. */
export const reportQuery = {
  $id: 'lc/reports/query',
  type: 'object',
  additionalProperties: false,
  properties: reportFilters
} as const
export type ReportQueryString = FromSchema<typeof reportQuery>

/** Which table a CSV export is. */
export const csvParams = {
  $id: 'lc/reports/csv-params',
  type: 'object',
  additionalProperties: false,
  required: ['table'],
  properties: { table: { type: 'string', enum: tableIds } }
} as const
export type CsvParams = FromSchema<typeof csvParams>

/** The wallboard: `tv=1` for the full-screen mode readable across a room. */
export const wallboardQuery = {
  $id: 'lc/reports/wallboard-query',
  type: 'object',
  additionalProperties: false,
  properties: { tv: { type: 'string', enum: ['1', '0'] } }
} as const
export type WallboardQuery = FromSchema<typeof wallboardQuery>
