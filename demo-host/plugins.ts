import { readFile } from 'node:fs/promises'
import { dirname, relative, resolve, isAbsolute } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { Knex } from 'knex'
import { sqlHost } from '../plugin/host/sql-host.ts'
import type { HostMapping } from '../plugin/host/sql-host.ts'
import type { MailMessage } from '../plugin/host/adapter.ts'

/** The repository root: manifest paths (entry, migrations) are relative to it. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')

export interface NavigationEntry {
  id: string
  area: string
  label: string
  href: string
  permission?: string
  status?: string
}

/** The parts of a plugin manifest the host reads; the plugin validates the rest itself. */
export interface PluginManifest {
  id: string
  name?: string
  version?: string
  description?: string
  entry: string
  routePrefix: string
  migrations: { source: string, tableName: string }
  permissions?: Array<{ id: string, description: string }>
  settingsSchema?: { properties?: { rolePermissions?: { default?: Record<string, string[]> } } }
  host?: Record<string, unknown>
  jobs?: Array<{ id: string, schedule: string, description?: string }>
  navigation?: NavigationEntry[]
}

function fail (file: string, what: string): never {
  throw new Error(`${file}: ${what}`)
}

/** Reads and checks a plugin manifest (by default the live chat plugin's, at the repo root). */
export async function loadManifest (file = resolve(repoRoot, 'manifest.json')): Promise<PluginManifest> {
  const m = JSON.parse(await readFile(file, 'utf8')) as Partial<PluginManifest>
  if (typeof m.id !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(m.id)) fail(file, '"id" must be a short lower-case name')
  if (typeof m.entry !== 'string' || m.entry === '') fail(file, '"entry" must name the plugin module')
  if (typeof m.routePrefix !== 'string' || !/^\/[A-Za-z0-9._~/-]*[^/]$/.test(m.routePrefix)) fail(file, '"routePrefix" must be a path such as /livechat')
  if (typeof m.migrations?.source !== 'string' || typeof m.migrations.tableName !== 'string') {
    fail(file, '"migrations" must have "source" and "tableName"')
  }
  return m as PluginManifest
}

/** A path from the manifest, refused when it points outside the repository. */
function modulePath (path: string): string {
  const full = resolve(repoRoot, path)
  const rel = relative(repoRoot, full)
  if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`Plugin module ${path} is outside ${repoRoot}`)
  return full
}

async function importModule (path: string): Promise<Record<string, unknown>> {
  return await import(pathToFileURL(modulePath(path)).href)
}

/** Runs the plugin's own migrations into its own bookkeeping table, as its manifest says. */
export async function runPluginMigrations (knex: Knex, manifest: PluginManifest): Promise<void> {
  const mod = await importModule(manifest.migrations.source)
  const migrationSource = mod.migrationSource as Knex.MigrationSource<unknown> | undefined
  if (!migrationSource) throw new Error(`${manifest.migrations.source} does not export migrationSource`)
  await knex.migrate.latest({ migrationSource, tableName: manifest.migrations.tableName })
}

/** Records the installed version; a plugin is enabled the first time it is installed. */
export async function recordInstall (knex: Knex, manifest: PluginManifest, now = Date.now()): Promise<void> {
  const version = manifest.version ?? '0.0.0'
  await knex('host_plugins').insert({ id: manifest.id, enabled: true, installed_version: version, updated_at: now }).onConflict('id').ignore()
  await knex('host_plugins').where({ id: manifest.id }).whereNot({ installed_version: version }).update({ installed_version: version, updated_at: now })
}

export interface PluginSwitch {
  isEnabled (): Promise<boolean>
  setEnabled (enabled: boolean): Promise<void>
}

/**
 * The enabled flag of one plugin, read from host_plugins and cached for `ttlMs`: the toggle
 * updates this instance's cache at once, and other instances on the same database follow
 * within the TTL without a query on every request.
 */
export function createPluginSwitch (knex: Knex, id: string, ttlMs = 2000): PluginSwitch {
  let cached: { enabled: boolean, at: number } | undefined
  return {
    async isEnabled () {
      const now = Date.now()
      if (cached && now - cached.at < ttlMs) return cached.enabled
      const row = await knex('host_plugins').where({ id }).first('enabled')
      // No row means prepareDatabase has not recorded it yet: a new install starts enabled.
      const enabled = row ? Boolean(Number(row.enabled)) : true
      cached = { enabled, at: now }
      return enabled
    },
    async setEnabled (enabled) {
      await knex('host_plugins').where({ id }).update({ enabled, updated_at: Date.now() })
      cached = { enabled, at: Date.now() }
    }
  }
}

export interface InstalledPlugin {
  manifest: PluginManifest
  switch: PluginSwitch
}

export interface InstallOptions {
  /** Passed to the plugin besides prefix, knex, host and settings. */
  pluginOptions?: Record<string, unknown>
  /** Answers a request for a disabled plugin; by default the 404 handler of its scope. */
  whenDisabled?: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>
  /** The host's mailer, offered to the plugin as the adapter's sendMail; without it the plugin sends no mail. */
  sendMail?: (message: MailMessage) => Promise<void>
}

/**
 * Registers a plugin the way any production host would: its entry module's default export,
 * under its route prefix, with the host adapter built from the manifest's table mapping.
 * The wrapping scope answers 404 for all its routes while the plugin is disabled.
 */
export async function installPlugin (app: FastifyInstance, knex: Knex, manifest: PluginManifest, pluginSwitch: PluginSwitch, opts: InstallOptions = {}): Promise<void> {
  const entry = await importModule(manifest.entry)
  const plugin = entry.default as FastifyPluginAsync<Record<string, unknown>> | undefined
  if (typeof plugin !== 'function') throw new Error(`${manifest.entry} has no default export to register`)
  if (!manifest.host) throw new Error(`plugin ${manifest.id}: the manifest has no "host" table mapping`)
  // The plugin checks the mapping in depth when it loads its manifest; the host passes it on.
  const host = { ...sqlHost(knex, manifest.host as unknown as HostMapping), ...(opts.sendMail ? { sendMail: opts.sendMail } : {}) }
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      if (await pluginSwitch.isEnabled()) return
      // The host answers, not the plugin's own 404 page: a disabled plugin is simply not there.
      if (opts.whenDisabled) await opts.whenDisabled(request, reply)
      else reply.callNotFound()
      return reply
    })
    // The plugin asks the switch too: turned off, it closes its open sockets and its jobs rest.
    const enabled = async (): Promise<boolean> => await pluginSwitch.isEnabled()
    await scope.register(plugin, { settings: {}, enabled, ...opts.pluginOptions, prefix: manifest.routePrefix, knex, host })
  })
}

/** Host role names to the plugin permissions they grant, from the manifest's settings default. */
export function permissionsFor (manifest: PluginManifest, roles: string[]): Set<string> {
  const map = manifest.settingsSchema?.properties?.rolePermissions?.default ?? {}
  const granted = new Set<string>()
  for (const role of roles) {
    for (const p of Object.hasOwn(map, role) ? map[role] ?? [] : []) granted.add(p)
  }
  return granted
}
