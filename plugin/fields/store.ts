import type { Knex } from 'knex'
import { affected } from '../db/index.ts'
import { orderedTable } from '../db/ordered.ts'

type Db = Knex | Knex.Transaction

export interface LcCustomFieldRow {
  id: number
  label: string
  field_key: string
  type: string
  options: string | null
  required: boolean | number
  on_prechat: boolean | number
  sort_order: number
  created_at: number | string
}

export interface LcChatFieldValueRow {
  chat_id: number
  field_id: number
  value: string
  updated_at: number | string
  updated_by: string
}

export const fieldTypes = ['text', 'number', 'yesno', 'choice'] as const
export type FieldType = typeof fieldTypes[number]

/** A chat custom field as the administrator defined it. */
export interface CustomField {
  id: number
  label: string
  key: string
  type: FieldType
  /** The choices of a choice field, in order; empty for the other types. */
  options: string[]
  required: boolean
  onPrechat: boolean
  sortOrder: number
}

function readOptions (text: string | null): string[] {
  if (!text) return []
  const parsed: unknown = JSON.parse(text)
  return Array.isArray(parsed) ? parsed.map(String) : []
}

export function toField (row: LcCustomFieldRow): CustomField {
  return {
    id: Number(row.id),
    label: row.label,
    key: row.field_key,
    type: (fieldTypes as readonly string[]).includes(row.type) ? row.type as FieldType : 'text',
    options: readOptions(row.options),
    // SQLite and MySQL both hand booleans back as 0/1.
    required: Boolean(Number(row.required)),
    onPrechat: Boolean(Number(row.on_prechat)),
    sortOrder: Number(row.sort_order)
  }
}

export type FieldColumns = Pick<LcCustomFieldRow, 'label' | 'field_key' | 'type' | 'options' | 'required' | 'on_prechat'>

const table = orderedTable<LcCustomFieldRow, FieldColumns>('lc_custom_fields')
/** Every field in the administrator's order; a new one goes last. */
export const { all: fields, one: field, insert: insertField, update: updateField, remove: deleteField } = table

export async function valueCount (db: Db, fieldId: number): Promise<number> {
  const row = await db('lc_chat_field_values').where({ field_id: fieldId }).count({ n: '*' }).first() as { n: number | string } | undefined
  return Number(row?.n ?? 0)
}

export async function valuesOf (db: Db, chatId: number): Promise<LcChatFieldValueRow[]> {
  return await db<LcChatFieldValueRow>('lc_chat_field_values').where({ chat_id: chatId })
}

/** A chat's values with their fields' definitions, in field order: only the fields it has a value for. */
export async function filledFields (db: Db, chatId: number): Promise<Array<LcCustomFieldRow & { value: string }>> {
  return await db('lc_chat_field_values as v').join('lc_custom_fields as f', 'f.id', 'v.field_id')
    .where('v.chat_id', chatId).select('f.*', 'v.value').orderBy([{ column: 'f.sort_order' }, { column: 'f.id' }])
}

/** Sets one value: an insert, or an update of the chat's existing value for the field. */
export async function putValue (db: Db, row: LcChatFieldValueRow): Promise<void> {
  await db('lc_chat_field_values').insert(row).onConflict(['chat_id', 'field_id']).merge(['value', 'updated_at', 'updated_by'])
}

export async function deleteValue (db: Db, chatId: number, fieldId: number): Promise<number> {
  return affected(await db('lc_chat_field_values').where({ chat_id: chatId, field_id: fieldId }).delete())
}

/** Removes the field's values from every chat (the foreign key would too; explicit, so SQLite without foreign keys agrees). */
export async function deleteValuesOf (db: Db, fieldId: number): Promise<number> {
  return affected(await db('lc_chat_field_values').where({ field_id: fieldId }).delete())
}
