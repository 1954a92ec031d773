import type { FastifyPluginAsync } from 'fastify'
import { createComposer, type Writer } from '../chats/composer.ts'
import type { ChatService } from '../chats/service.ts'
import { coachingFragment, coachingModel, type Draft } from '../chats/view-models.ts'
import { isCoded, LC_ERR_BAD_FRAME, LC_ERR_CHAT_NOT_FOUND, LC_ERR_RATE_LIMITED } from '../errors.ts'
import type { RequestLike } from '../host/adapter.ts'
import { imViewer } from '../im/service.ts'
import type { Client, Hub } from '../realtime/hub.ts'
import { parseSince, sinceQuery } from '../realtime/schemas.ts'
import { type Audience, closeCodes, type SocketContext, type SocketServer } from '../realtime/socket-server.ts'
import { heartbeatEveryMs } from '../routing/rules.ts'
import type { RoutingService } from '../routing/service.ts'
import type { Access } from '../security/access.ts'
import type { Settings, SettingsWatch } from '../settings.ts'
import { compiledOnUse, createAjv, describeAjvError } from '../validation.ts'
import { inParallel } from '../workers.ts'
import { listSocketTopics } from './lists.ts'
import { queueTopics } from './projections.ts'
import { createConsoleIm, type ConsoleImDeps } from './socket-im.ts'
import { consoleFrame, type ConsoleFrame, imQuery, wallboardQuery } from './socket-schemas.ts'
import type { ConsoleViews } from './view-models.ts'

const ajv = createAjv()
const validateSince = compiledOnUse<{ since?: string }>(ajv, sinceQuery)
const validateIm = compiledOnUse<{ im?: string }>(ajv, imQuery)
const validateWallboard = compiledOnUse<{ wallboard?: string }>(ajv, wallboardQuery)
/** How many console sessions are re-checked with the help desk at once. */
const sessionChecksAtOnce = 8

export interface ConsoleSocketDeps {
  base: string
  sockets: Pick<SocketServer, 'serve' | 'onTick'>
  hub: Pick<Hub, 'followChat' | 'catchUp'> & ConsoleImDeps['hub']
  access: Pick<Access, 'checkOrigin' | 'agent' | 'user'>
  routing: Pick<RoutingService, 'heartbeat'>
  chats: Pick<ChatService, 'agentChats' | 'chatForAgent' | 'markRead' | 'received' | 'postCoaching' | 'postMessage' | 'get' | 'typing'>
  im: ConsoleImDeps['im']
  consoleViews: Pick<ConsoleViews, 'queueFragments' | 'listFragments'>
  /** heartbeatTimeoutSeconds: how often open consoles keep their agents present. */
  settings: Pick<Settings, 'heartbeatTimeoutSeconds'>
  /** The heartbeat tick's period is worked out again when heartbeatTimeoutSeconds changes. */
  onSettingsChange?: SettingsWatch['onChange']
}

/** An agent console tab's socket, once let in. */
interface Tab {
  client: Client
  writer: Writer
  /** Per chat, the last seq the page holds (`since`). */
  since: Map<number, number>
  /** Per thread or room the page shows, the last seq it holds (`im`). */
  im: Map<number, number>
}

/**
 * /ws/console, one socket per agent console tab (docs/design.md §6): the agent's chats and
 * the ones they watch, lists and queues, coaching, instant messages and rooms, read marks
 * and typing; and, while it is open, the agent's presence.
 */
export const consoleSocket: FastifyPluginAsync<ConsoleSocketDeps> = async (fastify, deps) => {
  const { base, sockets, hub, access, routing, chats, im, consoleViews, settings } = deps
  const composer = createComposer({ base, chats })
  const conversations = createConsoleIm({ hub, im })

  // Each console socket's host session, as it came with the upgrade: an agent who signed
  // out of the help desk loses their consoles here, so their heartbeat stops and they
  // become unavailable after the timeout like anyone who closed every tab.
  const sessions = new Map<Client, RequestLike>()

  /**
   * Presence (docs/features.md#presence-sweep): every agent with an open console on this
   * instance is kept fresh in one statement, before anything slower is asked. A heartbeat
   * that waited for a session look-up per console fell behind the sweep on a busy server.
   */
  async function keepPresent (): Promise<void> {
    const present = new Set<string>()
    for (const client of sessions.keys()) present.add(client.userId!)
    if (present.size > 0) await routing.heartbeat([...present])
  }

  /** One session's consoles: those of one agent sent with the same credentials (tabs of one browser). */
  function bySession (): Array<{ session: RequestLike, clients: Client[] }> {
    const groups = new Map<string, { session: RequestLike, clients: Client[] }>()
    for (const [client, session] of sessions) {
      const key = `${client.userId!}\n${String(session.headers.cookie ?? '')}\n${String(session.headers.authorization ?? '')}`
      const group = groups.get(key)
      if (group) group.clients.push(client)
      else groups.set(key, { session, clients: [client] })
    }
    return [...groups.values()]
  }

  /**
   * The sessions, checked after the heartbeat: once per session, a few at a time, and one
   * round at a time (a round still running when the next tick comes is not doubled).
   */
  let checking = false
  async function recheckSessions (): Promise<void> {
    if (checking) return
    checking = true
    try {
      const queue = bySession()
      const check = async ({ session, clients }: { session: RequestLike, clients: Client[] }): Promise<void> => {
        let user
        try {
          user = await access.user(session, 'agent')
        } catch (err) {
          // The host could not say: keep the agent rather than drop them on a hiccup.
          fastify.log.warn({ err }, 'live chat session check failed')
          return
        }
        if (user?.id === clients[0]!.userId) return
        for (const client of clients) client.socket.close(closeCodes.refused, 'LC_ERR_UNAUTHENTICATED')
      }
      await inParallel(queue, sessionChecksAtOnce, check)
    } finally {
      checking = false
    }
  }

  const beat = (): void => {
    void keepPresent().catch((err: unknown) => { fastify.log.warn({ err }, 'live chat heartbeat failed') })
      .then(recheckSessions).catch((err: unknown) => { fastify.log.warn({ err }, 'live chat session check failed') })
  }
  let stopTicks = sockets.onTick(heartbeatEveryMs(settings.heartbeatTimeoutSeconds), beat)
  // The period follows heartbeatTimeoutSeconds when an administrator changes it on the settings screen.
  const stopWatching = deps.onSettingsChange?.((changed) => {
    if (!changed.has('heartbeatTimeoutSeconds')) return
    stopTicks()
    stopTicks = sockets.onTick(heartbeatEveryMs(settings.heartbeatTimeoutSeconds), beat)
  })
  fastify.addHook('onClose', async () => { stopTicks(); stopWatching?.() })

  /** Coaching (docs/features.md): for the chat's agent and the supervisors of its group, never the customer. */
  async function coach (socket: SocketContext<Tab>, chatId: number, body: string, clientMsgId: string): Promise<void> {
    const { client } = socket.id
    if (!client.scope) {
      await socket.refuse(new LC_ERR_CHAT_NOT_FOUND(String(chatId)))
      return
    }
    const box = (draft?: Draft) => coachingFragment(coachingModel(chatId, draft))
    if (!socket.allowed()) {
      await socket.send([box({ body, error: new LC_ERR_RATE_LIMITED('messages').message })])
      return
    }
    try {
      await chats.postCoaching(chatId, client.scope, body, clientMsgId)
      await socket.send([box()])
    } catch (err) {
      if (!isCoded(err) || (err.statusCode ?? 500) >= 500) throw err
      if (err.code === 'LC_ERR_CHAT_NOT_FOUND') await socket.refuse(err)
      else await socket.send([box({ body, error: err.message })])
    }
  }

  const audience: Audience<Tab, ConsoleFrame> = {
    frames: consoleFrame,

    async identify (socket, request) {
      access.checkOrigin(request.headers, request.protocol, true)
      // A list page's socket names its list (`list=<view>`), to be told when it may have changed.
      // The wallboard's page (`wallboard=1`, plugin/reports) is pushed the board on every change, for supervisors only.
      const { list, im: held, wallboard, ...query } = request.query as { list?: unknown, im?: unknown, wallboard?: unknown }
      if (!validateSince(query)) throw new LC_ERR_BAD_FRAME(describeAjvError(validateSince.errors![0]!, 'query'))
      const imHeld = held === undefined ? {} : { im: held }
      if (!validateIm(imHeld)) throw new LC_ERR_BAD_FRAME(describeAjvError(validateIm.errors![0]!, 'query'))
      const board = wallboard === undefined ? {} : { wallboard }
      if (!validateWallboard(board)) throw new LC_ERR_BAD_FRAME(describeAjvError(validateWallboard.errors![0]!, 'query'))
      const agent = await access.agent(request)
      const scope = await agent.scope()
      // Queue pushes go to the agents working the group.
      const topics = new Set([`agent:${agent.user.id}`, ...queueTopics(scope), ...listSocketTopics(list, agent.can('livechat.supervise'))])
      if (wallboard === '1' && agent.can('livechat.supervise')) topics.add('wallboard')
      const client: Client = { socket, kind: 'agent', userId: agent.user.id, chatId: null, scope, topics, seqs: new Map(), streams: new Map(), chain: Promise.resolve() }
      sessions.set(client, { headers: request.headers, cookies: request.cookies })
      socket.on('close', () => { sessions.delete(client) })
      client.imViewer = await imViewer(agent)
      return {
        client,
        writer: { kind: 'agent', id: agent.user.id, name: agent.user.name },
        since: parseSince(query.since),
        im: parseSince(imHeld.im)
      }
    },

    async start ({ client, since, im: held }, socket) {
      await routing.heartbeat([client.userId!])
      const own = await chats.agentChats(client.userId!, 'active')
      for (const chat of own) {
        hub.followChat(client, chat.id, since.get(chat.id) ?? chat.lastSeq)
        void hub.catchUp(client, chat.id)
      }
      // Someone else's chat on the page (a supervisor watching, to coach or take it): followed
      // too, as far as the agent may see it.
      for (const [chatId, seq] of since) {
        if (own.some((c) => c.id === chatId)) continue
        const chat = await chats.chatForAgent(chatId, client.scope!).catch(() => undefined)
        if (!chat || chat.status !== 'active') continue
        hub.followChat(client, chatId, seq)
        void hub.catchUp(client, chatId)
      }
      // Threads and rooms the page shows. Not every conversation the agent is in: only pages showing one follow it.
      await conversations.resume(client, held)
      // Lists may have changed while this socket was away: send them fresh.
      void socket.send(async () => [...await consoleViews.queueFragments(client.scope!), ...await consoleViews.listFragments(client.scope!)])
    },

    handlers: {
      // An agent's right to write is checked by the service in the same UPDATE that stores the message.
      async message (frame, socket) {
        const chatId = Number(frame.chat_id)
        const { fragment, seq } = await composer.post(socket.id.writer, chatId, frame.body, frame.client_msg_id, socket.allowed)
        await (seq === undefined ? socket.send([fragment]) : socket.sendWith(chatId, seq, [fragment]))
      },
      async ping () {},
      async coach (frame, socket) { await coach(socket, Number(frame.chat_id), frame.body, frame.client_msg_id) },
      async typing (frame, socket) { await composer.typing(socket.id.client, socket.id.writer, Number(frame.chat_id)) },
      // A chat the agent may not see is refused as none; a supervisor watching one moves no
      // mark, as only the chat's own agent has a read marker (the UPDATE is limited to them).
      async read (frame, socket) {
        const chat = await chats.chatForAgent(Number(frame.chat_id), socket.id.client.scope!)
        await chats.markRead(chat.id, socket.id.client.userId!, Number(frame.seq))
      },
      // Delivered to the agent is the chat's own agent's console holding it, not a supervisor's.
      async received (frame, socket) {
        const chat = await chats.chatForAgent(Number(frame.chat_id), socket.id.client.scope!)
        if (chat.agentId === socket.id.client.userId) await chats.received(chat.id, 'agent', Number(frame.seq))
      },
      async im_follow (frame, socket) { await conversations.follow(socket, Number(frame.conversation_id), Number(frame.seq)) },
      async im_read (frame, socket) { await conversations.read(socket, Number(frame.conversation_id), Number(frame.seq)) }
    }
  }

  fastify.get('/ws/console', { websocket: true }, sockets.serve(audience))
}
