import type { ChatService } from '../chats/service.ts'
import { type Chat, queueCounts, queueTab } from '../chats/types.ts'
import { envelope, type Fragment, fragment } from '../realtime/fragments.ts'
import type { Client, Hub } from '../realtime/hub.ts'
import { targets } from '../realtime/targets.ts'
import { type ConsoleViews, queueCountFragments, queueRowFragment, transferredRowFragment } from './view-models.ts'

/** Agents who work a group's queue (or, for chats of no group, every agent). */
export function working (hub: Pick<Hub, 'clients'>, groupId: number | null | undefined): Client[] {
  return groupId === null || groupId === undefined ? hub.clients('queue') : [...new Set([...hub.clients(`group:${groupId}`), ...hub.clients('group:*')])]
}

export interface QueueProjectionsDeps {
  chats: Pick<ChatService, 'get' | 'queueTally'>
  consoleViews: Pick<ConsoleViews, 'queueRow' | 'transferredRow' | 'queueFragments'>
  log: { error: (obj: object, msg: string) => void }
}

/** A chat a queue change named, as it is now (undefined: deleted or purged), and whose queue it is in. */
interface Change { id: number, chat: Chat | undefined, groupId: number | null | undefined }

/**
 * A chat that joins, leaves or changes in a queue reaches the open consoles as its own rows
 * (docs/design.md §6, Live updates): its row in the Queue or Transferred tab of everyone who
 * works its group, taken out first so a row is never there twice, and the counts beside them.
 * What it costs does not grow with the consoles open: the chat and every queue's counts are
 * read once, each row and each set of counts rendered once, and one frame is built for all
 * the consoles that are shown the same.
 *
 * Changes are pushed one batch at a time, in order: those that come while a batch is being
 * pushed wait and go together in the next, read afresh, so the last thing every console is
 * sent is the queue as it stands after the last change.
 */
export function registerQueueProjections (hub: Hub, { chats, consoleViews, log }: QueueProjectionsDeps): void {
  const waiting = new Map<number, number | null | undefined>()
  let pushing = false

  async function push (batch: Array<[number, number | null | undefined]>): Promise<void> {
    const [found, tally] = await Promise.all([
      Promise.all(batch.map(async ([id]) => await chats.get(id).catch(() => undefined))),
      chats.queueTally()
    ])
    const changes: Change[] = batch.map(([id, groupId], i) => ({ id, chat: found[i], groupId: found[i]?.groupId ?? groupId }))

    // Each part once, whoever is sent it: keyed by what it shows.
    const parts = new Map<string, Promise<Fragment[]>>()
    const part = (key: string, make: () => Promise<Fragment[]> | Fragment[]): string => {
      if (!parts.has(key)) parts.set(key, Promise.resolve().then(make))
      return key
    }
    const frames = new Map<string, Promise<string>>()
    const sends: Array<{ client: Client, key: string }> = []

    const audience = new Map<Client, Change[]>()
    for (const change of changes) {
      for (const c of working(hub, change.groupId)) if (c.kind === 'agent' && c.scope) audience.set(c, [...(audience.get(c) ?? []), change])
    }
    for (const [client, concerned] of audience) {
      const scope = client.scope!
      const keys: string[] = []
      for (const { id, chat } of concerned) {
        const tab = chat ? queueTab(chat, scope) : null
        keys.push(part(`queue ${id} ${tab === 'queue'}`, async () => [
          fragment(targets.queueRow(id), 'delete', ''),
          ...(tab === 'queue' ? [queueRowFragment(await consoleViews.queueRow(chat!))] : [])
        ]))
        // The row says "to you" to the agent a transfer is held for, and names them to everyone else.
        const forViewer = tab === 'transferred' && chat!.transferredTo === scope.id
        keys.push(part(`transferred ${id} ${tab === 'transferred'} ${forViewer}`, async () => [
          fragment(targets.transferredRow(id), 'delete', ''),
          ...(tab === 'transferred' ? [transferredRowFragment(await consoleViews.transferredRow(chat!, forViewer ? scope.id : ''))] : [])
        ]))
      }
      const counts = queueCounts(tally, scope)
      keys.push(part(`counts ${counts.queue} ${counts.transferred} ${scope.supervise}`, () => queueCountFragments(counts, scope.supervise)))
      const key = keys.join('\n')
      if (!frames.has(key)) frames.set(key, Promise.all(keys.map(async (k) => await parts.get(k)!)).then((all) => envelope(all.flat())))
      sends.push({ client, key })
    }
    for (const { client, key } of sends) void hub.send(client, await frames.get(key)!)
  }

  /** A change that names no chat: every agent working the queue re-reads theirs. */
  async function everyQueue (groupId: number | null | undefined): Promise<void> {
    const byAgent = new Map<string, Client[]>()
    for (const c of working(hub, groupId)) if (c.kind === 'agent' && c.userId && c.scope) byAgent.set(c.userId, [...(byAgent.get(c.userId) ?? []), c])
    for (const clients of byAgent.values()) {
      const html = envelope(await consoleViews.queueFragments(clients[0]!.scope!))
      for (const c of clients) void hub.send(c, html)
    }
  }

  hub.project('queue.changed', async ({ chatId, groupId }) => {
    if (chatId === undefined) {
      await everyQueue(groupId)
      return
    }
    waiting.set(chatId, groupId)
    if (pushing) return
    pushing = true
    try {
      while (waiting.size > 0) {
        const batch = [...waiting]
        waiting.clear()
        try {
          await push(batch)
        } catch (err) {
          // The next batch reads afresh, so a failed one is made good by the next change.
          log.error({ err, chats: batch.map(([id]) => id) }, 'live chat queue push failed')
        }
      }
    } finally {
      pushing = false
    }
  })
}
