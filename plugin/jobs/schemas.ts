import type { FromSchema } from 'json-schema-to-ts'

/** A job id in a route, as manifest.json's jobs section spells them. */
export const jobParams = {
  $id: 'lc/jobs/job-params',
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,63}$' } }
} as const
export type JobParams = FromSchema<typeof jobParams>

/** The Scheduled jobs page takes no parameters; anything else in the address is refused. */
export const jobsQuery = {
  $id: 'lc/jobs/page-query',
  type: 'object',
  additionalProperties: false,
  properties: {}
} as const
