import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { HostMapping } from './host/mapping.ts'
import { LC_ERR_MANIFEST_INVALID } from './errors.ts'
import type { ValidateFunction } from 'ajv'
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
  /** The table mapping sqlHost reads; left out by a host that passes its own adapter. */
  host?: HostMapping
  jobs: Array<{ id: string, schedule: string, description: string }>
  navigation: ManifestNavigation[]
}

const manifestSchema = JSON.parse(readFileSync(resolve(projectRoot, 'plugin/manifest.schema.json'), 'utf8')) as object

/** Compiled on the first manifest validated, once per process: every plugin instance and reload validates one. */
let manifestValidator: ValidateFunction | undefined

/** Validates a manifest; throws LC_ERR_MANIFEST_INVALID naming the bad field and what is allowed. */
export function validateManifest (manifest: unknown): Manifest {
  const validate = manifestValidator ??= createAjv().compile(manifestSchema)
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
