import type { ChatService } from '../chats/service.ts'
import { ChatStatus } from '../chats/types.ts'
import { composerModel } from '../chats/view-models.ts'
import type { Hub } from '../realtime/hub.ts'
import { envelope, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import type { Views } from '../views.ts'
import type { CustomerViews } from './view-models.ts'

/** How bus events show up in open customer windows. */
export function registerCustomerProjections (hub: Hub, { base, chats, customerViews, views }: { base: string, chats: ChatService, customerViews: CustomerViews, views: Views }): void {
  hub.project('queue.changed', async () => {
    const waiting = hub.clients('queue-position')
    if (waiting.length === 0) return
    const positions = await chats.queuePositions()
    for (const c of waiting) {
      const ahead = positions.get(c.chatId!)
      if (ahead === undefined) continue
      const model = { chatId: c.chatId!, status: ChatStatus.queued, text: customerViews.queueText(ahead) }
      void hub.send(c, envelope([fragment(targets.status(c.chatId!), 'outerHTML', views.render('customer/status', model))]))
    }
  })

  hub.project('chat.updated', async ({ chat }) => {
    const clients = hub.clients(`customer:${chat.id}`)
    if (clients.length === 0) return
    const status = await customerViews.status(chat, undefined)
    const parts = [fragment(targets.status(chat.id), 'outerHTML', views.render('customer/status', status))]
    // The composer is replaced only when it closes, so a draft being typed survives an agent joining.
    const composer = composerModel(base, chat, 'customer', null)
    if (!composer.open) parts.push(fragment(targets.composer(chat.id), 'outerHTML', views.render('chats/composer', composer)))
    const html = envelope(parts)
    for (const c of clients) {
      if (chat.status !== ChatStatus.queued) hub.unsubscribe(c, 'queue-position')
      void hub.send(c, html)
    }
  })
}
