import type { ChatService } from '../chats/service.ts'
import { type AgentScope, type Chat, ChatStatus, mayDelete, queueGroups, sees } from '../chats/types.ts'
import type { Client, Hub } from '../realtime/hub.ts'
import { targets } from '../realtime/targets.ts'
import { throttledSignal } from '../web/lists/refresh.ts'
import { listTopic, type ListView } from './lists.ts'

export interface ListProjectionsDeps {
  chats: Pick<ChatService, 'get'>
  /** Stamps the refresh signal. */
  clock: () => number
  throttleMs?: number
}

/**
 * Which open lists an event may change, and a refresh signal to just those tabs, at most
 * once a second each: the tab re-reads its own list (filters and sort are the tab's).
 * Filters are not looked at here, so a tab narrowed to another group may refresh for
 * nothing; the read is one indexed query.
 */
export function registerListProjections (hub: Hub, { chats, clock, throttleMs = 1000 }: ListProjectionsDeps): void {
  const signal = throttledSignal(hub, targets.listStale(), { throttleMs, at: clock })

  const viewers = (...names: ListView[]): Array<{ view: ListView, client: Client }> =>
    names.flatMap((view) => hub.clients(listTopic(view)).map((client) => ({ view, client })))

  function works (scope: AgentScope, groupId: number | null | undefined): boolean {
    const groups = queueGroups(scope)
    return groupId === null || groupId === undefined || groups === 'all' || groups.includes(groupId)
  }

  hub.project('queue.changed', async ({ groupId }) => {
    for (const { view, client } of viewers('queue', 'transferred', 'global-active')) {
      if (view === 'global-active' ? sees(client.scope!, groupId ?? null) : works(client.scope!, groupId)) signal(client)
    }
  })

  hub.project('agent.chats', async ({ agentId }) => {
    for (const { client } of viewers('my-active', 'my-completed')) if (client.userId === agentId) signal(client)
  })

  hub.project('chat.updated', async ({ chat }) => {
    for (const { view, client } of viewers('my-active', 'my-completed', 'global-active', 'global-completed')) {
      if (view.startsWith('global-') ? sees(client.scope!, chat.groupId) : chat.agentId === client.userId) signal(client)
    }
  })

  // Deleted or undeleted: it leaves or rejoins Global Completed and the Deleted Items of
  // those who may undelete it (My Completed follows agent.chats, published with it).
  const deletion = async ({ chat }: { chat: Chat }): Promise<void> => {
    for (const { view, client } of viewers('global-completed', 'deleted')) {
      if (view === 'deleted' ? mayDelete(chat, client.scope!) : sees(client.scope!, chat.groupId)) signal(client)
    }
  }
  hub.project('chat.deleted', deletion)
  hub.project('chat.restored', deletion)

  // Message counts: only lists the chat may be on, and the chat is read once for all of them.
  hub.project('chat.message', async ({ chatId }) => {
    const open = viewers('my-active', 'queue', 'transferred', 'global-active')
    if (open.length === 0) return
    const chat = await chats.get(chatId)
    for (const { view, client } of open) {
      const on = view === 'my-active'
        ? chat.agentId === client.userId
        : view === 'global-active'
          ? sees(client.scope!, chat.groupId)
          : chat.status === ChatStatus.queued && works(client.scope!, chat.groupId)
      if (on) signal(client)
    }
  })
}
