import type { ChatService } from '../chats/service.ts'
import { agentMaySee } from '../chats/service.ts'
import { type AgentScope, queueGroups } from '../chats/types.ts'
import type { Client, Hub } from '../realtime/hub.ts'
import { envelope, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import type { RoutingService } from '../routing/service.ts'
import type { Views } from '../web/views.ts'
import { type QueueProjectionsDeps, registerQueueProjections } from './queue-projections.ts'
import type { ConsoleViews } from './view-models.ts'

/** The topics that bring an agent the queue pushes of the groups they work (`queue`: chats of no group). */
export function queueTopics (scope: AgentScope): string[] {
  const groups = queueGroups(scope)
  return ['queue', ...(groups === 'all' ? ['group:*'] : groups.map((g) => `group:${g}`))]
}

/** Each agent once, with every socket (tab) they have open. */
function byAgent (clients: Client[]): Map<string, Client[]> {
  const out = new Map<string, Client[]>()
  for (const c of clients) {
    if (c.kind !== 'agent' || !c.userId) continue
    out.set(c.userId, [...(out.get(c.userId) ?? []), c])
  }
  return out
}

/** How bus events show up in open agent consoles: the same partials the page is made of. */
export function registerConsoleProjections (hub: Hub, { chats, consoleViews, routing, views, scopeOf, log }: {
  chats: ChatService
  consoleViews: ConsoleViews
  routing: RoutingService
  views: Views
  /** What the agent may see now, from the host's roles and their memberships; null for a user who is gone. */
  scopeOf: (agentId: string) => Promise<AgentScope | null>
  log: QueueProjectionsDeps['log']
}): void {
  const queue = registerQueueProjections(hub, { chats, consoleViews, log })

  hub.project('agent.chats', async (event) => {
    const clients = hub.clients(`agent:${event.agentId}`)
    if (clients.length === 0) return
    const html = envelope(await consoleViews.listFragments(clients[0]!.scope!))
    for (const c of clients) {
      if (event.fromSeq === undefined) { void hub.send(c, html); continue }
      // A chat that came to the agent (accepted in another tab, assigned, taken): its pane,
      // rendered in the socket's turn with every message so far, so nothing sent before it
      // (to a pane not there yet) is missing. The browser keeps the newest of two panes.
      void hub.send(c, async () => {
        const chat = await chats.get(event.chatId)
        const pane = await consoleViews.pane(chat, c.scope!, undefined, false)
        c.seqs.set(chat.id, Math.max(c.seqs.get(chat.id) ?? 0, pane.messages.at(-1)?.seq ?? 0))
        return envelope([fragment(targets.panes(), 'beforeend', views.render('console/chat-pane', pane))]) + html
      })
    }
  })

  hub.project('chat.updated', async ({ chat }) => {
    for (const [, clients] of byAgent(hub.clients(`chat:${chat.id}`))) {
      const html = envelope(await consoleViews.paneStateFragments(chat, clients[0]!.scope!))
      for (const c of clients) void hub.send(c, html)
    }
  })

  // Deleted: an open pane of the chat becomes the deleted chat (with Undelete for those who
  // may); undeleted: those who may see it get its pane back in its place.
  hub.project('chat.deleted', async ({ chat, by }) => {
    for (const c of hub.clients(`chat:${chat.id}`)) {
      if (c.kind !== 'agent' || !c.scope) continue
      const scope = c.scope
      void hub.send(c, async () => envelope([fragment(targets.chat(chat.id), 'outerHTML', views.render('console/deleted-pane', await consoleViews.deletedPane(chat, by, scope)))]))
    }
  })

  hub.project('chat.restored', async ({ chat }) => {
    for (const c of hub.clients(`chat:${chat.id}`)) {
      if (c.kind !== 'agent' || !c.scope || !agentMaySee(chat, c.scope)) continue
      const scope = c.scope
      void hub.send(c, async () => envelope([fragment(targets.chat(chat.id), 'outerHTML', views.render('console/chat-pane', await consoleViews.pane(chat, scope)))]))
    }
  })

  hub.project('presence.changed', async ({ agentId }) => {
    const clients = hub.clients(`agent:${agentId}`)
    if (clients.length === 0) return
    const html = envelope([await consoleViews.availabilityFragment(await routing.presence(agentId))])
    for (const c of clients) void hub.send(c, html)
  })

  // Membership changed while consoles are open: they follow the new groups at once.
  hub.project('agent.groups', async ({ agentId }) => {
    const clients = hub.clients(`agent:${agentId}`)
    if (clients.length === 0) return
    const scope = await scopeOf(agentId)
    if (!scope) return
    const html = envelope(await consoleViews.queueFragments(scope))
    for (const c of clients) {
      for (const topic of [...c.topics]) if (topic === 'queue' || topic.startsWith('group:')) hub.unsubscribe(c, topic)
      for (const topic of queueTopics(scope)) hub.subscribe(c, topic)
      c.scope = scope
      void hub.send(c, html)
    }
  })

  // The customer has read further: one small frame marks every agent message up to it Read.
  hub.project('chat.read', async ({ chatId, side, seq }) => {
    if (side !== 'customer') return
    const html = envelope([fragment(targets.readMark(chatId), 'outerHTML', views.render('chats/read-mark', { chatId, seq }))])
    for (const c of hub.clients(`chat:${chatId}`)) if (c.kind === 'agent') void hub.send(c, html)
  })

  hub.project('chat.received', async ({ chatId, side, seq }) => {
    if (side !== 'customer') return
    const html = envelope([fragment(targets.deliveredMark(chatId), 'outerHTML', views.render('chats/delivered-mark', { chatId, seq }))])
    for (const c of hub.clients(`chat:${chatId}`)) if (c.kind === 'agent') void hub.send(c, html)
  })

  hub.project('chat.typing', async ({ chatId, side, name }) => {
    if (side !== 'customer') return
    const html = envelope([fragment(targets.typing(chatId), 'innerHTML', views.render('chats/typing', { name }))])
    for (const c of hub.clients(`chat:${chatId}`)) if (c.kind === 'agent') void hub.send(c, html)
  })

  hub.project('agent.alert', async (event) => {
    // A group's alert follows its queue change (a chat queued or transferred there) and goes in
    // the same frame as the row. An agent's own alerts take the same way, so a console is
    // alerted in the order the alerts came (one replaces the other on the page).
    const alert = fragment(targets.alert(), 'outerHTML', views.render('console/alert', { ...event, at: Date.now() }))
    queue.sendAlong(event.agentId ? { agentId: event.agentId } : { groupId: event.groupId }, alert)
  })

  hub.project('agent.notice', async ({ agentId, level, text }) => {
    const clients = hub.clients(`agent:${agentId}`)
    if (clients.length === 0) return
    const html = envelope([fragment(targets.notice(), 'beforeend', views.render('common/notice', { level, message: text }))])
    for (const c of clients) void hub.send(c, html)
  })
}
