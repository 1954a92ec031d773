import type { FastifyReply } from 'fastify'
import { answer } from '../answers.ts'
import { bind, type Fragment } from '../fragments.ts'
import { type FormErrors, readCheckbox, readText, refuse, valid } from '../forms.ts'

/*
 * A list's columns and View → Visible Fields (docs/features.md#chat-lists): which columns an
 * agent shows and how wide, kept per agent through the preferences the caller passes in, and
 * the form that changes them. The same for every list; each screen names its own columns.
 */

/** A column a list offers under View → Visible Fields, with the width (px) it starts at. */
export interface Column<K extends string> { key: K, label: string, width: number }
/** What an agent chose for each column of a list. */
export type Choice<K extends string> = Record<K, { visible: boolean, width: number }>

/** The narrowest and widest a column may be made, in pixels. */
export const minWidth = 40
export const maxWidth = 600

export const fieldMessages = {
  width: (label: string) => `Width of ${label}: type a whole number of pixels from ${minWidth} to ${maxWidth}`,
  noColumn: 'Show at least one column'
}

/**
 * Where an agent's choices are kept (the preferences service): values are JSON the caller
 * owns, read back defensively. A port, so this kit stays below the capabilities.
 */
export interface ChoiceStore {
  get: (agentId: string, key: string) => Promise<unknown>
  set: (agentId: string, key: string, value: unknown) => Promise<void>
}

/** An agent's stored choice of columns, read defensively: anything unexpected falls back to the column's own. */
export function columnChoice<K extends string> (columns: ReadonlyArray<Column<K>>, stored: unknown): Choice<K> {
  const out = {} as Choice<K>
  const saved = typeof stored === 'object' && stored !== null ? stored as Record<string, unknown> : {}
  for (const c of columns) {
    const v = saved[c.key] as { visible?: unknown, width?: unknown } | undefined
    const width = Number(v?.width)
    out[c.key] = {
      visible: typeof v?.visible === 'boolean' ? v.visible : true,
      width: Number.isInteger(width) && width >= minWidth && width <= maxWidth ? width : c.width
    }
  }
  return out
}

/** The columns shown, in their order, each as wide as chosen. */
export function shownColumns<K extends string> (columns: ReadonlyArray<Column<K>>, choice: Choice<K>): Array<Column<K>> {
  return columns.filter((c) => choice[c.key].visible).map((c) => ({ ...c, width: choice[c.key].width }))
}

/** A Visible Fields form as posted: `show_<key>` ticked, `width_<key>` typed. */
export type FieldsBody = Record<string, string | undefined>
/** The same, as a route's schema lets it through for a list's columns. */
export type FieldsBodyOf<K extends string> = Partial<Record<`show_${K}`, 'on'> & Record<`width_${K}`, string>> & { _csrf?: string }

/**
 * The JSON Schema of a list's Visible Fields form: per column a "show" box and a width typed
 * in pixels. Widths are checked by postedFields, so that a mistake comes back beside its
 * field rather than as a 400; anything else is refused here.
 */
export function fieldsBodySchema<K extends string> ($id: string, keys: readonly K[]) {
  return {
    $id,
    type: 'object',
    additionalProperties: false,
    properties: {
      ...Object.fromEntries(keys.flatMap((k) => [[`show_${k}`, { enum: ['on'] }], [`width_${k}`, { type: 'string', maxLength: 12 }]])),
      _csrf: { type: 'string', maxLength: 200 }
    }
  } as const
}

/**
 * A Visible Fields form as posted, read as the form kit reads every form (plugin/web/forms.ts):
 * the choice, and a problem a person can act on beside each column whose width is wrong
 * (`form` when no column is shown). A width left empty is the column's own.
 */
export function postedFields<K extends string> (columns: ReadonlyArray<Column<K>>, body: FieldsBody): { choice: Choice<K>, errors: FormErrors<K> } {
  const form: { errors: FormErrors<K> } = { errors: {} }
  const choice = {} as Choice<K>
  for (const c of columns) {
    const typed = readText(body[`width_${c.key}`])
    const width = typed === '' ? c.width : /^[0-9]{1,4}$/.test(typed) ? Number(typed) : NaN
    if (!(width >= minWidth && width <= maxWidth)) refuse(form, c.key, fieldMessages.width(c.label))
    choice[c.key] = { visible: readCheckbox(body[`show_${c.key}`]), width }
  }
  if (!Object.values<{ visible: boolean }>(choice).some((c) => c.visible)) refuse(form, 'form', fieldMessages.noColumn)
  return { choice, errors: form.errors }
}

/** Where a list's Visible Fields form sits and posts, and what it says: the screen's own. */
export interface FieldsFormPlace {
  /** The form's root id (realtime/targets.ts). */
  id: string
  /** Where the form posts. */
  action: string
  /** The line under Visible Fields: which lists the choice applies to. */
  hint: string
  /** Prefix of each column's ids: `<prefix>-show-<key>`, `<prefix>-width-<key>`, `<prefix>-width-error-<key>`. */
  fieldId: string
  /** The id of the message when no column is shown. */
  errorId: string
}

/** views/lists/columns.hbs: View → Visible Fields, with what the agent chose (or typed, after an error). */
export interface FieldsFormModel extends FieldsFormPlace {
  columns: Array<{ key: string, label: string, visible: boolean, width: string, error: string | null }>
  error: string | null
  /** Open after a refusal, so the reasons are seen beside their fields. */
  open: boolean
  minWidth: number
  maxWidth: number
}

export const fieldsFormFragment = bind('lists/columns', 'outerHTML', (m: FieldsFormModel) => m.id)

export function fieldsFormModel<K extends string> (place: FieldsFormPlace, columns: ReadonlyArray<Column<K>>, choice: Choice<K>, typed?: FieldsBody, errors: FormErrors<K> = {}): FieldsFormModel {
  return {
    ...place,
    columns: columns.map((c) => ({
      key: c.key,
      label: c.label,
      visible: typed ? readCheckbox(typed[`show_${c.key}`]) : choice[c.key].visible,
      width: typed ? typed[`width_${c.key}`] ?? '' : String(choice[c.key].width),
      error: errors[c.key]?.message ?? null
    })),
    error: errors.form?.message ?? null,
    open: !valid({ errors }),
    minWidth,
    maxWidth
  }
}

/** One list's Visible Fields: its columns, where each agent's choice is kept, and its form. */
export interface VisibleFields<K extends string> {
  columns: ReadonlyArray<Column<K>>
  /** The agent's choice, or every column at its own width when they never chose. */
  read: (agentId: string) => Promise<Choice<K>>
  /** The form as the agent's choice stands. */
  form: (choice: Choice<K>) => FieldsFormModel
  /**
   * The form posted: parsed, checked, and kept when right. `saved` false leaves the stored
   * choice alone and gives the form back with what was typed and a reason beside each mistake.
   */
  submit: (agentId: string, body: FieldsBody) => Promise<{ saved: boolean, choice: Choice<K>, form: FieldsFormModel }>
}

/** The answer to a posted Visible Fields form: refused, the form again (422); saved, the form and what else changes with it. */
export async function answerFields (reply: FastifyReply, { saved, form }: { saved: boolean, form: FieldsFormModel }, alsoWhenSaved: Fragment[]): Promise<FastifyReply> {
  return saved ? await answer(reply, [fieldsFormFragment(form), ...alsoWhenSaved]) : await answer(reply, [fieldsFormFragment(form)], 422)
}

export function visibleFields<K extends string> ({ columns, key, place, store }: {
  columns: ReadonlyArray<Column<K>>
  /** The preference the choice is kept under, per agent. */
  key: string
  place: FieldsFormPlace
  store: ChoiceStore
}): VisibleFields<K> {
  const read = async (agentId: string): Promise<Choice<K>> => columnChoice(columns, await store.get(agentId, key))
  return {
    columns,
    read,
    form: (choice) => fieldsFormModel(place, columns, choice),
    async submit (agentId, body) {
      const { choice, errors } = postedFields(columns, body)
      if (!valid({ errors })) {
        const stored = await read(agentId)
        return { saved: false, choice: stored, form: fieldsFormModel(place, columns, stored, body, errors) }
      }
      await store.set(agentId, key, choice)
      return { saved: true, choice, form: fieldsFormModel(place, columns, choice) }
    }
  }
}
