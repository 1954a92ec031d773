import { envelope } from '../../realtime/fragments.ts'
import type { Client, Hub } from '../../realtime/hub.ts'
import { bind } from '../fragments.ts'

/*
 * An open list re-reads itself when its rows may have changed (docs/features.md#chat-lists):
 * the server sends a signal (views/lists/stale.hbs, a new time in it), and the page's script
 * makes the table GET its own address, with the tab's own filters, sort and search.
 */

/** views/lists/stale.hbs: the signal's root id (realtime/targets.ts), also its data attribute's name, and when it was sent. */
export interface StaleModel { id: string, at: number }

export const staleFragment = bind('lists/stale', 'outerHTML', (m: StaleModel) => m.id)

/**
 * Sends a tab the refresh signal at most once per `throttleMs` (of real time): a burst of
 * changes becomes one re-read, the last one sent after the burst so the tab ends up current.
 * `at` stamps the signal (the plugin's clock, for the chat lists).
 */
export function throttledSignal (hub: Pick<Hub, 'send'>, id: string, { throttleMs = 1000, at = Date.now }: { throttleMs?: number, at?: () => number } = {}): (client: Client) => void {
  const last = new WeakMap<Client, number>()
  const due = new WeakSet<Client>()
  return (client) => {
    if (due.has(client)) return
    const go = (): void => {
      due.delete(client)
      last.set(client, Date.now())
      void hub.send(client, envelope([staleFragment({ id, at: at() })]))
    }
    const wait = (last.get(client) ?? 0) + throttleMs - Date.now()
    if (wait <= 0) { go(); return }
    due.add(client)
    setTimeout(go, wait).unref()
  }
}
