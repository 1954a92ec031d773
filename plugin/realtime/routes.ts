import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import { socketMessage, type SocketMessage } from '../chats/schemas.ts'
import type { Chat } from '../chats/types.ts'
import { queueTopics } from '../console/projections.ts'
import { listSocketTopics } from '../console/lists.ts'
import { coachingModel, composerModel, openComposer } from '../chats/view-models.ts'
import { customerCookie } from '../chats/rules.ts'
import type { RouteDeps } from '../deps.ts'
import { type CodedError, isCoded, LC_ERR_BAD_FRAME, LC_ERR_CHAT_NOT_FOUND, LC_ERR_IM_NOT_FOUND, LC_ERR_RATE_LIMITED } from '../errors.ts'
import { imViewer } from '../im/service.ts'
import { noAccessFragment } from '../im/view-models.ts'
import { createAjv, describeAjvError } from '../validation.ts'
import { envelope, fragment } from './fragments.ts'
import type { Client } from './hub.ts'
import type { RequestLike } from '../host/adapter.ts'
import { chatSocketParams, imQuery, parseSince, sinceQuery } from './schemas.ts'
import { targets } from './targets.ts'

const ajv = createAjv()
const validateFrame = ajv.compile<SocketMessage>(socketMessage)
const frameTypes: readonly string[] = socketMessage.oneOf.map((branch) => branch.properties.type.const)
const validateSince = ajv.compile<{ since?: string }>(sinceQuery)
const validateIm = ajv.compile<{ im?: string }>(imQuery)
const validateChatParams = ajv.compile<{ id: string }>(chatSocketParams)

/** A refused socket is accepted and closed at once: a refused upgrade makes htmx retry forever. */
const CLOSE_POLICY = 1008

interface Identity {
  client: Client
  author: { kind: 'agent' | 'customer', id: string | null, name: string }
  /** The customer's chat as read when the socket was let in. */
  chat?: Chat
}

/** The two sockets of DESIGN §6: one per agent console tab, one per customer chat window. */
export const socketRoutes: FastifyPluginAsync<RouteDeps> = async (fastify, deps) => {
  const { base, chats, routing, access, hub, views, consoleViews, customerViews, settings, im } = deps

  // Sockets that did not answer the last ping are gone without a close (a laptop asleep,
  // a dropped network): they are cut off, so they neither pile up nor keep an agent present.
  const answered = new Map<WebSocket, boolean>()
  // Customers' sockets and their chats: an open window keeps its chat's customer present
  // (DESIGN §4, "Customer left"), whichever instance it is on.
  const customers = new Map<WebSocket, number>()
  // How often an open window refreshes customer_seen_at: well inside the grace period, so
  // the customer-gone job never takes a window that is open for a closed one.
  const seenEveryMs = Math.min(30_000, settings.customerGoneSeconds * 250)

  // Presence: every agent with an open console on this instance stays fresh. One tick
  // every third of the heartbeat timeout (or as often as customers' windows refresh):
  // a dead socket is cut off within two ticks.
  const beat = setInterval(() => {
    const windows = new Set<number>()
    for (const [socket, alive] of answered) {
      if (!alive) { socket.terminate(); continue }
      const chatId = customers.get(socket)
      if (chatId !== undefined) windows.add(chatId)
      answered.set(socket, false)
      socket.ping()
    }
    void keepPresent().catch((err: unknown) => { fastify.log.warn({ err }, 'live chat heartbeat failed') })
    if (windows.size > 0) {
      void chats.customerSeen([...windows], { staleAfterMs: seenEveryMs }).catch((err: unknown) => { fastify.log.warn({ err }, 'live chat customer presence failed') })
    }
  }, Math.min(Math.max(3, Math.floor(settings.heartbeatTimeoutSeconds / 3)) * 1000, seenEveryMs))

  // Each console socket's host session, as it came with the upgrade: an agent who signed
  // out of the help desk loses their consoles here, so their heartbeat stops and they
  // become unavailable after the timeout like anyone who closed every tab.
  const sessions = new Map<Client, RequestLike>()

  async function keepPresent (): Promise<void> {
    const present = new Set<string>()
    for (const [client, session] of sessions) {
      let user
      try {
        user = await access.user(session)
      } catch (err) {
        // The host could not say: keep the agent rather than drop them on a hiccup.
        fastify.log.warn({ err }, 'live chat session check failed')
        present.add(client.userId!)
        continue
      }
      if (user?.id !== client.userId) { client.socket.close(CLOSE_POLICY, 'LC_ERR_UNAUTHENTICATED'); continue }
      present.add(client.userId!)
    }
    if (present.size > 0) await routing.heartbeat([...present])
  }
  beat.unref()
  fastify.addHook('onClose', async () => { clearInterval(beat) })

  function errorFragment (err: CodedError): string {
    return envelope([fragment(targets.notice(), 'innerHTML', views.render('common/notice', { level: 'error', code: err.code, message: err.message }))])
  }

  /** A fixed window per socket: enough for a person typing, not for a flood. */
  function rateLimiter () {
    let windowStart = Date.now()
    let count = 0
    return () => {
      const now = Date.now()
      if (now - windowStart > 60_000) { windowStart = now; count = 0 }
      return ++count <= settings.messagesPerMinute
    }
  }

  async function handleFrame (id: Identity, raw: string, allowed: () => boolean): Promise<void> {
    const { client } = id
    let frame: unknown
    try {
      frame = JSON.parse(raw)
    } catch {
      await hub.send(client, errorFragment(new LC_ERR_BAD_FRAME('it is not JSON')))
      return
    }
    // Name the allowed types first: the oneOf's own first error would talk about a branch's fields.
    const type = (frame as { type?: unknown } | null)?.type
    if (typeof type !== 'string' || !frameTypes.includes(type)) {
      await hub.send(client, errorFragment(new LC_ERR_BAD_FRAME(`type must be one of: ${frameTypes.join(', ')}`)))
      return
    }
    if (!validateFrame(frame)) {
      await hub.send(client, errorFragment(new LC_ERR_BAD_FRAME(describeAjvError(validateFrame.errors![0]!, 'message'))))
      return
    }
    if (frame.type === 'ping') return
    if (frame.type === 'read') {
      // Only an agent's own chats have a read marker; the UPDATE is limited to them.
      if (id.author.kind === 'agent') await chats.markRead(Number(frame.chat_id), client.userId!, Number(frame.seq))
      return
    }
    if (frame.type === 'im_follow' || frame.type === 'im_read') {
      await imFrame(client, frame.type, Number(frame.conversation_id), Number(frame.seq))
      return
    }
    const chatId = Number(frame.chat_id)
    const audience = id.author.kind
    // A customer's socket belongs to one chat; an agent's right to write is checked by the
    // service in the same UPDATE that stores the message.
    if (audience === 'customer' && chatId !== client.chatId) {
      await hub.send(client, errorFragment(new LC_ERR_CHAT_NOT_FOUND(String(chatId))))
      return
    }
    if (frame.type === 'typing') {
      await relayTyping(id, chatId)
      return
    }
    if (frame.type === 'coach') {
      await coach(id, chatId, frame.body, frame.client_msg_id, allowed)
      return
    }
    const composer = (model: ReturnType<typeof openComposer>) =>
      envelope([fragment(targets.composer(chatId), 'outerHTML', views.render('chats/composer', model))])
    if (!allowed()) {
      await hub.send(client, composer(openComposer(base, chatId, audience, { body: frame.body, error: new LC_ERR_RATE_LIMITED('messages').message })))
      return
    }
    try {
      await chats.postMessage(chatId, id.author, frame.body, frame.client_msg_id)
      // A fresh composer (empty, with a new client id) tells the sender it was stored.
      await hub.send(client, composer(openComposer(base, chatId, audience)))
    } catch (err) {
      if (!isCoded(err) || (err.statusCode ?? 500) >= 500) throw err
      if (err.code === 'LC_ERR_CHAT_NOT_FOUND') {
        await hub.send(client, errorFragment(err))
        return
      }
      // Refused: the sender gets the text back with the reason, nothing is lost. A chat
      // that closed meanwhile has no composer any more, so the reason goes to the notice.
      const chat = await chats.get(chatId)
      const model = composerModel(base, chat, audience, client.userId, { body: frame.body, error: err.message })
      await hub.send(client, model.open ? composer(model) : errorFragment(err))
    }
  }

  /**
   * "… is typing" (never stored): a customer's to the agents watching their chat, the
   * assigned agent's to the customer. At most one relay per socket every two seconds.
   */
  const lastTyping = new WeakMap<Client, number>()
  async function relayTyping (id: Identity, chatId: number): Promise<void> {
    const now = Date.now()
    if (now - (lastTyping.get(id.client) ?? 0) < 2000) return
    lastTyping.set(id.client, now)
    if (id.author.kind === 'agent') {
      const chat = await chats.get(chatId).catch(() => undefined)
      if (chat?.agentId !== id.client.userId || chat.status !== 'active') return
    }
    await chats.typing(chatId, id.author.kind, id.author.name)
  }

  async function coach (id: Identity, chatId: number, body: string, clientMsgId: string, allowed: () => boolean): Promise<void> {
    const { client } = id
    if (id.author.kind !== 'agent' || !client.scope) {
      await hub.send(client, errorFragment(new LC_ERR_CHAT_NOT_FOUND(String(chatId))))
      return
    }
    const box = (draft?: { body: string, error: string }) =>
      envelope([fragment(targets.coaching(chatId), 'outerHTML', views.render('chats/coaching', coachingModel(chatId, draft)))])
    if (!allowed()) {
      await hub.send(client, box({ body, error: new LC_ERR_RATE_LIMITED('messages').message }))
      return
    }
    try {
      await chats.postCoaching(chatId, client.scope, body, clientMsgId)
      await hub.send(client, box())
    } catch (err) {
      if (!isCoded(err) || (err.statusCode ?? 500) >= 500) throw err
      await hub.send(client, err.code === 'LC_ERR_CHAT_NOT_FOUND' ? errorFragment(err) : box({ body, error: err.message }))
    }
  }

  /**
   * A page following a thread or room it loaded (im_follow: checked as the service checks a
   * read, then sent whatever came after `seq`), or reading it (im_read). Customers' sockets
   * carry no instant messages.
   */
  async function imFrame (client: Client, type: 'im_follow' | 'im_read', conversationId: number, seq: number): Promise<void> {
    const viewer = client.imViewer
    try {
      if (!viewer) throw new LC_ERR_IM_NOT_FOUND(String(conversationId))
      if (type === 'im_read') {
        await im.markRead(viewer, conversationId, seq)
        return
      }
      const stream = await im.streamFor(viewer, conversationId)
      followed(client, stream.key, stream.title, seq)
      await hub.catchUpStream(client, stream.key)
    } catch (err) {
      if (!isCoded(err) || (err.statusCode ?? 500) >= 500) throw err
      await hub.send(client, errorFragment(err))
    }
  }

  /**
   * A room's rules or an agent's groups changed: every console following the room (or of
   * that agent) is checked again, and one no longer admitted stops following it at once,
   * is told, and sees the "no access" panel in place of the conversation.
   */
  async function recheckRoom (client: Client, key: string): Promise<void> {
    const conversationId = Number(key.slice('room:'.length))
    if (!client.userId || await im.admits(client.userId, conversationId)) return
    hub.unfollowStream(client, key)
    const title = roomTitles.get(client)?.get(key) ?? `#${conversationId}`
    const text = `You no longer have access to room ${title}`
    await hub.send(client, envelope([
      fragment(targets.notice(), 'innerHTML', views.render('common/notice', { level: 'warning', message: text })),
      noAccessFragment(views, { conversationId, title, message: `${text}: its permissions changed, or you left the group or department they admit.` })
    ]))
  }
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
  hub.project('im.access', async (event) => {
    const key = `room:${event.conversationId}`
    for (const client of hub.clients(key)) await recheckRoom(client, key)
  })
  hub.project('agent.groups', async (event) => {
    for (const client of hub.clients(`agent:${event.agentId}`)) {
      for (const key of [...client.streams.keys()]) if (key.startsWith('room:')) await recheckRoom(client, key)
    }
  })

  /**
   * Wires a socket: frames are buffered until `identify` has checked Origin and the
   * session, and nothing is sent before that check passes.
   */
  function serve (socket: WebSocket, request: FastifyRequest, identify: () => Promise<Identity>, start: (id: Identity) => Promise<void>) {
    const allowed = rateLimiter()
    let id: Identity | undefined
    const ready = identify().then(async (identity) => {
      id = identity
      if (socket.readyState !== 1) return
      hub.attach(identity.client)
      await start(identity)
    }, (err: unknown) => {
      const reason = isCoded(err) ? err.code : 'LC_ERR_INTERNAL'
      if (!isCoded(err)) fastify.log.error({ err }, 'live chat socket setup failed')
      socket.close(CLOSE_POLICY, reason)
    })
    // Attached synchronously, before any await, or early frames would be dropped.
    socket.on('message', (data, isBinary) => {
      void ready.then(async () => {
        if (!id) return
        if (isBinary) { await hub.send(id.client, errorFragment(new LC_ERR_BAD_FRAME('binary frames are not accepted'))); return }
        await handleFrame(id, data.toString(), allowed)
      }).catch((err: unknown) => {
        request.log.error({ err }, 'live chat socket message failed')
        if (id) void hub.send(id.client, errorFragment(new LC_ERR_BAD_FRAME('the server could not handle it; try again')))
      })
    })
    answered.set(socket, true)
    socket.on('pong', () => { answered.set(socket, true) })
    socket.on('close', () => {
      answered.delete(socket)
      if (id) hub.detach(id.client)
    })
    socket.on('error', (err) => { request.log.warn({ err }, 'live chat socket error') })
  }

  fastify.get('/ws/console', { websocket: true }, (socket, request) => {
    serve(socket, request, async () => {
      access.checkOrigin(request.headers, request.protocol, true)
      // A list page's socket names its list (`list=<view>`), to be told when it may have changed.
      const { list, im: held, ...query } = request.query as { list?: unknown, im?: unknown }
      if (!validateSince(query)) throw new LC_ERR_BAD_FRAME(describeAjvError(validateSince.errors![0]!, 'query'))
      const imHeld = held === undefined ? {} : { im: held }
      if (!validateIm(imHeld)) throw new LC_ERR_BAD_FRAME(describeAjvError(validateIm.errors![0]!, 'query'))
      const agent = await access.agent(request)
      const scope = await agent.scope()
      // Queue pushes go to the agents working the group.
      const topics = new Set([`agent:${agent.user.id}`, ...queueTopics(scope), ...listSocketTopics(list, agent.can('livechat.supervise'))])
      const client: Client = { socket, kind: 'agent', userId: agent.user.id, chatId: null, scope, topics, seqs: new Map(), streams: new Map(), chain: Promise.resolve() }
      sessions.set(client, { headers: request.headers, cookies: request.cookies })
      client.imViewer = await imViewer(agent)
      socket.on('close', () => { sessions.delete(client) })
      return {
        client,
        author: { kind: 'agent', id: agent.user.id, name: agent.user.name }
      }
    }, async ({ client }) => {
      const since = parseSince((request.query as { since?: string }).since)
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
      // Threads and rooms the page shows, as far as the agent may still read them. Not every
      // conversation the agent is in: only pages showing one follow it.
      for (const [conversationId, seq] of parseSince((request.query as { im?: string }).im)) {
        const stream = await im.streamFor(client.imViewer!, conversationId).catch(() => undefined)
        if (!stream) continue
        followed(client, stream.key, stream.title, seq)
        void hub.catchUpStream(client, stream.key)
      }
      // Lists may have changed while this socket was away: send them fresh.
      void hub.send(client, async () => envelope([...await consoleViews.queueFragments(client.scope!), ...await consoleViews.listFragments(client.scope!)]))
    })
  })

  fastify.get('/ws/chat/:id', { websocket: true }, (socket, request) => {
    serve(socket, request, async () => {
      access.checkOrigin(request.headers, request.protocol, true)
      if (!validateChatParams(request.params)) throw new LC_ERR_CHAT_NOT_FOUND('?')
      const query = request.query as { since?: string }
      if (!validateSince(query)) throw new LC_ERR_BAD_FRAME(describeAjvError(validateSince.errors![0]!, 'query'))
      const chatId = Number(request.params.id)
      const chat = await chats.chatForCustomer(chatId, request.cookies[customerCookie(chatId)], await access.user(request))
      const client: Client = { socket, kind: 'customer', userId: null, chatId, topics: new Set([`customer:${chatId}`]), seqs: new Map(), streams: new Map(), chain: Promise.resolve() }
      if (chat.status === 'queued') client.topics.add('queue-position')
      return {
        client,
        author: { kind: 'customer', id: chat.customerUserId, name: chat.customerName },
        chat
      }
    }, async ({ client, chat }) => {
      const chatId = client.chatId!
      if (!chat) return
      // The window is open (again): a customer marked gone is back. On close it was last seen then.
      const seen = (leaving: boolean) => { void chats.customerSeen([chatId], { leaving }).catch((err: unknown) => { fastify.log.warn({ err, chatId }, 'live chat customer presence failed') }) }
      customers.set(socket, chatId)
      socket.on('close', () => { customers.delete(socket); seen(true) })
      seen(false)
      hub.followChat(client, chatId, parseSince((request.query as { since?: string }).since).get(chatId) ?? chat.lastSeq)
      void hub.catchUp(client, chatId)
      void hub.send(client, async () => {
        const ahead = await chats.queuePosition(chat)
        const parts = [fragment(targets.status(chatId), 'outerHTML', views.render('customer/status', await customerViews.status(chat, ahead)))]
        const composer = composerModel(base, chat, 'customer', null)
        if (!composer.open) parts.push(fragment(targets.composer(chatId), 'outerHTML', views.render('chats/composer', composer)))
        return envelope(parts)
      })
    })
  })
}
