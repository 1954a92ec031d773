import { isCoded } from '../errors.ts'
import type { Settings } from '../settings.ts'
import { envelope, type Fragment, fragment } from '../realtime/fragments.ts'
import type { Client, Hub } from '../realtime/hub.ts'
import { targets } from '../realtime/targets.ts'
import { throttledSignal } from '../web/lists/refresh.ts'
import type { Views } from '../web/views.ts'
import type { ImService } from './service.ts'
import { createRoomViews } from './room-view-models.ts'
import type { ImMessage } from './types.ts'
import { headerFragment, headerModel, popupFragment, popupModel, renderMessages, socketViewer } from './view-models.ts'

/** The hub's stream key of a conversation: threads and rooms are followed apart ('im:7', 'room:7'). */
export const streamKey = (kind: 'thread' | 'room', conversationId: number): string => `${kind === 'thread' ? 'im' : 'room'}:${conversationId}`

/**
 * Instant messages over the sockets (DESIGN §6). Messages of threads and rooms go through
 * the hub's streams, rendered once with the message partial and delivered in order,
 * exactly once, gaps filled from the database. Beside them, per agent:
 * - a pop-up (who wrote, the last few messages, Reply and Open) to each
 *   recipient's consoles that do not show the thread;
 * - the topbar's unread badge, whenever the count may have changed;
 * - a refresh signal for an open Instant Messages list, at most once a second per tab;
 * - a thread's or room's header, re-rendered for each viewer following it when its
 *   participants or status change (who may Join or Leave differs per viewer).
 * Fragments whose target is not on a page (no badge, no list) are dropped by htmx there.
 */
export function registerImProjections (hub: Hub, { im, views, base, settings, throttleMs = 1000 }: { im: ImService, views: Views, base: string, settings: Pick<Settings, 'maxMessageLength'>, throttleMs?: number }): void {
  const { maxMessageLength } = settings
  const render = (conversationId: number, messages: ImMessage[]): string => envelope([renderMessages(views, conversationId, messages)])
  const between = async (conversationId: number, afterSeq: number, upToSeq?: number): Promise<ImMessage[]> => await im.messagesBetween(conversationId, afterSeq, upToSeq)
  hub.registerStream('im', { between, render })
  hub.registerStream('room', { between, render })
  const rooms = createRoomViews({ base, im, views, maxMessageLength })

  const consoles = (agentId: string): Client[] => hub.clients(`agent:${agentId}`).filter((c) => c.kind === 'agent' && c.scope)

  async function badges (agentIds: Iterable<string>): Promise<void> {
    for (const agentId of new Set(agentIds)) {
      const open = consoles(agentId)
      if (open.length === 0) continue
      const html = envelope([fragment(targets.imUnread(), 'outerHTML', views.render('im/unread', { base, count: await im.unreadTotal(agentId) }))])
      for (const c of open) void hub.send(c, html)
    }
  }

  const staleSignal = throttledSignal(hub, targets.imListStale(), { throttleMs })
  const lists = (agentIds: Iterable<string>): void => {
    for (const agentId of new Set(agentIds)) for (const c of consoles(agentId)) staleSignal(c)
  }

  /** One pop-up per recipient, rendered for them (the thread's title leaves the viewer out), sent to their consoles not showing it. */
  async function popups (conversationId: number, seq: number, recipients: string[]): Promise<void> {
    const key = streamKey('thread', conversationId)
    for (const agentId of new Set(recipients)) {
      const away = consoles(agentId).filter((c) => !c.streams.has(key))
      if (away.length === 0) continue
      let part: Fragment
      try {
        part = popupFragment(views, await popupModel(im, base, maxMessageLength, socketViewer(away[0]!), conversationId, seq), 'beforeend')
      } catch (err) {
        // Gone from their sight meanwhile (deleted, say): nothing to pop up.
        if (isCoded(err) && err.code === 'LC_ERR_IM_NOT_FOUND') continue
        throw err
      }
      const html = envelope([part])
      for (const c of away) void hub.send(c, html)
    }
  }

  hub.project('im.message', async ({ conversationId, kind, message, recipients }) => {
    if (kind !== 'thread') return
    if (message.kind === 'text') await popups(conversationId, message.seq, recipients)
    await badges(recipients)
    lists([...recipients, ...(message.authorId ? [message.authorId] : [])])
  })

  hub.project('im.updated', async ({ conversationId, kind, agentIds, standing }) => {
    await badges(agentIds)
    lists(agentIds)
    if (!standing) return
    for (const client of hub.clients(streamKey(kind, conversationId))) {
      if (client.kind !== 'agent' || !client.scope) continue
      const viewer = socketViewer(client)
      void hub.send(client, async () => {
        try {
          const c = await im.get(viewer, conversationId)
          return envelope([kind === 'thread' ? headerFragment(views, headerModel(base, c)) : await rooms.headerFragment(viewer, c)])
        } catch (err) {
          if (isCoded(err) && err.code === 'LC_ERR_IM_NOT_FOUND') return ''
          throw err
        }
      })
    }
  })
}
