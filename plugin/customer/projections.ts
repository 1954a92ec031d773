import type { ChatService } from '../chats/service.ts'
import { type Chat, ChatStatus } from '../chats/types.ts'
import { composerModel } from '../chats/view-models.ts'
import type { Hub } from '../realtime/hub.ts'
import { envelope, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import type { Views } from '../web/views.ts'
import type { CustomerViews, QueueContext } from './view-models.ts'

/** Where a waiting customer's chat waits: its group's line, and whether it came there by a transfer. */
interface Waiting { groupId: number | null, transferred: boolean }

/** Status lines rendered in one go before other work gets in. */
const placesPerSlice = 500

const waitingOf = (chat: Chat): Waiting => ({ groupId: chat.groupId, transferred: chat.transferredAt !== null })

/** How bus events show up in open customer windows. */
export function registerCustomerProjections (hub: Hub, { base, chats, customerViews, views }: { base: string, chats: ChatService, customerViews: CustomerViews, views: Views }): void {
  // The line each waiting socket's chat stands in, read once per socket and kept up to date
  // by chat.updated (a transfer moves a chat to another group's line), so a queue change
  // reaches only the customers of the group it happened in.
  const lines = new Map<number, Waiting>()

  /** Pushes every waiting window of the changed lines its place; `any`: a change that named no group. */
  async function pushPlaces ({ groups, any }: { groups: Set<number | null>, any: boolean }): Promise<void> {
    const waiting = hub.clients('queue-position')
    const open = new Set(waiting.map((c) => c.chatId!))
    for (const id of lines.keys()) if (!open.has(id)) lines.delete(id)
    if (waiting.length === 0) return
    for (const c of waiting) {
      if (lines.has(c.chatId!)) continue
      const chat = await chats.get(c.chatId!).catch(() => undefined)
      if (chat) lines.set(chat.id, waitingOf(chat))
    }
    const concerned = waiting.filter((c) => {
      const line = lines.get(c.chatId!)
      return line !== undefined && (any || groups.has(line.groupId))
    })
    if (concerned.length === 0) return
    const positions = await chats.queuePositions()
    const contexts = new Map<number | null, QueueContext>()
    let sent = 0
    for (const c of concerned) {
      // Not in line (held for a named agent, or no longer queued): chat.updated tells them.
      const ahead = positions.get(c.chatId!)
      if (ahead === undefined) continue
      const line = lines.get(c.chatId!)!
      let context = contexts.get(line.groupId)
      if (!context) {
        context = await customerViews.queueContext(line.groupId)
        contexts.set(line.groupId, context)
      }
      const model = customerViews.queued(c.chatId!, ahead, line.transferred, context)
      void hub.send(c, envelope([fragment(targets.status(c.chatId!), 'outerHTML', views.render('customer/status', model))]))
      // Thousands of windows: other work gets in between the renders.
      if (++sent % placesPerSlice === 0) await new Promise((resolve) => setImmediate(resolve))
    }
  }

  // A change moves everyone behind it, so every waiting window of its line is pushed its place.
  // Changes come in bursts (the queue-timeout job closes a burst's chats one after another; a
  // run of starts or takes): one push at a time, and the changes that come while it is under
  // way go together in the next, which reads the line afresh. A burst costs a few pushes over
  // the waiting windows, not one per change (at 18,000 windows that held the server), and the
  // last push shows the line after the last change (docs/design.md §9).
  let pushing = false
  let due: { groups: Set<number | null>, any: boolean } | undefined
  hub.project('queue.changed', async ({ groupId }) => {
    due ??= { groups: new Set(), any: false }
    if (groupId === undefined) due.any = true
    else due.groups.add(groupId)
    if (pushing) return
    pushing = true
    try {
      while (due) {
        const batch = due
        due = undefined
        await pushPlaces(batch)
      }
    } finally {
      pushing = false
    }
  })

  hub.project('chat.updated', async ({ chat }) => {
    const clients = hub.clients(`customer:${chat.id}`)
    if (clients.length === 0) return
    const status = await customerViews.status(chat)
    const parts = [fragment(targets.status(chat.id), 'outerHTML', views.render('customer/status', status))]
    // The composer is replaced only when it closes, so a draft being typed survives an agent joining.
    const composer = composerModel(base, chat, 'customer', null)
    if (!composer.open) parts.push(fragment(targets.composer(chat.id), 'outerHTML', views.render('chats/composer', composer)))
    const html = envelope(parts)
    // Back in a line after a transfer or a re-offer: the socket follows queue changes again.
    if (chat.status === ChatStatus.queued) lines.set(chat.id, waitingOf(chat))
    else lines.delete(chat.id)
    for (const c of clients) {
      if (chat.status === ChatStatus.queued) hub.subscribe(c, 'queue-position')
      else hub.unsubscribe(c, 'queue-position')
      void hub.send(c, html)
    }
  })

  // The agent has read further: one small frame marks every message of the customer's up to it Read.
  hub.project('chat.read', async ({ chatId, side, seq }) => {
    if (side !== 'agent') return
    const html = envelope([fragment(targets.readMark(chatId), 'outerHTML', views.render('chats/read-mark', { chatId, seq }))])
    for (const c of hub.clients(`customer:${chatId}`)) void hub.send(c, html)
  })

  hub.project('chat.received', async ({ chatId, side, seq }) => {
    if (side !== 'agent') return
    const html = envelope([fragment(targets.deliveredMark(chatId), 'outerHTML', views.render('chats/delivered-mark', { chatId, seq }))])
    for (const c of hub.clients(`customer:${chatId}`)) void hub.send(c, html)
  })

  hub.project('chat.typing', async ({ chatId, side, name }) => {
    if (side !== 'agent') return
    const html = envelope([fragment(targets.typing(chatId), 'innerHTML', views.render('chats/typing', { name }))])
    for (const c of hub.clients(`customer:${chatId}`)) void hub.send(c, html)
  })
}
