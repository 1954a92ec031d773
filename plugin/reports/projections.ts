import type { AgentScope } from '../chats/types.ts'
import type { Hub } from '../realtime/hub.ts'
import { envelope } from '../realtime/fragments.ts'
import type { BusEvent } from '../realtime/bus-events.ts'
import { wallboardFragment, type WallboardService } from './wallboard.ts'

/** The socket topic of open wallboards (the console socket joins it for `?wallboard=1`). */
export const wallboardTopic = 'wallboard'

/** Boards with the same groups are the same board: one render serves every console that shows it. */
const scopeKey = (scope: AgentScope): string => scope.visible === 'all' ? 'all' : [...scope.visible].sort((a, b) => a - b).join(',')

/**
 * Every change a wallboard shows (a chat queued, taken, ended; an agent's availability) pushes
 * each open board again, rendered once per set of groups shown (docs/features.md#wallboard).
 * Changes that arrive while a push renders are taken by one more push after it, not one each:
 * a burst of changes costs two renders, and the last always shows the state after the burst.
 */
export function registerWallboardProjections (hub: Hub, { wallboard }: { wallboard: Pick<WallboardService, 'board'> }): void {
  const render = async (): Promise<void> => {
    const byScope = new Map<string, { scope: AgentScope, clients: ReturnType<Hub['clients']> }>()
    for (const c of hub.clients(wallboardTopic)) {
      if (!c.scope) continue
      const key = scopeKey(c.scope)
      const seen = byScope.get(key)
      if (seen) seen.clients.push(c); else byScope.set(key, { scope: c.scope, clients: [c] })
    }
    for (const { scope, clients } of byScope.values()) {
      // The TV flag only changes a class, which the page's own root keeps; pushes render the plain board.
      const html = envelope([wallboardFragment(await wallboard.board(scope, false))])
      for (const c of clients) void hub.send(c, html)
    }
  }
  let running: Promise<void> | null = null
  let again = false
  const push = async (): Promise<void> => {
    if (running) { again = true; return await running }
    running = (async () => {
      try {
        do { again = false; await render() } while (again)
      } finally { running = null }
    })()
    return await running
  }
  const types: Array<BusEvent['type']> = ['queue.changed', 'chat.updated', 'presence.changed']
  for (const type of types) hub.project(type, push)
}
