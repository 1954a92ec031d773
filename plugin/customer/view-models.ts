import type { Chat } from '../chats/types.ts'
import { ChatStatus } from '../chats/types.ts'
import type { HostAdapter } from '../host/adapter.ts'
import type { Settings } from '../manifest.ts'

export type CustomerViews = ReturnType<typeof createCustomerViews>

/** Data for the customer window's partials, shared by its page and its socket pushes. */
export function createCustomerViews ({ settings, host }: { settings: Settings, host: HostAdapter }) {
  function queueText (ahead: number): string {
    if (ahead <= 0) return settings.queueNextMessage
    if (ahead === 1) return settings.queuePositionMessageOne
    return settings.queuePositionMessage.replace('{ahead}', String(ahead))
  }

  return {
    queueText,

    /** The status line: queue position while waiting, the agent's name while chatting. */
    async status (chat: Chat, ahead: number | undefined) {
      let text: string
      switch (chat.status) {
        case ChatStatus.queued: text = queueText(ahead ?? 0); break
        case ChatStatus.active: {
          const agent = chat.agentId ? await host.getUser(chat.agentId) : null
          text = `You are chatting with ${agent?.name ?? 'an agent'}`
          break
        }
        case ChatStatus.cancelled: text = 'You left the queue'; break
        default: text = 'This chat has ended'
      }
      return { chatId: chat.id, status: chat.status, text }
    }
  }
}
