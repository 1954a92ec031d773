import type { ErrorObject, ValidateFunction } from 'ajv'
import type { FastifyBaseLogger } from 'fastify'
import type { Knex } from 'knex'
import { transact } from '../db/index.ts'
import { LC_ERR_SETTING_FIXED, LC_ERR_SETTING_INVALID } from '../errors.ts'
import type { Manifest } from '../manifest.ts'
import type { Bus } from '../realtime/bus-events.ts'
import type { Auditor, AuditService } from '../audit/service.ts'
import { type LiveSettings, resolveSettings, type SettingGroup, settingGroups, type SettingName, type Settings } from '../settings.ts'
import { createAjv, describeAjvError } from '../validation.ts'
import * as store from './settings-store.ts'
import type { SettingChange } from './settings-store.ts'

export type { SettingChange } from './settings-store.ts'

/** One property of the settings schema, as the screen reads it. */
export interface SettingSchema {
  title?: string
  description?: string
  type?: string
  enum?: readonly unknown[]
  minimum?: number
  maximum?: number
  maxLength?: number
  default?: unknown
  items?: { enum?: readonly unknown[], format?: string }
  additionalProperties?: unknown
  'x-restart'?: boolean
  /** What a value refused by the setting's own `pattern` must be, said to the administrator ("at least 32 characters"). */
  'x-pattern'?: string
}

/** Where a setting's value comes from: its default, the settings screen, or the help desk's configuration (fixed). */
export type SettingSource = 'default' | 'stored' | 'fixed'

export interface SettingState {
  name: SettingName
  title: string
  schema: SettingSchema
  value: unknown
  source: SettingSource
}

/** A setting's own rule beyond its schema (a cron expression node-cron accepts): a problem, or nothing. */
export type SettingCheck = (value: unknown) => string | null

export interface SettingsServiceDeps {
  db: Knex
  bus: Bus
  log: Pick<FastifyBaseLogger, 'warn' | 'error'>
  manifest: Manifest
  live: LiveSettings
  /** What the host passes in code (`settings` option): fixed, never stored or changed here. */
  fixed: Record<string, unknown>
  checks?: Partial<Record<SettingName, SettingCheck>>
  clock?: () => number
  /** The audit log: each change is recorded there too, with where it came from (docs/features.md#audit-log). */
  audit?: Pick<AuditService, 'record'>
}

/** The administrators' settings (docs/design.md §1, settings; docs/features.md#settings). */
export interface SettingsService {
  /** The screen's groups, each with its settings' titles, schemas, values and where they come from. */
  groups (): Array<SettingGroup & { states: SettingState[] }>
  /** What is wrong with `value` for `name` under its schema and rules, in a sentence; null when nothing. */
  problem (name: SettingName, value: unknown): string | null
  /**
   * Stores the values given (undefined: back to the default) with a history row each that
   * changed, applies them here and tells every instance to read them again. Throws
   * LC_ERR_SETTING_FIXED for a fixed one and LC_ERR_SETTING_INVALID for a bad one, before
   * anything is written. Returns the names that changed.
   */
  save (values: Partial<Record<SettingName, unknown>>, by: Auditor & { id: string }): Promise<SettingName[]>
  /** Reads the stored values again and applies them (another instance changed some); returns the names that changed. */
  reload (): Promise<SettingName[]>
  history (limit?: number): Promise<SettingChange[]>
}

/**
 * The effective settings are the schema's defaults, over them what administrators stored on
 * the settings screen, and over that what the host passes in code. The one settings object
 * (`live.settings`) is changed in place; every instance hears `settings.changed` on the bus
 * and reads the stored values again, so a change applies everywhere without a restart.
 */
export function createSettingsService (deps: SettingsServiceDeps): SettingsService {
  const { db, bus, log, manifest, live, fixed, checks = {}, clock = Date.now, audit } = deps
  const properties = manifest.settingsSchema.properties as Record<SettingName, SettingSchema>
  const fixedNames = new Set(Object.keys(fixed))
  let stored = new Map<string, unknown>()

  const ajv = createAjv()
  const validators = new Map<SettingName, ValidateFunction>()
  function validator (name: SettingName): ValidateFunction {
    let v = validators.get(name)
    if (!v) validators.set(name, v = ajv.compile(properties[name] as object))
    return v
  }

  function problem (name: SettingName, value: unknown): string | null {
    const validate = validator(name)
    // Validated on a copy: Ajv's useDefaults must not fill in what the person left out.
    if (!validate(structuredClone(value))) return describeSettingError(validate.errors![0]!, titleOf(name), value, properties[name])
    return checks[name]?.(value) ?? null
  }

  const titleOf = (name: SettingName): string => properties[name]?.title ?? name

  /** The effective settings from `values` stored: a stored value that is no longer valid (an upgrade narrowed it) is skipped, and said. */
  function effective (values: Map<string, unknown>): Settings {
    const chosen: Record<string, unknown> = {}
    for (const [name, value] of values) {
      if (fixedNames.has(name) || !Object.hasOwn(properties, name)) continue
      const wrong = problem(name as SettingName, value)
      if (wrong) { log.warn({ setting: name, problem: wrong }, 'live chat: a stored setting is not valid any more; its default applies'); continue }
      chosen[name] = value
    }
    return resolveSettings(manifest, { ...chosen, ...fixed })
  }

  async function reload (): Promise<SettingName[]> {
    stored = await store.storedValues(db)
    return live.apply(effective(stored))
  }

  const service: SettingsService = {
    groups () {
      return settingGroups(manifest.settingsSchema).map((group) => ({
        ...group,
        states: group.settings.filter((name) => Object.hasOwn(properties, name)).map((name) => ({
          name,
          title: titleOf(name),
          schema: properties[name],
          value: live.settings[name],
          source: fixedNames.has(name) ? 'fixed' : stored.has(name) ? 'stored' : 'default'
        }))
      }))
    },

    problem,

    async save (values, by) {
      const given = Object.entries(values) as Array<[SettingName, unknown]>
      for (const [name, value] of given) {
        if (fixedNames.has(name)) throw new LC_ERR_SETTING_FIXED(titleOf(name))
        const wrong = value === undefined ? null : problem(name, value)
        if (wrong) throw new LC_ERR_SETTING_INVALID(wrong)
      }
      const changed = await transact(db, async (trx) => {
        const before = await store.storedValues(trx)
        const changes: Array<Omit<SettingChange, 'id'>> = []
        for (const [name, value] of given) {
          // A value equal to the default is stored as "the default", so a later default applies to it.
          const to = value === undefined || same(value, properties[name].default) ? undefined : value
          const from = before.get(name)
          if (same(from, to)) continue
          changes.push({ name, from, to, byId: by.id, byName: by.name, at: clock() })
        }
        await store.recordChanges(trx, changes)
        // lc_settings keeps a setting's value and its own history; the audit log keeps the
        // address too, and is purged on its own retention, which lc_settings must never be.
        for (const c of changes) {
          await audit?.record(trx, by, { action: 'settings.changed', subject: `Setting ${titleOf(c.name as SettingName)}`, subjectId: c.name, before: c.from ?? null, after: c.to ?? null })
        }
        return changes.map((c) => c.name as SettingName)
      })
      if (changed.length === 0) return []
      await reload()
      // Every instance (this one too, harmlessly) reads the stored values again.
      await bus.publish({ type: 'settings.changed', names: changed }).catch((err: unknown) => {
        log.error({ err }, 'live chat: settings saved, but other instances could not be told; they apply them when they restart')
      })
      return changed
    },

    reload,

    async history (limit = 50) {
      return await store.history(db, limit)
    }
  }

  bus.subscribe((event) => {
    if (event.type !== 'settings.changed') return
    void reload().catch((err: unknown) => { log.error({ err }, 'live chat: could not read the settings another instance changed') })
  })
  return service
}

function same (a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * A refusal of the settings schema as the administrator reads it beside the field: the
 * setting's title, and for a list or a map the item or key at fault.
 */
export function describeSettingError (error: ErrorObject, title: string, value: unknown, schema?: SettingSchema): string {
  const keyName = (error as ErrorObject & { propertyName?: string }).propertyName
  if (keyName !== undefined) return `${title}: "${keyName}" is not a name allowed here; use letters, digits, dots, dashes and underscores`
  const path = error.instancePath.split('/').slice(1)
  if (path.length === 0 && error.keyword === 'pattern' && schema?.['x-pattern']) return `${title} must be ${schema['x-pattern']}`
  if (path.length === 0) return describeAjvError(error, title)
  let at: unknown = value
  for (const part of path) at = (at as Record<string, unknown> | undefined)?.[part]
  const where = Array.isArray(value) ? `"${String(at)}"` : path.length === 1 ? `"${path[0]!}"` : `"${path[0]!}": "${String(at)}"`
  const p = error.params as Record<string, unknown>
  // The schema's own example (`examples` of the items), when it gives one, shows the form wanted.
  const example = (schema?.items as { examples?: unknown[] } | undefined)?.examples?.[0]
  const like = example === undefined ? '' : `; write it like ${String(example)}`
  switch (error.keyword) {
    case 'pattern': return `${title}: ${where} is not in the form this setting needs${like}`
    case 'format': return `${title}: ${where} is not a valid ${String(p.format)}${like}`
    case 'enum': return `${title}: ${where} is not one of ${(p.allowedValues as unknown[]).map(String).join(', ')}`
    case 'maxLength': return `${title}: ${where} is longer than ${String(p.limit)} characters`
    case 'minLength': return `${title}: ${where} is empty`
    default: return `${title}: ${where} ${error.message ?? 'is not valid'}`
  }
}
