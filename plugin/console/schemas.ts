import type { FromSchema } from 'json-schema-to-ts'

/** The Available switch with "Available for N" (docs/features.md#availability). */
export const availabilityBody = {
  $id: 'lc/console/availability',
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    available: { enum: ['on'] },
    max_chats: { type: 'string', pattern: '^[0-9]{1,3}$' },
    _csrf: { type: 'string', maxLength: 200 }
  }
} as const
export type AvailabilityBody = FromSchema<typeof availabilityBody>

/** The transfer form (docs/features.md#transfer): new group, new agent or auto-assign, comment. */
export const transferBody = {
  $id: 'lc/console/transfer',
  type: 'object',
  additionalProperties: false,
  required: ['group_id'],
  properties: {
    group_id: { type: 'string', pattern: '^[0-9]{1,10}$' },
    agent: { type: 'string', maxLength: 64, pattern: '^(|auto|[A-Za-z0-9_.@-]{1,64})$' },
    comment: { type: 'string', maxLength: 2000 },
    _csrf: { type: 'string', maxLength: 200 }
  }
} as const
export type TransferBody = FromSchema<typeof transferBody>

/** The agent's alert preferences: one switch per kind of alert (absent = off). */
export const notificationsBody = {
  $id: 'lc/console/notifications',
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    queued: { enum: ['on'] },
    assigned: { enum: ['on'] },
    transferred: { enum: ['on'] },
    message: { enum: ['on'] },
    im: { enum: ['on'] },
    _csrf: { type: 'string', maxLength: 200 }
  }
} as const
export type NotificationsBody = FromSchema<typeof notificationsBody>

/** The console's overlays (views/console/overlays.hbs): asked for with no parameters. */
export const overlaysQuery = {
  $id: 'lc/console/overlays-query',
  type: 'object',
  additionalProperties: false,
  properties: {}
} as const
