import { isCoded } from '../errors.ts'
import { envelope } from '../realtime/fragments.ts'
import type { Client, Hub } from '../realtime/hub.ts'
import type { CommentViews } from './view-models.ts'

/**
 * A chat's comments changed: every agent socket following the chat gets the list again,
 * rendered for that agent (what they may change differs). Consoles without the Comments
 * tab open have no list to replace, and htmx leaves them as they are.
 */
export function registerCommentProjections (hub: Hub, { commentViews }: { commentViews: CommentViews }): void {
  hub.project('chat.comments', async ({ chatId }) => {
    const byAgent = new Map<string, Client[]>()
    for (const c of hub.clients(`chat:${chatId}`)) {
      if (c.kind !== 'agent' || !c.userId || !c.scope) continue
      byAgent.set(c.userId, [...(byAgent.get(c.userId) ?? []), c])
    }
    for (const clients of byAgent.values()) {
      let html: string
      try {
        html = envelope([await commentViews.list(chatId, clients[0]!.scope!)])
      } catch (err) {
        // The chat went out of this agent's sight (transferred away): nothing to show them.
        if (isCoded(err) && err.code === 'LC_ERR_CHAT_NOT_FOUND') continue
        throw err
      }
      for (const c of clients) void hub.send(c, html)
    }
  })
}
