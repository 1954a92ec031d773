import { isCoded, LC_ERR_IM_NOT_FOUND } from '../errors.ts'
import type { ImService } from '../im/service.ts'
import { noAccessFragment } from '../im/view-models.ts'
import { envelope } from '../realtime/fragments.ts'
import type { Client, Hub } from '../realtime/hub.ts'
import type { Identified, SocketContext } from '../realtime/socket-server.ts'
import { notice } from '../web/answers.ts'

export interface ConsoleImDeps {
  hub: Pick<Hub, 'followStream' | 'catchUpStream' | 'unfollowStream' | 'clients' | 'project' | 'send'>
  im: Pick<ImService, 'markRead' | 'streamFor' | 'admits'>
}

/** What the console socket does with instant message threads and chat rooms (docs/design.md §6). */
export interface ConsoleIm {
  /** Follows the threads and rooms the socket URL names (`im=<id>.<seq>,…`), as far as the agent may still read them. */
  resume (client: Client, held: Map<number, number>): Promise<void>
  /**
   * im_follow: a page follows a thread or room it loaded, checked as the service checks a
   * read, and is sent whatever came after `seq`. A refusal is told; the socket stays open.
   */
  follow (socket: SocketContext<Identified>, conversationId: number, seq: number): Promise<void>
  /** im_read: the agent has read a thread or room up to `seq`; their unread count drops. */
  read (socket: SocketContext<Identified>, conversationId: number, seq: number): Promise<void>
}

/**
 * Instant messages on the console socket: streams of the hub (`im:<id>`, `room:<id>`)
 * followed per page, never every conversation the agent is in. When a room's rules or an
 * agent's groups change, every console following the room is checked again at once.
 */
export function createConsoleIm ({ hub, im }: ConsoleImDeps): ConsoleIm {
  // The room names as they were when each socket followed them: the notice names the room
  // even though the agent may no longer read it.
  const roomTitles = new WeakMap<Client, Map<string, string>>()

  function followed (client: Client, key: string, title: string, seq: number): void {
    hub.followStream(client, key, seq)
    if (!key.startsWith('room:')) return
    let titles = roomTitles.get(client)
    if (!titles) roomTitles.set(client, titles = new Map())
    titles.set(key, title)
  }

  /**
   * One console no longer admitted to a room it follows stops following it at once, is told,
   * and sees the "no access" panel in place of the conversation.
   */
  async function recheckRoom (client: Client, key: string): Promise<void> {
    const conversationId = Number(key.slice('room:'.length))
    if (!client.userId || await im.admits(client.userId, conversationId)) return
    hub.unfollowStream(client, key)
    const title = roomTitles.get(client)?.get(key) ?? `#${conversationId}`
    const text = `You no longer have access to room ${title}`
    await hub.send(client, envelope([
      notice('warning', text),
      noAccessFragment({ conversationId, title, message: `${text}: its permissions changed, or you left the group or department they admit.` })
    ]))
  }

  hub.project('im.access', async (event) => {
    const key = `room:${event.conversationId}`
    for (const client of hub.clients(key)) await recheckRoom(client, key)
  })
  hub.project('agent.groups', async (event) => {
    for (const client of hub.clients(`agent:${event.agentId}`)) {
      for (const key of [...client.streams.keys()]) if (key.startsWith('room:')) await recheckRoom(client, key)
    }
  })

  /** Runs an im frame for the socket's agent; a coded refusal goes back to the socket. Customers' sockets carry no instant messages. */
  async function asViewer (socket: SocketContext<Identified>, conversationId: number, work: (viewer: NonNullable<Client['imViewer']>) => Promise<void>): Promise<void> {
    const viewer = socket.id.client.imViewer
    try {
      if (!viewer) throw new LC_ERR_IM_NOT_FOUND(String(conversationId))
      await work(viewer)
    } catch (err) {
      if (!isCoded(err) || (err.statusCode ?? 500) >= 500) throw err
      await socket.refuse(err)
    }
  }

  return {
    async resume (client, held) {
      for (const [conversationId, seq] of held) {
        const stream = await im.streamFor(client.imViewer!, conversationId).catch(() => undefined)
        if (!stream) continue
        followed(client, stream.key, stream.title, seq)
        void hub.catchUpStream(client, stream.key)
      }
    },

    async follow (socket, conversationId, seq) {
      await asViewer(socket, conversationId, async (viewer) => {
        const client = socket.id.client
        const stream = await im.streamFor(viewer, conversationId)
        followed(client, stream.key, stream.title, seq)
        await hub.catchUpStream(client, stream.key)
      })
    },

    async read (socket, conversationId, seq) {
      await asViewer(socket, conversationId, async (viewer) => { await im.markRead(viewer, conversationId, seq) })
    }
  }
}
