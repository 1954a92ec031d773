import type { FromSchema } from 'json-schema-to-ts'
import { LC_ERR_TICKET_FIELD_OPTION, LC_ERR_TICKET_FIELD_REQUIRED, LC_ERR_TICKET_FIELD_TOO_LONG, LC_ERR_TICKET_SUMMARY } from '../errors.ts'
import type { TemplateField, TicketTemplate } from '../host/adapter.ts'
import { csrfField } from '../security/schemas.ts'
import { codePoints, defineForm, type FieldSpec, readText, select, text } from '../web/forms.ts'

/** How a template field travels in a form: `f_` and the host's field name. */
export const fieldPrefix = 'f_'

/** The help desk's limits: a summary is one line of at most 255 characters, a template field at most 4,000. */
export const maxSummaryLength = 255
export const maxFieldLength = 4000

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

const summaryRefused = () => new LC_ERR_TICKET_SUMMARY()

/** The summary is one line: every run of spaces and line breaks reads as one space. */
const summaryField: FieldSpec<string> = {
  ...text({ required: summaryRefused, max: maxSummaryLength, tooLong: summaryRefused }),
  read: (value) => readText(value).replace(/\s+/g, ' ')
}

/** A template field with the rules the template gives it: required or not, a closed list or free text. */
function templateField (field: TemplateField): FieldSpec<string> {
  const required = field.required && (() => new LC_ERR_TICKET_FIELD_REQUIRED(field.label))
  const tooLong = () => new LC_ERR_TICKET_FIELD_TOO_LONG(field.label, maxFieldLength.toLocaleString('en'))
  if (!field.options) return text({ required, max: maxFieldLength, tooLong })
  return select(field.options, {
    required,
    unknown: () => new LC_ERR_TICKET_FIELD_OPTION(field.label),
    check: (value) => codePoints(value) > maxFieldLength ? tooLong() : null
  })
}

/**
 * Confirm + Save of one template (docs/features.md#create-ticket): the summary and the
 * template's own fields, each as `f_<name>` so a host field called "summary" stays its own.
 */
export function confirmForm (template: TicketTemplate) {
  const fields: Record<string, FieldSpec<string>> = { summary: summaryField }
  for (const field of template.fields ?? []) fields[`${fieldPrefix}${field.name}`] = templateField(field)
  return defineForm(fields)
}
