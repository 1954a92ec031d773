import type { FastifyPluginAsync } from 'fastify'
import type { WebSocket } from 'ws'
import { createComposer, type Writer } from '../chats/composer.ts'
import { customerCookie, customerSeenEveryMs } from '../chats/rules.ts'
import type { BlocklistService } from '../blocklist/service.ts'
import type { ChatService } from '../chats/service.ts'
import type { Chat } from '../chats/types.ts'
import { composerFragment, composerModel } from '../chats/view-models.ts'
import { LC_ERR_BAD_FRAME, LC_ERR_CHAT_NOT_FOUND } from '../errors.ts'
import type { Client, Hub } from '../realtime/hub.ts'
import { parseSince, sinceQuery } from '../realtime/schemas.ts'
import type { Audience, Live, SocketContext, SocketServer } from '../realtime/socket-server.ts'
import type { Access } from '../security/access.ts'
import type { Settings, SettingsWatch } from '../settings.ts'
import { compiledOnUse, createAjv, describeAjvError } from '../validation.ts'
import { chatSocketParams, customerFrame, type CustomerFrame } from './socket-schemas.ts'
import { type CustomerViews, statusFragment } from './view-models.ts'

const ajv = createAjv()
const validateParams = compiledOnUse<{ id: string }>(ajv, chatSocketParams)
const validateSince = compiledOnUse<{ since?: string }>(ajv, sinceQuery)

export interface CustomerSocketDeps {
  base: string
  sockets: Pick<SocketServer, 'serve' | 'onTick'>
  hub: Pick<Hub, 'followChat' | 'catchUp'>
  access: Pick<Access, 'checkOrigin' | 'user'>
  chats: Pick<ChatService, 'chatForCustomer' | 'customerSeen' | 'queuePosition' | 'postMessage' | 'get' | 'typing' | 'markCustomerRead' | 'received'>
  customerViews: Pick<CustomerViews, 'status'>
  /** customerGoneSeconds: how often open windows say so. */
  settings: Pick<Settings, 'customerGoneSeconds'>
  /** A window from an address on the block list is refused (docs/features.md#block-list). */
  blocklist: Pick<BlocklistService, 'refuse'>
  /** The liveness tick's period is worked out again when customerGoneSeconds changes. */
  onSettingsChange?: SettingsWatch['onChange']
}

/** A customer's chat window socket, once let in. */
interface Window {
  client: Client
  writer: Writer
  chatId: number
  /**
   * The chat as read when the socket was let in, and the last seq the window holds (its
   * `since`; undefined for a fresh page): what the socket starts with, let go once it has.
   */
  opening?: { chat: Chat, since: number | undefined }
}

/**
 * /ws/chat/:id, one socket per customer chat window (docs/design.md §6): the chat's
 * messages both ways, its status line, "… is typing", and the customer's presence.
 */
export const customerSocket: FastifyPluginAsync<CustomerSocketDeps> = async (fastify, { base, sockets, hub, access, chats, customerViews, settings, blocklist, onSettingsChange }) => {
  const composer = createComposer({ base, chats })

  // Open windows and their chats: an open window keeps its chat's customer present
  // (docs/design.md §4, "Customer left"), whichever instance it is on.
  const windows = new Map<WebSocket, number>()
  const seen = (seenEveryMs: number) => (live: Live): void => {
    const open = new Set<number>()
    for (const [socket, chatId] of windows) if (live.has(socket)) open.add(chatId)
    if (open.size === 0) return
    void chats.customerSeen([...open], { staleAfterMs: seenEveryMs }).catch((err: unknown) => { fastify.log.warn({ err }, 'live chat customer presence failed') })
  }
  const tick = (): (() => void) => {
    const every = customerSeenEveryMs(settings.customerGoneSeconds)
    return sockets.onTick(every, seen(every))
  }
  let stopTicks = tick()
  // The period follows customerGoneSeconds when an administrator changes it on the settings screen.
  const stopWatching = onSettingsChange?.((changed) => {
    if (!changed.has('customerGoneSeconds')) return
    stopTicks()
    stopTicks = tick()
  })
  fastify.addHook('onClose', async () => { stopTicks(); stopWatching?.() })

  /** A customer's socket belongs to one chat: a frame naming another is refused as "not found". */
  async function ownChat (chatId: string, socket: SocketContext<Window>): Promise<number | undefined> {
    const id = Number(chatId)
    if (id === socket.id.chatId) return id
    await socket.refuse(new LC_ERR_CHAT_NOT_FOUND(String(id)))
    return undefined
  }

  const audience: Audience<Window, CustomerFrame> = {
    frames: customerFrame,

    async identify (socket, request) {
      access.checkOrigin(request.headers, request.protocol, true)
      // Closed with 1008 and LC_ERR_BLOCKED: htmx does not reconnect after it.
      await blocklist.refuse(request.ip)
      if (!validateParams(request.params)) throw new LC_ERR_CHAT_NOT_FOUND('?')
      const query = request.query as { since?: string }
      if (!validateSince(query)) throw new LC_ERR_BAD_FRAME(describeAjvError(validateSince.errors![0]!, 'query'))
      const chatId = Number(request.params.id)
      const chat = await chats.chatForCustomer(chatId, request.cookies[customerCookie(chatId)], await access.user(request, 'portal'))
      const client: Client = { socket, kind: 'customer', userId: null, chatId, topics: new Set([`customer:${chatId}`]), seqs: new Map(), streams: new Map(), chain: Promise.resolve() }
      if (chat.status === 'queued') client.topics.add('queue-position')
      return { client, writer: { kind: 'customer', id: chat.customerUserId, name: chat.customerName }, chatId, opening: { chat, since: parseSince(query.since).get(chatId) } }
    },

    async start (id, socket) {
      const { client, chatId } = id
      const { chat, since } = id.opening!
      // An idle window holds a few fields, not the chat's whole row (docs/design.md §9).
      id.opening = undefined
      // The window is open (again): a customer marked gone is back. On close it was last seen then.
      const seen = (leaving: boolean): void => {
        void chats.customerSeen([chatId], { leaving }).catch((err: unknown) => { fastify.log.warn({ err, chatId }, 'live chat customer presence failed') })
      }
      windows.set(client.socket, chatId)
      client.socket.on('close', () => { windows.delete(client.socket); seen(true) })
      seen(false)
      hub.followChat(client, chatId, since ?? chat.lastSeq)
      void hub.catchUp(client, chatId)
      void socket.send(async () => {
        const parts = [statusFragment(await customerViews.status(chat, await chats.queuePosition(chat)))]
        const box = composerModel(base, chat, 'customer', null)
        if (!box.open) parts.push(composerFragment(box))
        return parts
      })
    },

    handlers: {
      async message (frame, socket) {
        const chatId = await ownChat(frame.chat_id, socket)
        if (chatId === undefined) return
        const { fragment, seq } = await composer.post(socket.id.writer, chatId, frame.body, frame.client_msg_id, socket.allowed)
        await (seq === undefined ? socket.send([fragment]) : socket.sendWith(chatId, seq, [fragment]))
      },
      async ping () {},
      async typing (frame, socket) {
        const chatId = await ownChat(frame.chat_id, socket)
        if (chatId !== undefined) await composer.typing(socket.id.client, socket.id.writer, chatId)
      },
      // Coaching is for agents: a customer may coach no chat, their own included.
      async coach (frame, socket) {
        const chatId = await ownChat(frame.chat_id, socket)
        if (chatId !== undefined) await socket.refuse(new LC_ERR_CHAT_NOT_FOUND(String(chatId)))
      },
      // How far the window has shown the chat (docs/features.md#read-marks): the agent's messages up to it show Read.
      async read (frame, socket) {
        const chatId = await ownChat(frame.chat_id, socket)
        if (chatId !== undefined) await chats.markCustomerRead(chatId, Number(frame.seq))
      },
      async received (frame, socket) {
        const chatId = await ownChat(frame.chat_id, socket)
        if (chatId !== undefined) await chats.received(chatId, 'customer', Number(frame.seq))
      }
    }
  }

  fastify.get('/ws/chat/:id', { websocket: true }, sockets.serve(audience))
}
