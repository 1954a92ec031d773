import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { HostMapping } from './host/sql-host.ts'
import { LC_ERR_MANIFEST_INVALID, LC_ERR_SETTINGS_INVALID } from './errors.ts'
import { createAjv, describeAjvError } from './validation.ts'

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')

export interface ManifestPermission { id: string, description: string }
export interface ManifestNavigation { id: string, area: string, label: string, href: string, permission?: string, status?: string }
export interface Manifest {
  id: string
  name: string
  version: string
  description?: string
  entry: string
  routePrefix: string
  migrations: { source: string, tableName: string }
  permissions: ManifestPermission[]
  settingsSchema: Record<string, unknown> & { properties: Record<string, unknown> }
  host: HostMapping
  jobs: Array<{ id: string, schedule: string, description: string }>
  navigation: ManifestNavigation[]
}

export type Permission = 'livechat.agent' | 'livechat.transfer' | 'livechat.supervise' | 'livechat.delete' | 'livechat.admin' | 'livechat.rooms'

/** Settings after validation, with every default filled in (see settingsSchema in manifest.json). */
export interface Settings {
  rolePermissions: Record<string, Permission[]>
  maxMessageLength: number
  heartbeatTimeoutSeconds: number
  queuePositionMessage: string
  queuePositionMessageOne: string
  queueNextMessage: string
  customerTicketUrl: string
  allowedOrigins: string[]
  chatStartsPerMinute: number
  messagesPerMinute: number
  reofferSeconds: number
  /** An active chat shows "Customer left" once no window of its customer has been open this long. */
  customerGoneSeconds: number
  purgeAfterDays: number
  /** Deleted chats the purge job removes per transaction. */
  purgeBatchSize: number
  /** An instant message thread with no message for this many hours becomes inactive. */
  imInactiveHours: number
  /** An active chat whose customer has been gone this long is ended (0: never). */
  idleEndMinutes: number
  /** A chat queued this long becomes a ticket and is closed (0: never). */
  queueTimeoutMinutes: number
  /** Cron expressions by job id, overriding the manifest's; checked at load (plugin/jobs/schedules.ts). */
  jobSchedules: Record<string, string>
  idleWarningSeconds: number
  idleHighSeconds: number
  /** Largest file sent in a chat, in bytes. */
  maxFileBytes: number
  /** MIME types a chat file may be, as detected from its content. */
  allowedFileTypes: string[]
}

const manifestSchema = JSON.parse(readFileSync(resolve(projectRoot, 'plugin/manifest.schema.json'), 'utf8')) as object

/** Validates a manifest; throws LC_ERR_MANIFEST_INVALID naming the bad field and what is allowed. */
export function validateManifest (manifest: unknown): Manifest {
  const ajv = createAjv()
  const validate = ajv.compile(manifestSchema)
  if (!validate(manifest)) {
    throw new LC_ERR_MANIFEST_INVALID(describeAjvError(validate.errors![0]!, 'manifest'))
  }
  return manifest as Manifest
}

export function loadManifest (file = resolve(projectRoot, 'manifest.json')): Manifest {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new LC_ERR_MANIFEST_INVALID(`${file} cannot be read as JSON (${(err as Error).message})`)
  }
  return validateManifest(parsed)
}

/**
 * Validates the host's settings against the manifest's settings schema and fills in
 * defaults; throws LC_ERR_SETTINGS_INVALID naming the setting and what it may be.
 */
export function resolveSettings (manifest: Manifest, settings: Record<string, unknown> = {}): Settings {
  const ajv = createAjv()
  const validate = ajv.compile(manifest.settingsSchema)
  const copy = structuredClone(settings)
  if (!validate(copy)) {
    throw new LC_ERR_SETTINGS_INVALID(describeAjvError(validate.errors![0]!, 'settings'))
  }
  return copy as unknown as Settings
}

/** The live chat permissions a host user's roles grant. */
export function permissionsFor (settings: Settings, roles: string[]): Set<Permission> {
  const out = new Set<Permission>()
  for (const role of roles) for (const p of settings.rolePermissions[role] ?? []) out.add(p)
  return out
}
