import type { FromSchema } from 'json-schema-to-ts'

export const availabilityBody = {
  $id: 'lc/console/availability',
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    available: { enum: ['on'] },
    _csrf: { type: 'string', maxLength: 200 }
  }
} as const
export type AvailabilityBody = FromSchema<typeof availabilityBody>
