import type { FromSchema } from 'json-schema-to-ts'
import { valueProperties } from '../fields/schemas.ts'
import { compiledOnUse, createAjv } from '../validation.ts'
import { defineForm, type FieldSpec, type FormErrors, type FormState, type FormValues, hidden, select, text } from '../web/forms.ts'

/** A department picked from the form's list: its id as the browser posts it (empty for "none posted"). */
const departmentField = { type: 'string', maxLength: 12, pattern: '^[0-9]*$' } as const

export const prechatBody = {
  $id: 'lc/customer/prechat',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'email', 'question'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 120, pattern: '\\S' },
    email: { type: 'string', format: 'email', maxLength: 200 },
    department: departmentField,
    question: { type: 'string', minLength: 1, maxLength: 4000, pattern: '\\S' },
    _csrf: { type: 'string', maxLength: 200 },
    // The signed identity token the form was opened with, checked again on posting (docs/features.md#verified-customer-identity).
    identity: { type: 'string', maxLength: 4000 }
  },
  // The custom fields asked on the form (plugin/fields), as f_<key>; checked against their definitions.
  patternProperties: valueProperties
} as const
export type PrechatBody = FromSchema<typeof prechatBody>

/**
 * "This answered my question" on the suggested solutions page: the pre-chat form
 * carried along in hidden fields, and the article chosen. The article id is the host's,
 * checked against its knowledge base, not here.
 */
export const answeredBody = {
  $id: 'lc/customer/answered',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'email', 'question', 'article'],
  properties: {
    ...prechatBody.properties,
    article: { type: 'string', minLength: 1, maxLength: 64 }
  },
  patternProperties: valueProperties
} as const
export type AnsweredBody = FromSchema<typeof answeredBody>

/** Leave a message (docs/features.md#leave-a-message): the pre-chat form's fields, with the message instead of the question. */
export const leaveMessageBody = {
  $id: 'lc/customer/leave-message',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'email', 'message'],
  properties: {
    name: prechatBody.properties.name,
    email: prechatBody.properties.email,
    department: departmentField,
    message: { type: 'string', minLength: 1, maxLength: 4000, pattern: '\\S' },
    _csrf: { type: 'string', maxLength: 200 }
  }
} as const
export type LeaveMessageBody = FromSchema<typeof leaveMessageBody>

/** `?department=<id>` on the pre-chat and leave-a-message pages: the department to preselect. */
export const departmentQuery = {
  $id: 'lc/customer/department-query',
  type: 'object',
  additionalProperties: false,
  properties: {
    department: { type: 'integer', minimum: 1, maximum: 2147483647 }
  }
} as const
export type DepartmentQuery = FromSchema<typeof departmentQuery>

/** What the widget's button shows (GET /widget/status, docs/features.md#embeddable-widget). */
export const widgetStatusReply = {
  $id: 'lc/customer/widget-status',
  type: 'object',
  additionalProperties: false,
  required: ['available', 'label', 'detail'],
  properties: {
    /** Someone could answer a chat now: within business hours, and an agent is available. */
    available: { type: 'boolean' },
    /** The button's words: "Chat with us", else "Leave a message". */
    label: { type: 'string', maxLength: 60 },
    /** Why nobody is there: closed until when, or nobody available; null while available. */
    detail: { type: ['string', 'null'], maxLength: 300 }
  }
} as const
export type WidgetStatus = FromSchema<typeof widgetStatusReply>

/**
 * The pre-chat page's query: the department, and the identity token a portal or the widget
 * signed for the customer (docs/widget.md), which prefills and locks the name and email.
 */
export const startQuery = {
  $id: 'lc/customer/start-query',
  type: 'object',
  additionalProperties: false,
  properties: {
    ...departmentQuery.properties,
    identity: prechatBody.properties.identity
  }
} as const
export type StartQuery = FromSchema<typeof startQuery>

// ---------------------------------------------------------------- the forms

export const fieldMessages = {
  unknownDepartment: 'Department: pick one of the departments in the list',
  email: 'Email must be a valid email'
}

/** The bounds of prechatBody, checked again on the text as read (trimmed), so each problem is shown beside its field. */
const bounds = prechatBody.properties
const atMost = (label: string) => (max: number): string => `${label} can be at most ${max} characters`
const isEmail = compiledOnUse(createAjv(), { type: 'string', format: bounds.email.format })

/**
 * A textarea's text as the browser sent it, only trimmed. Its line breaks stay CRLF, so the limit
 * counts each as two characters, as the route's schema does: a text over it is refused beside its
 * field, never above the form, and the chat keeps what was sent.
 */
function asSent (field: FieldSpec<string>): FieldSpec<string> {
  return { ...field, read: (value) => typeof value === 'string' ? value.trim() : '' }
}

/** Who is asking, on both forms. A signed-in customer's name and email are the portal's, whatever is posted. */
const contactFields = {
  name: text({ label: 'Name', required: true, max: bounds.name.maxLength, tooLong: atMost('Name') }),
  // Blank is not an email either.
  email: text({
    label: 'Email',
    required: fieldMessages.email,
    max: bounds.email.maxLength,
    tooLong: atMost('Email'),
    check: (email) => isEmail(email) ? null : fieldMessages.email
  }),
  // Here only departmentField's shape: whether it is one of the departments is the customer service's to say.
  department: select(undefined, { check: (id) => /^[0-9]{1,12}$/.test(id) ? null : fieldMessages.unknownDepartment })
}

const prechatFields = {
  ...contactFields,
  question: asSent(text({ label: 'Question', required: true, max: bounds.question.maxLength, tooLong: atMost('Question') }))
}

/** The pre-chat form. Its custom fields (`f_<key>`) are read and checked by plugin/fields, beside it. */
export const prechatForm = defineForm(prechatFields)

/**
 * "This answered my question": the pre-chat form carried in hidden fields, and the article's
 * button. A missing or malformed article is the request's problem (answeredBody), said above the form.
 */
export const answeredForm = defineForm({ ...prechatFields, article: hidden() })

/** Leave a message. */
export const leaveMessageForm = defineForm({
  ...contactFields,
  message: asSent(text({ label: 'Message', required: true, max: leaveMessageBody.properties.message.maxLength, tooLong: atMost('Message') }))
})

export type PrechatValues = FormValues<typeof prechatForm>
/** What both forms ask. */
export type ContactValues = Pick<PrechatValues, 'name' | 'email' | 'department'>
export type LeaveMessageValues = FormValues<typeof leaveMessageForm>

/** The custom fields' answers by key, as typed (`f_<key>` on the form). */
export type CustomAnswers = Record<string, string>

/** The pre-chat form as rendered: what was typed, custom fields too, and every problem, a custom field's by its input (`f_<key>`). */
export interface PrechatState extends FormState<PrechatValues> {
  errors: FormErrors<keyof PrechatValues | `f_${string}`>
  fields: CustomAnswers
}
export type LeaveMessageState = FormState<LeaveMessageValues>
