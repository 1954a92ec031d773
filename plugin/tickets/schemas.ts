import type { FromSchema } from 'json-schema-to-ts'
import { csrfField } from '../security/schemas.ts'

/** How a template field travels in a form: `f_` and the host's field name. */
export const fieldPrefix = 'f_'

/**
 * Create Incident / Work Order / Ticket (the chat header's menu, a template in Resources,
 * the Confirm + Save form and the Abandon prompt's "create first"). `summary` and the `f_*`
 * values come only from the Confirm + Save form; `next: abandon` returns to the Abandon
 * prompt once the ticket exists. Limits a person fixes (summary length, required fields)
 * are the service's, so the form comes back with what they typed; maxLength here only
 * bounds the request.
 */
export const ticketBody = {
  $id: 'lc/tickets/create',
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: {
    kind: { enum: ['incident', 'work_order', 'ticket'] },
    templateId: { type: 'string', minLength: 1, maxLength: 64 },
    summary: { type: 'string', maxLength: 2000 },
    next: { enum: ['abandon'] },
    _csrf: csrfField
  },
  patternProperties: {
    '^f_[A-Za-z0-9_.-]{1,64}$': { type: 'string', maxLength: 20000 }
  },
  maxProperties: 60
} as const

export type TicketBody = FromSchema<typeof ticketBody>
