import { isCoded } from '../errors.ts'
import { envelope, type Fragment } from '../realtime/fragments.ts'
import type { Client, Hub } from '../realtime/hub.ts'
import { targets } from '../realtime/targets.ts'
import { throttledSignal } from '../web/lists/refresh.ts'
import { roomHeaderFragment, type RoomViews } from './room-view-models.ts'
import type { ImService } from './service.ts'
import type { ImMessage } from './types.ts'
import { headerFragment, headerModel, type ImViews, messagesFragment, newPopupFragment, socketViewer, unreadFragment } from './view-models.ts'

/** What the instant message projections use. */
export interface ImProjectionsDeps {
  base: string
  im: Pick<ImService, 'messagesBetween' | 'get'>
  imViews: Pick<ImViews, 'popup' | 'unread'>
  roomViews: Pick<RoomViews, 'header'>
  /** How often, at most, an open Instant Messages list is told to re-read itself (tests shorten it). */
  throttleMs?: number
}

/** The hub's stream key of a conversation: threads and rooms are followed apart ('im:7', 'room:7'). */
export const streamKey = (kind: 'thread' | 'room', conversationId: number): string => `${kind === 'thread' ? 'im' : 'room'}:${conversationId}`

/**
 * Instant messages over the sockets (docs/design.md §6). Messages of threads and rooms go through
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
export function registerImProjections (hub: Hub, { base, im, imViews, roomViews, throttleMs = 1000 }: ImProjectionsDeps): void {
  const render = (conversationId: number, messages: ImMessage[]): string => envelope([messagesFragment(conversationId, messages)])
  const between = async (conversationId: number, afterSeq: number, upToSeq?: number): Promise<ImMessage[]> => await im.messagesBetween(conversationId, afterSeq, upToSeq)
  hub.registerStream('im', { between, render })
  hub.registerStream('room', { between, render })

  const consoles = (agentId: string): Client[] => hub.clients(`agent:${agentId}`).filter((c) => c.kind === 'agent' && c.scope)

  async function badges (agentIds: Iterable<string>): Promise<void> {
    for (const agentId of new Set(agentIds)) {
      const open = consoles(agentId)
      if (open.length === 0) continue
      const html = envelope([unreadFragment(await imViews.unread(agentId))])
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
        part = newPopupFragment(await imViews.popup(socketViewer(away[0]!), conversationId, seq))
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
          return envelope([kind === 'thread' ? headerFragment(headerModel(base, c)) : roomHeaderFragment(await roomViews.header(viewer, c))])
        } catch (err) {
          if (isCoded(err) && err.code === 'LC_ERR_IM_NOT_FOUND') return ''
          throw err
        }
      })
    }
  })
}
