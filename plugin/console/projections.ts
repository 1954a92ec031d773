import type { Hub } from '../realtime/hub.ts'
import { envelope, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import type { RoutingService } from '../routing/service.ts'
import type { Views } from '../views.ts'
import type { ConsoleViews } from './view-models.ts'

/** How bus events show up in open agent consoles: the same partials the page is made of. */
export function registerConsoleProjections (hub: Hub, { consoleViews, routing, views }: { consoleViews: ConsoleViews, routing: RoutingService, views: Views }): void {
  hub.project('queue.changed', async () => {
    const agents = hub.clients('queue')
    if (agents.length === 0) return
    const html = envelope([await consoleViews.queueFragment()])
    for (const c of agents) void hub.send(c, html)
  })

  hub.project('agent.chats', async (event) => {
    const clients = hub.clients(`agent:${event.agentId}`)
    if (clients.length === 0) return
    const html = envelope(await consoleViews.listFragments(event.agentId))
    for (const c of clients) void hub.send(c, html)
  })

  hub.project('chat.updated', async ({ chat }) => {
    const byAgent = new Map<string, typeof agents>()
    const agents = hub.clients(`chat:${chat.id}`).filter((c) => c.kind === 'agent')
    for (const c of agents) byAgent.set(c.userId!, [...(byAgent.get(c.userId!) ?? []), c])
    for (const [agentId, clients] of byAgent) {
      const html = envelope(await consoleViews.paneStateFragments(chat, agentId))
      for (const c of clients) void hub.send(c, html)
    }
  })

  hub.project('presence.changed', async ({ agentId }) => {
    const clients = hub.clients(`agent:${agentId}`)
    if (clients.length === 0) return
    const model = consoleViews.availability(await routing.presence(agentId))
    const html = envelope([fragment(targets.availability(), 'outerHTML', views.render('console/availability', model))])
    for (const c of clients) void hub.send(c, html)
  })
}
