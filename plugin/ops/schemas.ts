export const healthResponse = {
  $id: 'lc/ops/health',
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: { status: { const: 'ok' } }
} as const

export const readyResponse = {
  $id: 'lc/ops/ready',
  type: 'object',
  additionalProperties: false,
  required: ['status', 'checks', 'failing'],
  properties: {
    status: { enum: ['ready', 'unavailable'] },
    /** Each part: 'ok', or why not. */
    checks: {
      type: 'object',
      additionalProperties: false,
      required: ['database', 'bus', 'jobs'],
      properties: {
        database: { type: 'string' },
        bus: { type: 'string' },
        jobs: { type: 'string' }
      }
    },
    /** The names of the parts that are not 'ok'. */
    failing: { type: 'array', items: { type: 'string' } }
  }
} as const
