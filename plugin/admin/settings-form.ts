import type { FromSchema } from 'json-schema-to-ts'
import { LC_ERR_SETTING_FIXED, LC_ERR_SETTING_INVALID } from '../errors.ts'
import type { SettingName } from '../settings.ts'
import { fieldError, type FieldError, posted, readCheckbox, readChecked, readText } from '../web/forms.ts'
import type { SettingSchema, SettingsService, SettingState } from './settings-service.ts'

/*
 * The settings screen's form (docs/features.md#settings): every input is made from the
 * setting's schema in the manifest, and what is posted is read back by the same shape, then
 * checked by the same schema (SettingsService.problem). A group of settings is one form.
 */

/** A group of the settings screen, in a route. */
export const settingsGroupParams = {
  $id: 'lc/admin/settings-group',
  type: 'object',
  additionalProperties: false,
  required: ['group'],
  properties: { group: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } }
} as const
export type SettingsGroupParams = FromSchema<typeof settingsGroupParams>

/**
 * A group's form as posted: one field per setting, or per row of a list-like editor
 * (`rolePermissions.role.0`, `jobSchedules.purge`); a checkbox group arrives as a list.
 * The values themselves are checked by the settings schema, field by field.
 */
export const settingsGroupBody = {
  $id: 'lc/admin/settings-group-body',
  type: 'object',
  maxProperties: 400,
  propertyNames: { maxLength: 100, pattern: '^[A-Za-z0-9_.-]+$' },
  additionalProperties: {
    anyOf: [
      { type: 'string', maxLength: 20000 },
      { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 200 } }
    ]
  }
} as const

/** How a setting is edited, from its schema's shape. */
export type Editor = 'integer' | 'text' | 'secret' | 'select' | 'checkbox' | 'choices' | 'lines' | 'permissions' | 'map' | 'json'

export function editorOf (schema: SettingSchema): Editor {
  if (schema.enum) return 'select'
  if (schema.type === 'integer' || schema.type === 'number') return 'integer'
  if (schema.type === 'boolean') return 'checkbox'
  if (schema.type === 'string') return (schema as { writeOnly?: boolean }).writeOnly ? 'secret' : 'text'
  if (schema.type === 'array') return schema.items?.enum ? 'choices' : 'lines'
  if (schema.type === 'object') {
    const each = schema.additionalProperties as SettingSchema | undefined
    if (each?.type === 'array' && each.items?.enum) return 'permissions'
    if (each?.type === 'string') return 'map'
  }
  return 'json'
}

/** Blank rows a map-like editor offers for new entries (a new role, say). */
export const blankRows = 2
/** The most rows a map-like editor reads back. */
const maxRows = 100

export const formMessages = {
  wholeNumber: (title: string) => `${title} must be a whole number, like 30`,
  required: (title: string) => `${title} is required`,
  json: (title: string, reason: string) => `${title} is not valid JSON (${reason}); write it like the default shown`,
  roleName: (title: string) => `${title}: give each role you tick permissions for a name`,
  roleTwice: (title: string, role: string) => `${title}: the role "${role}" is listed twice; keep one row for it`,
  keyTwice: (title: string, key: string) => `${title}: "${key}" is listed twice; keep one row for it`,
  keyMissing: (title: string) => `${title}: give each value a name`
}

/** A group's form as read: every setting's value (undefined: back to its default) or the problem beside it. */
export interface SettingsForm {
  values: Partial<Record<SettingName, unknown>>
  errors: Partial<Record<SettingName | 'form', FieldError>>
  /** What was posted, so a refused form comes back as the person left it. */
  raw: Record<string, unknown>
}

/** Reads one setting's value from the posted form by its editor; a string is the problem. */
function readSetting (state: SettingState, raw: Record<string, unknown>): { value: unknown } | { problem: string } {
  const { name, title, schema } = state
  switch (editorOf(schema)) {
    case 'integer': {
      const text = readText(raw[name])
      if (text === '') return { problem: formMessages.required(title) }
      if (!/^-?\d{1,15}$/.test(text)) return { problem: formMessages.wholeNumber(title) }
      return { value: Number(text) }
    }
    case 'text': case 'secret': return { value: readText(raw[name]) }
    case 'select': return { value: readText(raw[name]) }
    case 'checkbox': return { value: readCheckbox(raw[name]) }
    case 'choices': return { value: [...new Set(readChecked(raw[name]))] }
    case 'lines': return { value: readText(raw[name]).split('\n').map((l) => l.trim()).filter((l) => l !== '') }
    case 'permissions': {
      const out: Record<string, string[]> = {}
      for (let i = 0; i < maxRows && raw[`${name}.role.${i}`] !== undefined; i++) {
        const role = readText(raw[`${name}.role.${i}`])
        const granted = [...new Set(readChecked(raw[`${name}.perm.${i}`]))]
        if (role === '') {
          if (granted.length > 0) return { problem: formMessages.roleName(title) }
          continue
        }
        if (Object.hasOwn(out, role)) return { problem: formMessages.roleTwice(title, role) }
        out[role] = granted
      }
      return { value: out }
    }
    case 'map': {
      const out: Record<string, string> = {}
      for (let i = 0; i < maxRows && raw[`${name}.key.${i}`] !== undefined; i++) {
        const key = readText(raw[`${name}.key.${i}`])
        const value = readText(raw[`${name}.value.${i}`])
        // A blank value leaves the entry out: a job on the manifest's own schedule, say.
        if (value === '') continue
        if (key === '') return { problem: formMessages.keyMissing(title) }
        if (Object.hasOwn(out, key)) return { problem: formMessages.keyTwice(title, key) }
        out[key] = value
      }
      return { value: out }
    }
    case 'json': {
      try {
        return { value: JSON.parse(readText(raw[name])) as unknown }
      } catch (err) {
        return { problem: formMessages.json(title, (err as Error).message) }
      }
    }
  }
}

/**
 * Reads a group's form: each editable setting's value, checked by the settings schema and its
 * own rules; "Use the default" ticked gives undefined. A posted setting that is fixed by the
 * help desk's configuration is refused above the form (the page never offers it).
 */
export function readSettingsForm (states: SettingState[], body: unknown, settings: Pick<SettingsService, 'problem'>): SettingsForm {
  const raw = posted(body)
  const form: SettingsForm = { values: {}, errors: {}, raw }
  for (const state of states) {
    const { name } = state
    const sent = Object.keys(raw).some((k) => k === name || k.startsWith(`${name}.`))
    if (state.source === 'fixed') {
      if (sent) form.errors.form ??= fieldError(new LC_ERR_SETTING_FIXED(state.title))
      continue
    }
    if (readCheckbox(raw[`${name}.default`])) { form.values[name] = undefined; continue }
    // A checkbox or an empty checkbox group sends nothing at all; anything else missing was not on the page.
    const editor = editorOf(state.schema)
    if (!sent && editor !== 'checkbox' && editor !== 'choices') continue
    // A secret is never shown, so its field comes blank: blank keeps it.
    if (editor === 'secret' && readText(raw[name]) === '') continue
    const read = editor === 'secret' ? { value: readText(raw[name]) } : readSetting(state, raw)
    const problem = 'problem' in read ? read.problem : settings.problem(name, read.value)
    if (problem) form.errors[name] = fieldError(new LC_ERR_SETTING_INVALID(problem))
    else form.values[name] = (read as { value: unknown }).value
  }
  return form
}
