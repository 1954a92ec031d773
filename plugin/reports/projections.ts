import type { Hub } from '../realtime/hub.ts'
import { envelope } from '../realtime/fragments.ts'
import type { BusEvent } from '../realtime/bus-events.ts'
import { wallboardFragment, type WallboardService } from './wallboard.ts'

/** The socket topic of open wallboards (the console socket joins it for `?wallboard=1`). */
export const wallboardTopic = 'wallboard'

/**
 * Every change a wallboard shows (a chat queued, taken, ended; an agent's availability) pushes
 * each open board again, rendered once per viewer's scope (docs/features.md#wallboard).
 */
export function registerWallboardProjections (hub: Hub, { wallboard }: { wallboard: Pick<WallboardService, 'board'> }): void {
  const push = async (): Promise<void> => {
    const clients = hub.clients(wallboardTopic)
    const byViewer = new Map<string, typeof clients>()
    for (const c of clients) byViewer.set(c.userId ?? '', [...(byViewer.get(c.userId ?? '') ?? []), c])
    for (const group of byViewer.values()) {
      const scope = group[0]!.scope
      if (!scope) continue
      // The TV flag only changes a class, which the page's own root keeps; pushes render the plain board.
      const html = envelope([wallboardFragment(await wallboard.board(scope, false))])
      for (const c of group) void hub.send(c, html)
    }
  }
  const types: Array<BusEvent['type']> = ['queue.changed', 'chat.updated', 'presence.changed']
  for (const type of types) hub.project(type, push)
}
