import type { AgentScope } from '../chats/types.ts'
import { targets } from '../realtime/targets.ts'
import { bind, type Fragment } from '../web/fragments.ts'
import { type FieldError, type FormErrors, type FormState, type FormValues } from '../web/forms.ts'
import { type fieldForm, limits } from './schemas.ts'
import { type CustomField, display, type FieldService, type FieldType, typeLabels } from './service.ts'

/** The field form's state: what was typed and why it was refused, or what is stored. */
export type FieldFormState = FormState<FormValues<typeof fieldForm>>

/** views/fields/form.hbs: a new field, or one field's edit form. */
export interface FieldFormModel extends FieldFormState {
  formId: string
  action: string
  isNew: boolean
  types: Array<{ value: FieldType, label: string, selected: boolean }>
  limits: typeof limits
}

/** views/fields/list.hbs: the administrator's list, each field with its edit form. */
export interface FieldListModel {
  base: string
  items: Array<{ field: CustomField, typeLabel: string, first: boolean, last: boolean, values: number, confirm: string | null, form: FieldFormModel }>
}

/** views/fields/input.hbs: one custom field as an input, in the Custom Fields tab and on the pre-chat form. */
export interface FieldInputModel {
  id: string
  name: string
  label: string
  required: boolean
  select: boolean
  number: boolean
  maxlength: number | null
  value: string
  options: Array<{ value: string, label: string, selected: boolean }>
  error: FieldError | null
}

/** views/fields/chat-form.hbs: a chat's fields to fill in. */
export interface ChatFieldsModel {
  chatId: number
  action: string
  saved: boolean
  inputs: FieldInputModel[]
}

/** views/fields/values-line.hbs: the values atop a chat's conversation. */
export interface FieldValuesModel {
  chatId: number
  items: Array<{ label: string, value: string }>
}

/** views/fields/tab.hbs: the Custom Fields tab. */
export interface FieldsTabModel {
  form: ChatFieldsModel
  adminUrl: string | null
}

/** What an agent typed into the tab and what was refused, by field key. */
export interface TypedValues {
  posted: Record<string, string>
  errors: FormErrors
}

export const fieldFormFragment = bind('fields/form', 'outerHTML', (m: FieldFormModel) => m.formId)
export const fieldListFragment = bind('fields/list', 'outerHTML', (_m: FieldListModel) => targets.adminFields())
export const chatFieldsFragment = bind('fields/chat-form', 'outerHTML', (m: ChatFieldsModel) => targets.chatFields(m.chatId))
export const fieldValuesFragment = bind('fields/values-line', 'outerHTML', (m: FieldValuesModel) => targets.fieldValues(m.chatId))
export const fieldsTabFragment = bind('fields/tab', 'innerHTML', (m: FieldsTabModel) => targets.tabPanel(m.form.chatId))

export type FieldViews = ReturnType<typeof createFieldViews>

const emptyForm = (): FieldFormState => ({ values: { type: 'text' }, errors: {} })

/** One field as an input: shared by the agent's tab and the pre-chat form (views/fields/input.hbs). */
function input (field: CustomField, typed: string, error: FieldError | undefined, idPrefix: string): FieldInputModel {
  const choices = field.type === 'choice' ? field.options : field.type === 'yesno' ? ['yes', 'no'] : []
  const options = choices.map((o) => ({ value: o, label: field.type === 'yesno' ? display(field, o) : o, selected: o === typed }))
  // A value the list no longer has (or a tampered one) stays visible and selected, so the person sees what is wrong.
  if (choices.length > 0 && typed !== '' && !choices.includes(typed)) options.push({ value: typed, label: `${typed} (not an option)`, selected: true })
  return {
    id: `${idPrefix}-${field.key}`,
    name: `f_${field.key}`,
    label: field.label,
    required: field.required,
    select: choices.length > 0,
    number: field.type === 'number',
    maxlength: field.type === 'text' ? limits.text : null,
    value: typed,
    options,
    error: error ?? null
  }
}

/** Data for views/fields/*, shared by the pages, the htmx answers and the pane. */
export function createFieldViews ({ base, fields }: {
  base: string
  fields: Pick<FieldService, 'list' | 'valueCount' | 'forChat' | 'valuesOf' | 'prechatFields'>
}) {
  const chatUrl = (chatId: number): string => `${base}/console/chats/${chatId}`
  // A blank type is Text, the select's first option.
  const types = (selected: string | undefined) => (Object.keys(typeLabels) as FieldType[]).map((t) => ({ value: t, label: typeLabels[t], selected: t === (selected || 'text') }))

  function newForm (state: FieldFormState = emptyForm()): FieldFormModel {
    return { formId: targets.adminNewField(), action: `${base}/admin/fields`, isNew: true, ...state, types: types(state.values.type), limits }
  }

  function editForm (field: CustomField, state?: FieldFormState): FieldFormModel {
    const values = state?.values ?? {
      label: field.label, key: field.key, type: field.type, options: field.options.join('\n'), required: field.required, on_prechat: field.onPrechat
    }
    return { formId: targets.adminFieldForm(field.id), action: `${base}/admin/fields/${field.id}`, isNew: false, values, errors: state?.errors ?? {}, types: types(values.type ?? field.type), limits }
  }

  /** The administrator's list, each field with its edit form. */
  async function list (): Promise<FieldListModel> {
    const all = await fields.list()
    return {
      base,
      items: await Promise.all(all.map(async (field, i) => {
        const count = await fields.valueCount(field.id)
        return {
          field,
          typeLabel: typeLabels[field.type],
          first: i === 0,
          last: i === all.length - 1,
          values: count,
          confirm: count > 0 ? `Delete ${field.label}? ${count} ${count === 1 ? 'chat has a value' : 'chats have values'} for it, and ${count === 1 ? 'it is' : 'they are'} deleted too.` : null,
          form: editForm(field)
        }
      }))
    }
  }

  async function chatForm (chatId: number, scope: AgentScope, typed?: TypedValues, saved = false): Promise<ChatFieldsModel> {
    const { chat, fields: all } = await fields.forChat(chatId, scope)
    return {
      chatId: chat.id,
      action: `${chatUrl(chat.id)}/fields`,
      saved,
      inputs: all.map(({ field, value }) => input(field, typed ? typed.posted[field.key] ?? '' : value ?? '', typed?.errors[field.key], `lc-chat-${chat.id}-f`))
    }
  }

  async function valuesLine (chatId: number): Promise<FieldValuesModel> {
    return { chatId, items: await fields.valuesOf(chatId) }
  }

  return {
    newForm,
    list,
    valuesLine,

    /** The Custom Fields tab: the chat's fields to fill in, with a link to the administration for those who may define them. */
    async tab (chatId: number, scope: AgentScope, admin: boolean): Promise<Fragment> {
      return fieldsTabFragment({ form: await chatForm(chatId, scope), adminUrl: admin ? `${base}/admin/fields` : null })
    },

    /** The tab's form: as stored (`saved` after a save), or as typed with the refusals beside the fields. */
    async chatForm (chatId: number, scope: AgentScope, typed?: TypedValues, saved = false): Promise<Fragment> {
      return chatFieldsFragment(await chatForm(chatId, scope, typed, saved))
    },

    async valuesLineFragment (chatId: number): Promise<Fragment> {
      return fieldValuesFragment(await valuesLine(chatId))
    },

    async listFragment (): Promise<Fragment> {
      return fieldListFragment(await list())
    },

    /** One field's edit form as refused: what was typed and why. */
    editFormFragment (field: CustomField, state: FieldFormState): Fragment {
      return fieldFormFragment(editForm(field, state))
    },

    /** The new field form: empty after a create, or as refused. */
    newFormFragment (state?: FieldFormState): Fragment {
      return fieldFormFragment(newForm(state))
    },

    /** The pre-chat form's questions, with what the customer typed and the problems beside them (by input name, `f_<key>`). */
    async prechat (posted: Record<string, string>, errors: Readonly<FormErrors>): Promise<FieldInputModel[]> {
      return (await fields.prechatFields()).map((f) => input(f, posted[f.key] ?? '', errors[`f_${f.key}`], 'lc-f'))
    }
  }
}
