import { createImService, imViewer, type ImService } from '../../plugin/im/service.ts'
import type { ImViewer } from '../../plugin/im/types.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { permissionsFor, resolveSettings, type Settings } from '../../plugin/settings.ts'
import { type Services, services } from './given.ts'

export interface ImServices extends Services {
  im: ImService
  settings: Settings
  /** The seeded user as the instant message rules see them, built the way routes build it. */
  viewer: (username: string, overrides?: Partial<ImViewer>) => Promise<ImViewer>
}

/** The instant message service over a fresh seeded database, without HTTP. */
export async function imServices (t: { teardown: (fn: () => unknown) => void }, opts: { clock?: () => number, settings?: Record<string, unknown> } = {}): Promise<ImServices> {
  const s = await services(t, { clock: opts.clock })
  const settings = resolveSettings(loadManifest(), opts.settings ?? {})
  const im = createImService({ db: s.knex, bus: s.bus, host: s.host, chats: s.chats, routing: s.routing, clock: opts.clock, settings, base: '/livechat' })
  return { ...s, im, settings, viewer: viewers(s, settings) }
}

/** The seeded users as the instant message rules see them, built the way routes build them. */
export function viewers (s: Pick<Services, 'user' | 'scope'>, settings: Settings): ImServices['viewer'] {
  return async (username, overrides = {}) => {
    const user = await s.user(username)
    const permissions = permissionsFor(settings, user.roles)
    const scope = await s.scope(username)
    return { ...await imViewer({ user, permissions, by: { id: user.id, name: user.name, ip: null }, can: (p) => permissions.has(p), scope: async () => scope }), ...overrides }
  }
}

let counter = 0

/** A client message id as the composer makes them: unique per message. */
export function msgId (): string {
  return `test-msg-${process.pid}-${++counter}`.padEnd(12, '0')
}

/** A coded error's code, for t.rejects matching. */
export function code (value: string): { code: string } {
  return { code: value }
}
