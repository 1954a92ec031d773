import type { ChatService } from '../chats/service.ts'
import type { Chat, Message } from '../chats/types.ts'
import { composerModel, statusLabels } from '../chats/view-models.ts'
import type { HostAdapter } from '../host/adapter.ts'
import { type Fragment, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import type { Presence } from '../routing/store.ts'
import type { Views } from '../views.ts'

export type ConsoleViews = ReturnType<typeof createConsoleViews>

/** Data for the console's partials, shared by its page, its htmx answers and its socket pushes. */
export function createConsoleViews ({ base, chats, host, views }: { base: string, chats: ChatService, host: HostAdapter, views: Views }) {
  const names = new Map<string, string>()
  async function agentName (id: string | null): Promise<string | null> {
    if (!id) return null
    if (!names.has(id)) names.set(id, (await host.getUser(id))?.name ?? 'Unknown agent')
    return names.get(id)!
  }

  async function pane (chat: Chat, viewerId: string, messages?: Message[], isNew = false) {
    return {
      base,
      chat,
      isNew,
      statusLabel: statusLabels[chat.status],
      agentName: await agentName(chat.agentId),
      messages: messages ?? await chats.messages(chat.id),
      composer: composerModel(base, chat, 'agent', viewerId)
    }
  }

  async function lists (agentId: string) {
    const [active, completed] = await Promise.all([chats.agentChats(agentId, 'active'), chats.agentChats(agentId, 'completed')])
    return { myActive: { base, chats: active }, myCompleted: { base, chats: completed } }
  }

  return {
    pane,
    lists,
    queue: (queued: Chat[]) => ({ base, chats: queued }),
    availability: (p: Presence) => ({ base, available: p.status === 'available' }),

    async listFragments (agentId: string): Promise<Fragment[]> {
      const { myActive, myCompleted } = await lists(agentId)
      return [
        fragment(targets.myActive(), 'outerHTML', views.render('console/my-active', myActive)),
        fragment(targets.myCompleted(), 'outerHTML', views.render('console/my-completed', myCompleted))
      ]
    },

    async queueFragment (): Promise<Fragment> {
      return fragment(targets.queue(), 'outerHTML', views.render('console/queue', { base, chats: await chats.queue() }))
    },

    /** The parts of an open pane that change with the chat's state: header and composer. */
    async paneStateFragments (chat: Chat, viewerId: string): Promise<Fragment[]> {
      const model = await pane(chat, viewerId, [])
      const parts = [fragment(targets.chatHeader(chat.id), 'outerHTML', views.render('console/chat-header', model))]
      // Replaced only when it closes, so a draft being typed is never wiped.
      if (!model.composer.open) parts.push(fragment(targets.composer(chat.id), 'outerHTML', views.render('chats/composer', model.composer)))
      return parts
    }
  }
}
