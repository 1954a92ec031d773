import type { WebSocket } from 'ws'
import type { AgentScope, Message } from '../chats/types.ts'
import type { ImViewer } from '../im/types.ts'
import type { Bus, BusEvent } from './bus-events.ts'
import { envelope, fragment } from './fragments.ts'
import { closeCodes } from './close-codes.ts'
import { targets } from './targets.ts'

/** One open socket and what it may see. */
export interface Client {
  socket: WebSocket
  kind: 'agent' | 'customer'
  /** The agent's host user id; null for a customer. */
  userId: string | null
  /** The customer's one chat; null for an agent. */
  chatId: number | null
  /** For an agent: the groups they work, as read when the socket opened. */
  scope?: AgentScope
  topics: Set<string>
  /** Per chat, the highest seq this socket holds: what it is sent next starts after it. */
  seqs: Map<number, number>
  /** For an agent: who they are to instant messages (roles, permissions), as read when the socket opened. */
  imViewer?: ImViewer
  /** Per followed stream ('im:7', 'room:7'), the highest seq this socket holds. */
  streams: Map<string, number>
  /** Sends to one socket go out strictly one after another. */
  chain: Promise<void>
}

/** How long HTML given to sendWith waits for its message before it goes alone. */
const riderWaitMs = 1000

export type EventOf<T extends BusEvent['type']> = Extract<BusEvent, { type: T }>
export type Projection<T extends BusEvent['type']> = (event: EventOf<T>, hub: Hub) => Promise<void>

/**
 * A sequence of seq-numbered messages other than a chat's (an instant message thread, a
 * chat room), delivered by the same rule as chat messages: exactly once, in seq order,
 * gaps filled from the database. `render` wraps its messages in envelopes itself.
 */
export interface StreamSource<M extends { seq: number } = { seq: number }> {
  /** Messages with afterSeq < seq <= upToSeq, in order. */
  between: (id: number, afterSeq: number, upToSeq?: number) => Promise<M[]>
  render: (id: number, messages: M[]) => string
}

export interface HubDeps {
  bus: Bus
  /** Messages of a chat with afterSeq < seq <= upToSeq, for filling gaps and resuming. */
  messagesBetween: (chatId: number, afterSeq: number, upToSeq?: number) => Promise<Message[]>
  renderMessages: (messages: Message[]) => string
  /**
   * Whether a customer's socket is sent a chat message (agents' sockets are sent every one):
   * the chats' rule, given by the wiring so the hub knows no message kind.
   */
  customerSees: (message: Message) => boolean
  log: { warn: (obj: object, msg: string) => void, error: (obj: object, msg: string) => void }
  /** A socket holding more than this many unsent bytes is closed with 1013 and resumes later. */
  maxBufferedBytes?: number
}

export type Hub = ReturnType<typeof createHub>

/**
 * Keeps this instance's sockets, turns bus events into fragments for them (docs/design.md §6).
 * Chat messages are delivered exactly once and in seq order per socket: a message that
 * arrives ahead of a gap is preceded by the missing ones, read from the database.
 */
export function createHub ({ bus, messagesBetween, renderMessages, customerSees, log, maxBufferedBytes = 1 << 20 }: HubDeps) {
  const byTopic = new Map<string, Set<Client>>()
  const projections = new Map<string, Array<Projection<BusEvent['type']>>>()
  const streamSources = new Map<string, StreamSource>()
  let closing = false

  /** Agent-only kinds (coaching, notes) never reach a customer's socket; its seq still moves past them. */
  function sees (client: Client, message: Message): boolean {
    return client.kind === 'agent' || customerSees(message)
  }

  function enqueue (client: Client, work: () => Promise<void>): Promise<void> {
    client.chain = client.chain.then(work).catch((err: unknown) => { log.error({ err }, 'live chat socket delivery failed') })
    return client.chain
  }

  function sendNow (client: Client, html: string): void {
    if (client.socket.readyState !== 1 || html === '') return
    if (client.socket.bufferedAmount > maxBufferedBytes) {
      // The client reconnects after 1013 and resumes by seq, so nothing is lost by dropping it here.
      client.socket.close(closeCodes.behind, 'Too far behind; reconnect')
      return
    }
    client.socket.send(html)
  }

  /**
   * What one socket holds of one sequence of messages (a chat's, or a stream's) and how to
   * read and render more of it: the same delivery rule serves both.
   */
  interface Track<M extends { seq: number }> {
    /** The highest seq the socket holds; undefined once it no longer follows the sequence. */
    held: () => number | undefined
    hold: (seq: number) => void
    between: (afterSeq: number, upToSeq?: number) => Promise<M[]>
    render: (messages: M[]) => string
    /** Messages this socket is not shown still move its seq on: skipped, not a gap. */
    shown?: (message: M) => boolean
    /** What waits to go out in the same frame as the messages up to `seq` (sendWith). */
    riders?: (seq: number) => string
  }

  function chatTrack (client: Client, chatId: number): Track<Message> {
    return {
      held: () => client.seqs.get(chatId),
      hold: (seq) => { client.seqs.set(chatId, seq) },
      between: async (afterSeq, upToSeq) => await messagesBetween(chatId, afterSeq, upToSeq),
      render: (messages) => envelope([fragment(targets.messages(chatId), 'beforeend', renderMessages(messages))]),
      shown: (message) => sees(client, message),
      riders: (seq) => ridersUpTo(client, chatId, seq)
    }
  }

  /**
   * HTML that goes out in the same frame as a chat message, once the message reaches the
   * socket (`hub.sendWith`): a sender's fresh reply box rides with their copy of the message,
   * one frame and one write where there were two (docs/design.md §9). Per socket, per chat,
   * in the order given; what is still waiting after `riderWaitMs` goes alone.
   */
  interface Rider { seq: number, html: string, at: number }
  const riders = new Map<Client, Map<number, Rider[]>>()
  let riderSweep: ReturnType<typeof setTimeout> | undefined

  function ridersUpTo (client: Client, chatId: number, seq: number): string {
    const byChat = riders.get(client)
    const waiting = byChat?.get(chatId)
    if (!waiting || waiting[0]!.seq > seq) return ''
    let html = ''
    let n = 0
    while (n < waiting.length && waiting[n]!.seq <= seq) html += waiting[n++]!.html
    if (n === waiting.length) {
      byChat!.delete(chatId)
      if (byChat!.size === 0) riders.delete(client)
    } else waiting.splice(0, n)
    return html
  }

  /** Sends alone what waited too long for its message (the bus slow, or the chat no longer followed). */
  function sweepRiders (): void {
    riderSweep = undefined
    const due = Date.now() - riderWaitMs
    for (const [client, byChat] of riders) {
      for (const [chatId, waiting] of byChat) {
        if (waiting[0]!.at > due) continue
        const html = ridersUpTo(client, chatId, waiting.findLast((r) => r.at <= due)!.seq)
        void enqueue(client, async () => { sendNow(client, html) })
      }
    }
    // Timers may fire a millisecond before Date.now says they are due: the next sweep is set for
    // the oldest rider left, not a whole wait later, so none waits twice as long as it should.
    let oldest = Infinity
    for (const byChat of riders.values()) for (const waiting of byChat.values()) oldest = Math.min(oldest, waiting[0]!.at)
    if (oldest !== Infinity && !closing) riderSweep = setTimeout(sweepRiders, Math.max(1, oldest + riderWaitMs - Date.now())).unref()
  }

  /** Delivers a chat's new message to one socket, without a track's closures when it is the next one. */
  async function deliverMessage (client: Client, chatId: number, known: { message: Message, html: () => string }): Promise<void> {
    const last = client.seqs.get(chatId)
    if (last === undefined || known.message.seq <= last) return
    if (known.message.seq === last + 1) {
      client.seqs.set(chatId, known.message.seq)
      const html = (sees(client, known.message) ? known.html() : '') + ridersUpTo(client, chatId, known.message.seq)
      sendNow(client, html)
      return
    }
    await sendUpTo(client, chatTrack(client, chatId), known.message.seq, known)
  }

  /** 'im:7' → the 'im' source and 7; undefined for a key of no registered stream. */
  function streamOf (key: string): { source: StreamSource, id: number } | undefined {
    const colon = key.indexOf(':')
    const source = streamSources.get(key.slice(0, colon))
    const id = Number(key.slice(colon + 1))
    return source && Number.isInteger(id) ? { source, id } : undefined
  }

  function streamTrack (client: Client, key: string, stream: { source: StreamSource, id: number }): Track<{ seq: number }> {
    return {
      held: () => client.streams.get(key),
      hold: (seq) => { client.streams.set(key, seq) },
      between: async (afterSeq, upToSeq) => await stream.source.between(stream.id, afterSeq, upToSeq),
      render: (messages) => stream.source.render(stream.id, messages)
    }
  }

  /**
   * Sends the socket every message of the track after what it holds, up to `upTo` (all when
   * undefined). `known` is the event's message with its HTML, rendered once for every socket
   * that is up to date; one further ahead is preceded by the gap, read from the database.
   */
  async function sendUpTo<M extends { seq: number }> (client: Client, track: Track<M>, upTo: number | undefined, known?: { message: M, html: () => string }): Promise<void> {
    const last = track.held()
    if (last === undefined) return
    if (upTo !== undefined && upTo <= last) return
    const shown = track.shown ?? (() => true)
    if (known && known.message.seq === last + 1) {
      track.hold(known.message.seq)
      sendNow(client, (shown(known.message) ? known.html() : '') + (track.riders?.(known.message.seq) ?? ''))
      return
    }
    const messages = await track.between(last, upTo)
    // Stopped following while the gap was read, or followed again from elsewhere: what was
    // read no longer starts at what the socket holds, so it is dropped, never sent twice.
    if (messages.length === 0 || track.held() !== last) return
    const held = messages[messages.length - 1]!.seq
    track.hold(held)
    const visible = messages.filter(shown)
    sendNow(client, (visible.length > 0 ? track.render(visible) : '') + (track.riders?.(held) ?? ''))
  }

  const hub = {
    /** Makes `prefix:<id>` keys followable; the source reads and renders its messages. */
    registerStream<M extends { seq: number }> (prefix: string, source: StreamSource<M>): void {
      streamSources.set(prefix, source as unknown as StreamSource)
    },

    /** Follows a stream from `fromSeq` on (kept if already followed): the socket is sent every message after it. */
    followStream (client: Client, key: string, fromSeq: number): void {
      if (!client.streams.has(key)) client.streams.set(key, fromSeq)
      hub.subscribe(client, key)
    },

    /** Sends a socket every message of the stream it has not had yet. */
    catchUpStream (client: Client, key: string): Promise<void> {
      const stream = streamOf(key)
      if (!stream) return Promise.resolve()
      return enqueue(client, async () => { await sendUpTo(client, streamTrack(client, key, stream), undefined) })
    },

    /** Stops following: nothing more of the stream is sent, queued deliveries included. */
    unfollowStream (client: Client, key: string): void {
      client.streams.delete(key)
      hub.unsubscribe(client, key)
    },

    /** Delivers a stream's new message to every socket following it (exactly once, in order). */
    deliverStream (key: string, message: { seq: number }): void {
      const stream = streamOf(key)
      if (!stream) return
      let html: string | undefined
      const known = { message, html: () => (html ??= stream.source.render(stream.id, [message])) }
      for (const client of hub.clients(key)) {
        void enqueue(client, async () => { await sendUpTo(client, streamTrack(client, key, stream), message.seq, known) })
      }
    },

    attach (client: Client): void {
      for (const topic of client.topics) hub.subscribe(client, topic)
    },

    detach (client: Client): void {
      for (const topic of client.topics) byTopic.get(topic)?.delete(client)
      client.topics.clear()
      riders.delete(client)
    },

    subscribe (client: Client, topic: string): void {
      client.topics.add(topic)
      let set = byTopic.get(topic)
      if (!set) byTopic.set(topic, set = new Set())
      set.add(client)
    },

    unsubscribe (client: Client, topic: string): void {
      client.topics.delete(topic)
      byTopic.get(topic)?.delete(client)
    },

    /** Follows a chat from `fromSeq` on: the socket is sent every message after it. */
    followChat (client: Client, chatId: number, fromSeq: number): void {
      if (!client.seqs.has(chatId)) client.seqs.set(chatId, fromSeq)
      hub.subscribe(client, `chat:${chatId}`)
    },

    clients (topic: string): Client[] {
      return [...(byTopic.get(topic) ?? [])]
    },

    /** Queues HTML for one socket, after whatever it is already being sent. */
    send (client: Client, html: string | (() => Promise<string>)): Promise<void> {
      return enqueue(client, async () => { sendNow(client, typeof html === 'string' ? html : await html()) })
    },

    /**
     * Queues HTML for one socket to go out with the chat's message `seq`, in the same frame,
     * when that message has yet to reach it; at once when it has, or when the socket does not
     * follow the chat; alone when the message has not come within a second.
     */
    sendWith (client: Client, chatId: number, seq: number, html: string): Promise<void> {
      return enqueue(client, async () => {
        const held = client.seqs.get(chatId)
        if (held === undefined || held >= seq || client.socket.readyState !== 1) { sendNow(client, html); return }
        let byChat = riders.get(client)
        if (!byChat) riders.set(client, byChat = new Map())
        const waiting = byChat.get(chatId)
        const rider = { seq, html, at: Date.now() }
        if (waiting) waiting.push(rider)
        else byChat.set(chatId, [rider])
        riderSweep ??= setTimeout(sweepRiders, riderWaitMs).unref()
      })
    },

    /** Sends a socket every message of the chat it has not had yet (a resume after reconnect). */
    catchUp (client: Client, chatId: number): Promise<void> {
      return enqueue(client, async () => { await sendUpTo(client, chatTrack(client, chatId), undefined) })
    },

    project<T extends BusEvent['type']> (type: T, projection: Projection<T>): void {
      const list = projections.get(type) ?? []
      list.push(projection as unknown as Projection<BusEvent['type']>)
      projections.set(type, list)
    },

    /**
     * Sends every socket `html` (why it is being closed), then closes it with 1012: clients
     * keep trying to reconnect, and resume once they are let in again.
     */
    async closeAll (html: string, reason: string): Promise<void> {
      const all = new Set<Client>()
      for (const set of byTopic.values()) for (const c of set) all.add(c)
      await Promise.all([...all].map(async (c) => {
        await enqueue(c, async () => { sendNow(c, html) })
        c.socket.close(closeCodes.restarting, reason)
      }))
    },

    /** Closes every socket with 1012 so clients reconnect (to this or another instance) and resume. */
    async close (): Promise<void> {
      closing = true
      clearTimeout(riderSweep)
      riders.clear()
      unsubscribe()
      const all = new Set<Client>()
      for (const set of byTopic.values()) for (const c of set) all.add(c)
      for (const c of all) c.socket.close(closeCodes.restarting, 'Server restarting')
      byTopic.clear()
    }
  }

  async function onEvent (event: BusEvent): Promise<void> {
    if (closing) return
    if (event.type === 'chat.message') {
      let html: string | undefined
      const known = {
        message: event.message,
        html: () => (html ??= envelope([fragment(targets.messages(event.chatId), 'beforeend', renderMessages([event.message]))]))
      }
      for (const client of hub.clients(`chat:${event.chatId}`)) {
        void enqueue(client, async () => { await deliverMessage(client, event.chatId, known) })
      }
    }
    if (event.type === 'im.message') {
      // A thread's or a room's message goes to the sockets following its stream ('im:7', 'room:7').
      hub.deliverStream(`${event.kind === 'room' ? 'room' : 'im'}:${event.conversationId}`, event.message)
    }
    if (event.type === 'agent.chats' && event.fromSeq !== undefined) {
      for (const client of hub.clients(`agent:${event.agentId}`)) hub.followChat(client, event.chatId, event.fromSeq)
    }
    for (const projection of projections.get(event.type) ?? []) {
      try {
        await projection(event, hub)
      } catch (err) {
        log.error({ err, event: event.type }, 'live chat projection failed')
      }
    }
  }

  const unsubscribe = bus.subscribe((event) => { void onEvent(event) })
  return hub
}
