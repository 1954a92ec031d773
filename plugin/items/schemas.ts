import type { FromSchema } from 'json-schema-to-ts'
import { defineForm, type FormState, type FormValues, select, text } from '../web/forms.ts'
import type { ItemInput } from './service.ts'

const id = { type: 'integer', minimum: 1, maximum: 2147483647 } as const
const kind = { enum: ['task', 'time_log', 'call_log', 'ticket'] } as const

/** A chat and the kind of item to add to it. */
export const itemKindParams = {
  $id: 'lc/items/kind-params',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'kind'],
  properties: { id, kind }
} as const
export type ItemKindParams = FromSchema<typeof itemKindParams>

/** A chat and one of its items. */
export const itemParams = {
  $id: 'lc/items/params',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'itemId'],
  properties: { id, itemId: id }
} as const
export type ItemParams = FromSchema<typeof itemParams>

/**
 * Any of the Add forms. Limits that a person fixes (title, minutes, note length) are the
 * service's, so the form comes back with what they typed; maxLength here only bounds the request.
 */
export const itemBody = {
  $id: 'lc/items/item',
  type: 'object',
  additionalProperties: false,
  properties: {
    title: { type: 'string', maxLength: 2000 },
    due: { type: 'string', maxLength: 40 },
    note: { type: 'string', maxLength: 100000 },
    minutes: { type: 'string', maxLength: 40 },
    direction: { enum: ['in', 'out'] },
    ref: { type: 'string', maxLength: 200 },
    _csrf: { type: 'string', maxLength: 200 }
  }
} as const
export type ItemBody = FromSchema<typeof itemBody>

/**
 * Any of the Add forms as read (a kind uses some of the fields). Whether what was typed will
 * do is the service's to say, once it knows the agent may see the chat; for a ticket it asks
 * the help desk (docs/features.md#related-items). So the values are kept as typed, for the
 * form to hand back; the service trims what it stores.
 */
export const itemForm = defineForm({
  title: text({ trim: false }),
  due: text({ trim: false }),
  note: text({ trim: false }),
  minutes: text({ trim: false }),
  direction: select(),
  ref: text({ trim: false })
}, {
  input: (v): ItemInput => ({ ...v, direction: v.direction === 'out' ? 'out' : 'in' })
})
export type ItemFormState = FormState<FormValues<typeof itemForm>>

/** The service's refusals a person fixes in the form itself, and the field each belongs beside. */
export const itemRefusals: Readonly<Record<string, keyof ItemFormState['values']>> = {
  LC_ERR_ITEM_TITLE: 'title',
  LC_ERR_ITEM_DUE: 'due',
  LC_ERR_ITEM_NOTE: 'note',
  LC_ERR_ITEM_MINUTES: 'minutes',
  LC_ERR_ITEM_TICKET_REF: 'ref',
  LC_ERR_ITEM_TICKET_UNKNOWN: 'ref',
  LC_ERR_ITEM_TICKET_LINKED: 'ref'
}

/** Done (on) or not done (off) on one task. */
export const doneBody = {
  $id: 'lc/items/done',
  type: 'object',
  additionalProperties: false,
  required: ['done'],
  properties: {
    done: { enum: ['on', 'off'] },
    _csrf: { type: 'string', maxLength: 200 }
  }
} as const
export type DoneBody = FromSchema<typeof doneBody>
