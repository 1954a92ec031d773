import type { Knex } from 'knex'
import type { ChatService } from '../chats/service.ts'
import type { Actor, AgentScope, Chat } from '../chats/types.ts'
import { isUniqueViolation, transact } from '../db/index.ts'
import { type CodedError, LC_ERR_FIELD_HAS_VALUES, LC_ERR_FIELD_KEY_TAKEN, LC_ERR_FIELD_NOT_FOUND, LC_ERR_FIELD_VALUE, LC_ERR_FORM_INVALID } from '../errors.ts'
import { shortCache } from '../cache.ts'
import { codePoints, type FormErrors, readText, refuse, valid } from '../web/forms.ts'
import { type FieldInput, limits } from './schemas.ts'
import * as store from './store.ts'
import type { CustomField, FieldType } from './store.ts'

export type { CustomField, FieldType } from './store.ts'

export const typeLabels: Record<FieldType, string> = { text: 'Text', number: 'Number', yesno: 'Yes/no', choice: 'Choice' }

const messages = {
  typeLocked: (n: number) => `The type cannot change while ${n} ${n === 1 ? 'chat has a value' : 'chats have values'} for this field; delete the field and create it again instead`,
  required: (label: string) => `${label} is required; fill it in before saving`,
  number: (label: string) => `${label} must be a number, like 4471 or 12.5`,
  choice: (label: string, options: string[]) => `${label}: choose one of ${options.join(', ')}`,
  yesno: (label: string) => `${label}: choose Yes or No`,
  long: (label: string) => `${label} can be at most ${limits.text} characters; shorten it`
}

/** Values checked against their fields: what to store (null clears) by field id, and the errors by key. */
export interface CheckedValues {
  values: Array<{ field: CustomField, value: string | null }>
  errors: FormErrors
}

/** How a stored value reads: yes/no in words, the rest as stored. */
export function display (field: CustomField, value: string): string {
  if (field.type === 'yesno') return value === 'yes' ? 'Yes' : 'No'
  return value
}

/**
 * One value against its field: the normalised value to store (null to clear it), or the
 * reason it does not fit. `requireFilled` applies the field's Required rule.
 */
export function checkValue (field: CustomField, typed: string, requireFilled: boolean): { value: string | null } | { error: string } {
  const text = readText(typed)
  if (text === '') return requireFilled && field.required ? { error: messages.required(field.label) } : { value: null }
  switch (field.type) {
    case 'number': {
      const plain = text.replace(/[\s,]/g, '')
      if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(plain) || !Number.isFinite(Number(plain))) return { error: messages.number(field.label) }
      return { value: String(Number(plain)) }
    }
    case 'yesno':
      return text === 'yes' || text === 'no' ? { value: text } : { error: messages.yesno(field.label) }
    case 'choice':
      return field.options.includes(text) ? { value: text } : { error: messages.choice(field.label, field.options) }
    default:
      return codePoints(text) > limits.text ? { error: messages.long(field.label) } : { value: text }
  }
}

/** Checks every one of `fields` against what was posted for it (by key); missing counts as empty. */
export function checkValues (fields: CustomField[], posted: Record<string, string>, requireFilled: boolean): CheckedValues {
  const out: CheckedValues = { values: [], errors: {} }
  for (const field of fields) {
    const result = checkValue(field, posted[field.key] ?? '', requireFilled)
    if ('error' in result) refuse(out, field.key, new LC_ERR_FIELD_VALUE(result.error))
    else out.values.push({ field, value: result.value })
  }
  return out
}

export interface FieldServiceDeps {
  db: Knex
  chats: ChatService
  clock?: () => number
}

export type FieldService = ReturnType<typeof createFieldService>

/**
 * Chat custom fields (docs/features.md#custom-fields): the administrator defines them; agents,
 * the customer on the pre-chat form, or an integration fill them in per chat. Every change
 * of a chat's value is recorded in its History.
 */
export function createFieldService ({ db, chats, clock = Date.now }: FieldServiceDeps) {
  const definitions = shortCache(async () => (await store.fields(db)).map(store.toField), 0, clock)
  async function list (): Promise<CustomField[]> {
    return await definitions.get()
  }

  async function get (id: number): Promise<CustomField> {
    const row = await store.field(db, id)
    if (!row) throw new LC_ERR_FIELD_NOT_FOUND(String(id))
    return store.toField(row)
  }

  /** Keys are unique ignoring case, so both databases refuse the same keys (MySQL's collation ignores case, SQLite's does not). */
  async function keyOwner (key: string, exceptId?: number): Promise<CustomField | undefined> {
    return (await list()).find((f) => f.id !== exceptId && f.key.toLocaleLowerCase() === key.toLocaleLowerCase())
  }

  const columns = (input: FieldInput): store.FieldColumns => ({
    label: input.label,
    field_key: input.key,
    type: input.type,
    options: input.type === 'choice' ? JSON.stringify(input.options) : null,
    required: input.required,
    on_prechat: input.onPrechat
  })

  /** Another request took the key between the check and the write: the same refusal. */
  async function keyGuarded<T> (input: FieldInput, write: () => Promise<T>): Promise<T> {
    try {
      return await write()
    } catch (err) {
      if (!isUniqueViolation(err)) throw err
      throw new LC_ERR_FIELD_KEY_TAKEN((await keyOwner(input.key))?.label ?? 'another field', input.key)
    }
  }

  /** Writes the changed values of one chat and their History rows in one transaction. */
  async function write (chat: Chat, actor: Actor, checked: CheckedValues['values']): Promise<number> {
    const before = new Map((await store.valuesOf(db, chat.id)).map((r) => [Number(r.field_id), r.value]))
    const changes = checked.filter(({ field, value }) => (before.get(field.id) ?? null) !== value)
    if (changes.length === 0) return 0
    const at = clock()
    await transact(db, async (trx) => {
      for (const { field, value } of changes) {
        if (value === null) {
          await store.deleteValue(trx, chat.id, field.id)
          await chats.recordHistory(chat.id, actor, 'field_cleared', { fieldId: field.id, label: field.label }, trx)
        } else {
          await store.putValue(trx, { chat_id: chat.id, field_id: field.id, value, updated_at: at, updated_by: actor.name })
          await chats.recordHistory(chat.id, actor, 'field_set', { fieldId: field.id, label: field.label, value: display(field, value) }, trx)
        }
      }
    })
    return changes.length
  }

  return {
    list,
    get,

    /** The fields the customer is asked on the pre-chat form, in order. */
    async prechatFields (): Promise<CustomField[]> {
      return (await list()).filter((f) => f.onPrechat)
    },

    /** How many chats have a value for the field (asked before deleting it). */
    async valueCount (id: number): Promise<number> {
      return await store.valueCount(db, id)
    },

    /** Adds a field at the end of the list. Throws LC_ERR_FIELD_KEY_TAKEN for a key in use. */
    async create (input: FieldInput): Promise<CustomField> {
      const owner = await keyOwner(input.key)
      if (owner) throw new LC_ERR_FIELD_KEY_TAKEN(owner.label, input.key)
      const id = await keyGuarded(input, async () => await store.insertField(db, { ...columns(input), created_at: clock() }))
      definitions.clear()
      return await get(id)
    },

    /**
     * Changes a field. Its type stays while chats have values for it: stored values would
     * no longer fit. Values stay as they are when options or Required change; an agent
     * saving the chat again is asked to fix them.
     */
    async update (id: number, input: FieldInput): Promise<CustomField> {
      const field = await get(id)
      const owner = await keyOwner(input.key, id)
      if (owner) throw new LC_ERR_FIELD_KEY_TAKEN(owner.label, input.key)
      if (input.type !== field.type) {
        const n = await store.valueCount(db, id)
        if (n > 0) throw Object.assign(new LC_ERR_FORM_INVALID(messages.typeLocked(n)), { field: 'type' })
      }
      await keyGuarded(input, async () => await store.updateField(db, id, columns(input)))
      definitions.clear()
      return await get(id)
    },

    /**
     * Deletes a field and every chat's value for it. Once chats have values, `confirmed`
     * must say the person agreed to lose them (LC_ERR_FIELD_HAS_VALUES otherwise).
     */
    async remove (id: number, confirmed: boolean): Promise<{ field: CustomField, values: number }> {
      const field = await get(id)
      const values = await transact(db, async (trx) => {
        const n = await store.valueCount(trx, id)
        if (n > 0 && !confirmed) throw new LC_ERR_FIELD_HAS_VALUES(field.label, String(n))
        await store.deleteValuesOf(trx, id)
        if (await store.deleteField(trx, id) === 0) throw new LC_ERR_FIELD_NOT_FOUND(String(id))
        return n
      })
      definitions.clear()
      return { field, values }
    },

    /** Moves a field one place up or down the list (nothing at either end). */
    async move (id: number, direction: 'up' | 'down'): Promise<CustomField> {
      const field = await get(id)
      await transact(db, async (trx) => {
        const all = (await store.fields(trx)).map(store.toField)
        const at = all.findIndex((f) => f.id === id)
        const other = all[direction === 'up' ? at - 1 : at + 1]
        if (at < 0 || !other) return
        // Renumbered from the current order, so equal sort_orders (old rows) still move.
        const order = all.map((f) => f.id)
        order.splice(at, 1)
        order.splice(all.indexOf(other), 0, id)
        for (const [i, fid] of order.entries()) await store.updateField(trx, fid, { sort_order: i + 1 })
      })
      definitions.clear()
      return field
    },

    /** A chat's fields with their values (the agent must be allowed to see the chat). */
    async forChat (chatId: number, scope: AgentScope): Promise<{ chat: Chat, fields: Array<{ field: CustomField, value: string | null }> }> {
      const chat = await chats.chatForAgent(chatId, scope)
      const [fields, values] = await Promise.all([list(), store.valuesOf(db, chat.id)])
      const byField = new Map(values.map((v) => [Number(v.field_id), v.value]))
      return { chat, fields: fields.map((field) => ({ field, value: byField.get(field.id) ?? null })) }
    },

    /** The values a chat has, in field order, as they read: the line at the top of the conversation. */
    async valuesOf (chatId: number): Promise<Array<{ label: string, value: string }>> {
      // One statement, values joined to their fields: every console page and pane asks.
      return (await store.filledFields(db, chatId)).map((row) => {
        const field = store.toField(row)
        return { label: field.label, value: display(field, row.value) }
      })
    },

    /** Checks the pre-chat form's answers (by key) for the fields asked there. */
    async checkPrechat (posted: Record<string, string>): Promise<CheckedValues> {
      return checkValues((await list()).filter((f) => f.onPrechat), posted, true)
    },

    /**
     * An agent's Custom Fields tab saved: every field is checked (Required included), and
     * only if all fit are the changed ones stored, each with its History row. Returns the
     * errors by key (nothing stored) or how many values changed.
     */
    async save (chatId: number, scope: AgentScope, posted: Record<string, string>): Promise<{ errors: FormErrors, changed: number }> {
      const chat = await chats.chatForAgent(chatId, scope)
      // A field the form did not have (added since the tab was opened) keeps its value.
      const current = new Map((await store.valuesOf(db, chat.id)).map((r) => [Number(r.field_id), r.value]))
      const all = await list()
      const merged = Object.fromEntries(all.map((f) => [f.key, Object.hasOwn(posted, f.key) ? posted[f.key]! : current.get(f.id) ?? '']))
      const checked = checkValues(all, merged, true)
      if (!valid(checked)) return { errors: checked.errors, changed: 0 }
      return { errors: {}, changed: await write(chat, { kind: 'agent', id: scope.id, name: scope.name }, checked.values) }
    },

    /** The pre-chat form's checked answers, stored with the chat that just started, as the customer's. */
    async saveFromCustomer (chat: Chat, answers: CheckedValues['values']): Promise<void> {
      await write(chat, { kind: 'customer', id: chat.customerUserId, name: chat.customerName }, answers.filter((a) => a.value !== null))
    }
  }
}

/** The admin form's refusal a service threw, beside the field it is about (`key` unless told). */
export function refusalField (err: CodedError): string {
  return (err as CodedError & { field?: string }).field ?? 'key'
}
