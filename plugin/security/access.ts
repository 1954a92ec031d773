import { LC_ERR_FORBIDDEN, LC_ERR_ORIGIN, LC_ERR_UNAUTHENTICATED } from '../errors.ts'
import type { HostAdapter, HostArea, HostUser, RequestLike } from '../host/adapter.ts'
import type { AgentScope } from '../chats/types.ts'
import { type Permission, permissionsFor, type Settings } from '../settings.ts'
import type { RoutingService } from '../routing/service.ts'

/** Compares through URL so a default port (":80", ":443") written or not makes no difference. */
function sameHost (origin: string, protocol: string, host: string | string[] | undefined): boolean {
  if (typeof host !== 'string') return false
  try {
    const from = new URL(origin)
    const own = new URL(`${protocol}://${host}`)
    return from.protocol === own.protocol && from.host === own.host
  } catch {
    return false
  }
}

export interface Agent {
  user: HostUser
  permissions: Set<Permission>
  can (permission: Permission): boolean
  /** Which groups' chats the agent works and may look after. */
  scope (): Promise<AgentScope>
  /** Who acts and from where, as the audit log records it (docs/features.md#audit-log). */
  by: { id: string, name: string, ip: string | null }
}

export type Access = ReturnType<typeof createAccess>

/**
 * Who may do what. Identity comes only from the host (docs/design.md §8); permissions come from
 * the host's roles through the rolePermissions setting.
 */
export function createAccess ({ host, settings, routing }: { host: HostAdapter, settings: Settings, routing: RoutingService }) {
  async function scopeOf (user: HostUser, permissions: Set<Permission>, ip?: string): Promise<AgentScope> {
    const groups = await routing.agentGroups(user.id)
    return {
      ...(ip === undefined ? {} : { ip }),
      id: user.id,
      name: user.name,
      activeIn: groups.activeIn,
      visible: permissions.has('livechat.admin') ? 'all' : groups.memberOf,
      supervise: permissions.has('livechat.supervise'),
      delete: permissions.has('livechat.delete'),
      limit: groups.limit
    }
  }

  return {
    scopeOf,

    /** The signed-in agent holding `permission`; 401 without a host session, 403 without the permission. */
    async agent (request: RequestLike, permission: Permission = 'livechat.agent'): Promise<Agent> {
      const user = await host.currentUser(request, 'agent')
      if (!user) throw new LC_ERR_UNAUTHENTICATED()
      const permissions = permissionsFor(settings, user.roles)
      if (!permissions.has(permission)) throw new LC_ERR_FORBIDDEN(permission)
      let scope: Promise<AgentScope> | undefined
      const by = { id: user.id, name: user.name, ip: request.ip ?? null }
      return { user, permissions, by, can: (p) => permissions.has(p), scope: async () => await (scope ??= scopeOf(user, permissions, request.ip)) }
    },

    /**
     * The signed-in host user, if any, as the side asking sees them: `portal` for a customer's
     * chat window, `agent` for the console (docs/design.md §2, HostArea).
     */
    async user (request: RequestLike, area: HostArea): Promise<HostUser | null> {
      return await host.currentUser(request, area)
    },

    /**
     * Same-origin check for state changes and socket upgrades: the Origin header must be
     * this host or one of the allowedOrigins. `required` is set for sockets, where
     * browsers always send Origin and a missing one means a non-browser client.
     */
    checkOrigin (headers: RequestLike['headers'], protocol: string, required: boolean): void {
      const origin = headers.origin
      if (origin === undefined) {
        if (required) throw new LC_ERR_ORIGIN('a client that sent no Origin')
        return
      }
      const value = String(Array.isArray(origin) ? origin[0] : origin)
      if (sameHost(value, protocol, headers.host) || settings.allowedOrigins.some((o) => sameHost(value, new URL(o).protocol.slice(0, -1), new URL(o).host))) return
      throw new LC_ERR_ORIGIN(value.slice(0, 100))
    }
  }
}
