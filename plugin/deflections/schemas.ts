import type { FromSchema } from 'json-schema-to-ts'

/** The deflection report takes no parameters; anything else in the address is refused. */
export const reportQuery = {
  $id: 'lc/deflections/report-query',
  type: 'object',
  additionalProperties: false,
  properties: {}
} as const
export type ReportQuery = FromSchema<typeof reportQuery>
