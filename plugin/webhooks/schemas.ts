import type { FromSchema } from 'json-schema-to-ts'
import { type CodedError, isCoded } from '../errors.ts'
import { csrfField as csrf, idField } from '../security/schemas.ts'
import { checkboxes, defineForm, text } from '../web/forms.ts'
import { parseEndpointUrl } from './address.ts'
import { webhookEventTypes } from './events.ts'
import type { NewEndpoint } from './service.ts'

export const limits = { url: 500, description: 200 }

export const endpointParams = {
  $id: 'lc/webhooks/endpoint-params',
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: idField }
} as const

export const deliveryParams = {
  $id: 'lc/webhooks/delivery-params',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'deliveryId'],
  properties: { id: idField, deliveryId: { type: 'integer', minimum: 1, maximum: 9007199254740991 } }
} as const

const eventName = { type: 'string', maxLength: 40 } as const

/** Registering an endpoint. Lengths are caps on the request only: the form's rules say what is wrong beside each field. */
export const endpointBody = {
  $id: 'lc/webhooks/endpoint',
  type: 'object',
  additionalProperties: false,
  properties: {
    url: { type: 'string', maxLength: 2000 },
    description: { type: 'string', maxLength: 1000 },
    events: { anyOf: [eventName, { type: 'array', maxItems: 20, items: eventName }] },
    _csrf: csrf
  }
} as const
export type EndpointBody = FromSchema<typeof endpointBody>

/** Why a written URL is refused, as the field says it; null when it is fine. */
function urlProblem (value: string): CodedError | null {
  try {
    parseEndpointUrl(value)
    return null
  } catch (err) {
    if (isCoded(err)) return err
    throw err
  }
}

/** The administrator's form: every problem at once, beside its field. */
export const endpointForm = defineForm({
  url: text({
    label: 'URL',
    required: 'Write the address of the receiver, starting with https://',
    max: limits.url,
    check: urlProblem
  }),
  description: text({ label: 'Description', max: limits.description }),
  events: checkboxes({ label: 'Events', options: webhookEventTypes, required: 'Tick at least one event for this endpoint to receive' })
}, {
  input: (v): NewEndpoint => ({ url: v.url, description: v.description, events: v.events })
})
