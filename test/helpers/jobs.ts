import { createCustomerService } from '../../plugin/customer/service.ts'
import { createFileService, type FileService } from '../../plugin/files/service.ts'
import type { HostAdapter } from '../../plugin/host/adapter.ts'
import { createImService, type ImService } from '../../plugin/im/service.ts'
import { createJobService, type JobService } from '../../plugin/jobs/service.ts'
import { createTokenService } from '../../plugin/api/tokens-service.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { resolveSettings, type Settings } from '../../plugin/settings.ts'
import { type Services, services } from './given.ts'

export interface LogLine { level: 'info' | 'warn' | 'error', obj: object, msg: string }

export interface JobServices extends Services {
  jobs: JobService
  files: FileService
  /** Instant messages and chat rooms, for the im-idle job and the purge of deleted threads. */
  im: ImService
  settings: Settings
  /** Where chat files are kept. */
  uploadDir: string
  log: LogLine[]
}

/**
 * The scheduled jobs wired as the plugin wires them, over services on a fresh seeded
 * database, without HTTP and without starting the schedules (tests run jobs themselves).
 * `wrapHost` stands in for the help desk where a test needs it to fail or to be slow; the
 * chats themselves keep the real adapter.
 */
export async function jobServices (t: { teardown: (fn: () => unknown) => void, testdir: () => string }, opts: { clock: () => number, settings?: Record<string, unknown>, wrapHost?: (real: HostAdapter) => HostAdapter, instanceName?: string }): Promise<JobServices> {
  const s = await services(t, { clock: opts.clock })
  const manifest = loadManifest()
  const settings = resolveSettings(manifest, opts.settings ?? {})
  const host = opts.wrapHost ? opts.wrapHost(s.host) : s.host
  const uploadDir = t.testdir()
  const files = createFileService({ db: s.knex, chats: s.chats, base: '/livechat', dir: uploadDir, settings: { maxFileBytes: settings.maxFileBytes, allowedFileTypes: settings.allowedFileTypes }, clock: opts.clock })
  const customer = createCustomerService({ host, chats: s.chats, routing: s.routing })
  const im = createImService({ db: s.knex, bus: s.bus, host: s.host, chats: s.chats, routing: s.routing, clock: opts.clock, settings, base: '/livechat' })
  const log: LogLine[] = []
  const line = (level: LogLine['level']) => (obj: object, msg: string) => { log.push({ level, obj, msg }) }
  const jobs = createJobService({
    db: s.knex,
    manifest,
    settings,
    routing: s.routing,
    distributor: s.distributor,
    chats: s.chats,
    customer,
    files,
    im,
    tokens: createTokenService({ db: s.knex, clock: opts.clock }),
    host,
    log: { info: line('info'), warn: line('warn'), error: line('error') },
    clock: opts.clock,
    instanceName: opts.instanceName ?? 'test-instance'
  })
  t.teardown(async () => { await jobs.stop() })
  return { ...s, jobs, files, im, settings, uploadDir, log }
}
