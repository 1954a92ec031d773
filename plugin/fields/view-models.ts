import type { AgentScope } from '../chats/types.ts'
import { type Fragment, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import type { Views } from '../web/views.ts'
import { type CustomField, display, type FieldService, type FieldType, type FormState, limits, typeLabels } from './service.ts'

export type FieldViews = ReturnType<typeof createFieldViews>

/** What the field routes are given (RouteDeps.fields): the service and its views. */
export interface FieldsDeps {
  service: FieldService
  views: FieldViews
}

const emptyForm = (): FormState => ({ values: { type: 'text' }, errors: {} })

/** One field as an input: shared by the agent's tab and the pre-chat form (views/fields/input.hbs). */
function input (field: CustomField, typed: string, error: string | undefined, idPrefix: string) {
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
export function createFieldViews ({ base, fields, views }: { base: string, fields: FieldService, views: Views }) {
  const chatUrl = (chatId: number): string => `${base}/console/chats/${chatId}`
  const types = (selected: string) => (Object.keys(typeLabels) as FieldType[]).map((t) => ({ value: t, label: typeLabels[t], selected: t === selected }))

  function newForm (state: FormState = emptyForm()) {
    return { formId: targets.adminNewField(), action: `${base}/admin/fields`, isNew: true, ...state, types: types(state.values.type ?? 'text'), limits }
  }

  function editForm (field: CustomField, state?: FormState) {
    const values = state?.values ?? {
      label: field.label, key: field.key, type: field.type, options: field.options.join('\n'), required: field.required ? 'on' : '', on_prechat: field.onPrechat ? 'on' : ''
    }
    return { formId: targets.adminFieldForm(field.id), action: `${base}/admin/fields/${field.id}`, isNew: false, values, errors: state?.errors ?? {}, types: types(values.type ?? field.type), limits }
  }

  /** The administrator's list, each field with its edit form. */
  async function list () {
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

  async function chatForm (chatId: number, scope: AgentScope, typed?: { posted: Record<string, string>, errors: Record<string, string> }, saved = false) {
    const { chat, fields: all } = await fields.forChat(chatId, scope)
    return {
      chatId: chat.id,
      action: `${chatUrl(chat.id)}/fields`,
      saved,
      inputs: all.map(({ field, value }) => input(field, typed ? typed.posted[field.key] ?? '' : value ?? '', typed?.errors[field.key], `lc-chat-${chat.id}-f`))
    }
  }

  async function valuesLine (chatId: number) {
    return { chatId, items: await fields.valuesOf(chatId) }
  }

  return {
    newForm,
    editForm,
    list,
    valuesLine,

    /** The Custom Fields tab: the chat's fields to fill in, with a link to the administration for those who may define them. */
    async tab (chatId: number, scope: AgentScope, admin: boolean) {
      return { form: await chatForm(chatId, scope), adminUrl: admin ? `${base}/admin/fields` : null }
    },

    async chatFormFragment (chatId: number, scope: AgentScope, typed?: { posted: Record<string, string>, errors: Record<string, string> }, saved = false): Promise<Fragment> {
      return fragment(targets.chatFields(chatId), 'outerHTML', views.render('fields/chat-form', await chatForm(chatId, scope, typed, saved)))
    },

    async valuesLineFragment (chatId: number): Promise<Fragment> {
      return fragment(targets.fieldValues(chatId), 'outerHTML', views.render('fields/values-line', await valuesLine(chatId)))
    },

    async listFragment (): Promise<Fragment> {
      return fragment(targets.adminFields(), 'outerHTML', views.render('fields/list', await list()))
    },

    /** One field's edit form as refused: what was typed and why. */
    editFormFragment (field: CustomField, state: FormState): Fragment {
      return fragment(targets.adminFieldForm(field.id), 'outerHTML', views.render('fields/form', editForm(field, state)))
    },

    newFormFragment (state?: FormState): Fragment {
      return fragment(targets.adminNewField(), 'outerHTML', views.render('fields/form', newForm(state)))
    },

    /** The pre-chat form's questions, with what the customer typed and the problems beside them. */
    async prechat (posted: Record<string, string>, errors: Record<string, string>) {
      return (await fields.prechatFields()).map((f) => input(f, posted[f.key] ?? '', errors[`f_${f.key}`], 'lc-f'))
    }
  }
}
