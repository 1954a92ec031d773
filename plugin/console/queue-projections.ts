import type { ChatService } from '../chats/service.ts'
import { type Chat, queueCounts, queueTab } from '../chats/types.ts'
import { envelope, type Fragment, fragment } from '../realtime/fragments.ts'
import type { Client, Hub } from '../realtime/hub.ts'
import { targets } from '../realtime/targets.ts'
import { type ConsoleViews, queueCountFragments, queueRowFragment, transferredRowFragment } from './view-models.ts'

/** Agents who work a group's queue (or, for chats of no group, every agent). */
function working (hub: Pick<Hub, 'clients'>, groupId: number | null | undefined): Client[] {
  return groupId === null || groupId === undefined ? hub.clients('queue') : [...new Set([...hub.clients(`group:${groupId}`), ...hub.clients('group:*')])]
}

export interface QueueProjectionsDeps {
  chats: Pick<ChatService, 'get' | 'queueTally'>
  consoleViews: Pick<ConsoleViews, 'queueRow' | 'transferredRow' | 'queueFragments'>
  log: { error: (obj: object, msg: string) => void }
  /** At most one queue frame per console this often: a burst's changes go together. */
  paceMs?: number
}

/** A chat a queue change named, as it is now (undefined: deleted or purged), and whose queue it is in. */
interface Change { id: number, chat: Chat | undefined, groupId: number | null | undefined }

export interface QueueProjections {
  /**
   * Sends a fragment to everyone working a group's queue with the next queue push, in the same
   * frame (a chat's "queued" alert rides with its row): one socket write per console, not two.
   */
  sendAlong: (to: Audience, part: Fragment) => void
}

/** Everyone working a group's queue, or one agent's sockets. */
export type Audience = { groupId: number | null | undefined } | { agentId: string }

/**
 * A chat that joins, leaves or changes in a queue reaches the open consoles as its own rows
 * (docs/design.md §6, Live updates): its row in the Queue or Transferred tab of everyone who
 * works its group, taken out first so a row is never there twice, and the counts beside them.
 * What it costs does not grow with the consoles open: the chat and every queue's counts are
 * read once, each row and each set of counts rendered once, and one frame is built for all
 * the consoles that are shown the same.
 *
 * Changes are pushed one batch at a time, in order, at most one batch every `paceMs`: those
 * that come while a batch waits or is being pushed go together in the next, read afresh, so
 * the last thing every console is sent is the queue as it stands after the last change.
 */
export function registerQueueProjections (hub: Hub, { chats, consoleViews, log, paceMs = 200 }: QueueProjectionsDeps): QueueProjections {
  const waiting = new Map<number, number | null | undefined>()
  const riders: Array<{ to: Audience, part: Fragment }> = []
  let pushing = false

  async function push (batch: Array<[number, number | null | undefined]>): Promise<void> {
    const [found, tally] = batch.length === 0
      ? [[], []]
      : await Promise.all([
        Promise.all(batch.map(async ([id]) => await chats.get(id).catch(() => undefined))),
        chats.queueTally()
      ])
    const changes: Change[] = batch.map(([id, groupId], i) => ({ id, chat: found[i], groupId: found[i]?.groupId ?? groupId }))
    // What was handed in while the chats were read goes in the same frames.
    const along = riders.splice(0)

    // Each part once, whoever is sent it: keyed by what it shows.
    const parts = new Map<string, Promise<Fragment[]>>()
    const part = (key: string, make: () => Promise<Fragment[]> | Fragment[]): string => {
      if (!parts.has(key)) parts.set(key, Promise.resolve().then(make))
      return key
    }
    const frames = new Map<string, Promise<string>>()
    const sends: Array<{ client: Client, key: string }> = []

    const audience = new Map<Client, { concerned: Change[], along: number[] }>()
    const of = (c: Client) => audience.get(c) ?? audience.set(c, { concerned: [], along: [] }).get(c)!
    for (const change of changes) {
      for (const c of working(hub, change.groupId)) if (c.kind === 'agent' && c.scope) of(c).concerned.push(change)
    }
    along.forEach(({ to }, i) => {
      const clients = 'agentId' in to ? hub.clients(`agent:${to.agentId}`) : working(hub, to.groupId)
      for (const c of clients) if (c.kind === 'agent' && c.scope) of(c).along.push(i)
    })
    for (const [client, { concerned, along: riding }] of audience) {
      const scope = client.scope!
      // Two parts that replace the same element in one frame: htmx finds the targets first, so
      // the second would land on the element the first took away. Only the later one is sent.
      const last = new Map(riding.map((i) => [along[i]!.part.target, i]))
      const keys: string[] = riding.filter((i) => along[i]!.part.swap !== 'outerHTML' || last.get(along[i]!.part.target) === i)
        .map((i) => part(`along ${i}`, () => [along[i]!.part]))
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
      if (concerned.length > 0) {
        const counts = queueCounts(tally, scope)
        keys.push(part(`counts ${counts.queue} ${counts.transferred} ${scope.supervise}`, () => queueCountFragments(counts, scope.supervise)))
      }
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

  let last = -Infinity
  async function drain (): Promise<void> {
    if (pushing) return
    pushing = true
    try {
      while (waiting.size > 0 || riders.length > 0) {
        // Paced: what a socket write costs is paid once per console and frame, so during a
        // burst the changes of up to paceMs go together; a change after a quiet spell goes at once.
        const wait = last + paceMs - performance.now()
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
        last = performance.now()
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
  }

  hub.project('queue.changed', async ({ chatId, groupId }) => {
    if (chatId === undefined) {
      await everyQueue(groupId)
      return
    }
    waiting.set(chatId, groupId)
    await drain()
  })

  return {
    sendAlong (to, part) {
      riders.push({ to, part })
      void drain()
    }
  }
}
