import type { Manifest } from '../manifest.ts'
import { targets } from '../realtime/targets.ts'
import type { Permission, SettingGroup } from '../settings.ts'
import { readChecked, readText } from '../web/forms.ts'
import { bind } from '../web/fragments.ts'
import { blankRows, editorOf, type SettingsForm } from './settings-form.ts'
import type { SettingChange, SettingSchema, SettingState } from './settings-service.ts'

/*
 * The settings screen's models (docs/features.md#settings): a group's form with each
 * setting's title, description, default, current value and where it comes from, and an input
 * suited to its schema; the history of changes.
 */

export const settingsMessages = {
  fixed: 'Set by the help desk\'s configuration; change it there',
  restart: 'Applies after a restart of live chat',
  saved: (titles: string[]) => `Saved and applied on every instance: ${titles.join(', ')}`,
  nothing: 'Nothing to change: every value is as it was',
  refused: 'Nothing was saved; correct the values marked and save again'
}

const sourceLabels = { default: 'Default', stored: 'Changed here', fixed: 'Fixed' } as const

/** A value as the page shows it in a sentence: lists joined, maps as name: values, a secret never. */
export function describeValue (value: unknown, schema: SettingSchema): string {
  if ((schema as { writeOnly?: boolean }).writeOnly) return value ? 'set (hidden)' : 'not set'
  if (value === undefined || value === null) return '—'
  if (typeof value === 'string') return value === '' ? '(empty)' : value
  if (typeof value === 'number') return value.toLocaleString('en')
  if (typeof value === 'boolean') return value ? 'Yes' : 'No'
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.map(String).join(', ')
  const entries = Object.entries(value as Record<string, unknown>)
  if (entries.length === 0) return '(none)'
  return entries.map(([k, v]) => `${k}: ${Array.isArray(v) ? (v.length === 0 ? '(none)' : v.map(String).join(', ')) : String(v)}`).join('; ')
}

/** A key of a map-like setting the screen always offers a row for (each job of the manifest for jobSchedules), with its hint. */
export interface MapKey { key: string, placeholder: string, hint: string }

/** What the screen knows besides the settings: the manifest's permissions and jobs, for their editors. */
export interface SettingsScreenContext {
  base: string
  manifest: Pick<Manifest, 'permissions' | 'jobs'>
}

function mapKeysOf (name: string, manifest: SettingsScreenContext['manifest']): MapKey[] | null {
  if (name !== 'jobSchedules') return null
  return manifest.jobs.map((j) => ({ key: j.id, placeholder: j.schedule, hint: j.description }))
}

/** One setting's model; `raw` is what was posted when the form comes back refused. */
function settingModel (state: SettingState, ctx: SettingsScreenContext, form: SettingsForm | undefined) {
  const { name, schema } = state
  const editor = editorOf(schema)
  const raw = form?.raw
  const typed = raw !== undefined && state.source !== 'fixed'
  const id = `lc-setting-${name}`
  const current = state.value
  const text = (v: unknown): string => typed ? readText(raw[name], { trim: false }) : v === undefined ? '' : String(v)
  const model = {
    name,
    id,
    title: state.title,
    description: schema.description ?? '',
    defaultText: describeValue(schema.default, schema),
    currentText: describeValue(current, schema),
    source: state.source,
    sourceLabel: sourceLabels[state.source],
    fixed: state.source === 'fixed',
    fixedNote: settingsMessages.fixed,
    restart: schema['x-restart'] === true ? settingsMessages.restart : null,
    canReset: state.source === 'stored',
    error: form?.errors[name] ?? null,
    editor,
    is: { [editor]: true } as Partial<Record<typeof editor, true>>,
    min: schema.minimum ?? null,
    max: schema.maximum ?? null,
    maxlength: schema.maxLength ?? null,
    value: '',
    lines: 0,
    options: [] as Array<{ value: string, label: string, selected: boolean, id: string }>,
    permissions: [] as Array<{ value: string, label: string }>,
    rows: [] as Array<Record<string, unknown>>
  }
  switch (editor) {
    case 'integer': case 'text':
      model.value = text(current)
      break
    case 'secret':
      // Never written into the page: blank keeps the secret, "Use the default" clears it.
      break
    case 'select':
      model.options = (schema.enum ?? []).map(String).map((v, i) => ({ value: v, label: v, selected: (typed ? readText(raw[name]) : String(current)) === v, id: `${id}-${i}` }))
      break
    case 'checkbox':
      model.value = (typed ? raw[name] === 'on' : current === true) ? 'checked' : ''
      break
    case 'choices': {
      const chosen = typed ? readChecked(raw[name]) : (current as string[])
      model.options = (schema.items?.enum ?? []).map(String).map((v, i) => ({ value: v, label: v, selected: chosen.includes(v), id: `${id}-${i}` }))
      break
    }
    case 'lines': {
      model.value = typed ? readText(raw[name], { trim: false }) : (current as string[]).join('\n')
      model.lines = Math.min(12, Math.max(3, model.value.split('\n').length + 1))
      break
    }
    case 'permissions': {
      const perms = ((schema.additionalProperties as SettingSchema).items?.enum ?? []) as Permission[]
      const described = new Map(ctx.manifest.permissions.map((p) => [p.id, p.description]))
      model.permissions = perms.map((p) => ({ value: p, label: p.replace(/^livechat\./, ''), description: described.get(p) ?? p }))
      const entries: Array<[string, string[]]> = typed
        ? rowsPosted(raw, name, 'role').map((i) => [readText(raw[`${name}.role.${i}`]), readChecked(raw[`${name}.perm.${i}`])])
        : Object.entries(current as Record<string, string[]>)
      if (!typed) for (let i = 0; i < blankRows; i++) entries.push(['', []])
      model.rows = entries.map(([role, granted], i) => ({
        index: i,
        role,
        id: `${id}-role-${i}`,
        cells: perms.map((p) => ({ value: p, checked: granted.includes(p), name: `${name}.perm.${i}`, label: `${p} for ${role || 'the new role'}` }))
      }))
      break
    }
    case 'map': {
      const fixedKeys = mapKeysOf(name, ctx.manifest)
      const values = current as Record<string, string>
      if (fixedKeys) {
        model.rows = fixedKeys.map((k, i) => ({
          index: i,
          key: k.key,
          fixedKey: true,
          placeholder: k.placeholder,
          hint: k.hint,
          id: `${id}-${i}`,
          value: typed ? readText(raw[`${name}.value.${i}`], { trim: false }) : values[k.key] ?? ''
        }))
      } else {
        const entries: Array<[string, string]> = typed
          ? rowsPosted(raw, name, 'key').map((i) => [readText(raw[`${name}.key.${i}`]), readText(raw[`${name}.value.${i}`])])
          : [...Object.entries(values), ...Array.from({ length: blankRows }, (): [string, string] => ['', ''])]
        model.rows = entries.map(([key, value], i) => ({ index: i, key, value, fixedKey: false, id: `${id}-${i}` }))
      }
      break
    }
    case 'json':
      model.value = typed ? readText(raw[name], { trim: false }) : JSON.stringify(current, null, 2)
      model.lines = Math.min(16, Math.max(4, model.value.split('\n').length + 1))
      break
  }
  return model
}

/** The indexes of the rows a map-like editor posted (`name.role.0`, `name.role.1`…). */
function rowsPosted (raw: Record<string, unknown>, name: string, field: string): number[] {
  const out: number[] = []
  for (let i = 0; i < 100 && raw[`${name}.${field}.${i}`] !== undefined; i++) out.push(i)
  return out
}

/** views/admin/settings-group.hbs: one group's form; `form` when it comes back refused. */
export function settingsGroupModel (group: SettingGroup & { states: SettingState[] }, ctx: SettingsScreenContext, form?: SettingsForm) {
  const settings = group.states.map((s) => settingModel(s, ctx, form))
  return {
    id: group.id,
    rowId: targets.adminSettingsGroup(group.id),
    formId: `lc-settings-form-${group.id}`,
    title: group.title,
    action: `${ctx.base}/admin/settings/${group.id}`,
    formError: form?.errors.form ?? null,
    refused: form !== undefined && Object.keys(form.errors).length > 0 ? settingsMessages.refused : null,
    settings,
    editable: settings.some((s) => !s.fixed)
  }
}
export type SettingsGroupModel = ReturnType<typeof settingsGroupModel>
export const settingsGroupFragment = bind('admin/settings-group', 'outerHTML', (m: SettingsGroupModel) => m.rowId)

/** views/admin/settings-history.hbs: the latest changes, newest first; a secret's values are never shown. */
export function settingsHistoryModel (changes: SettingChange[], schemas: Record<string, SettingSchema>) {
  return {
    rowId: targets.adminSettingsHistory(),
    changes: changes.map((c) => {
      const schema = schemas[c.name] ?? {}
      const iso = new Date(c.at).toISOString()
      const show = (v: unknown): string => v === undefined ? `the default (${describeValue(schema.default, schema)})` : describeValue(v, schema)
      return {
        id: c.id,
        at: { iso, text: `${iso.slice(0, 19).replace('T', ' ')} UTC` },
        by: c.byName,
        setting: schema.title ?? c.name,
        name: c.name,
        from: show(c.from),
        to: show(c.to)
      }
    })
  }
}
export type SettingsHistoryModel = ReturnType<typeof settingsHistoryModel>
export const settingsHistoryFragment = bind('admin/settings-history', 'outerHTML', (m: SettingsHistoryModel) => m.rowId)
