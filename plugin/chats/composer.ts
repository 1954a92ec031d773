import { isCoded, LC_ERR_RATE_LIMITED } from '../errors.ts'
import { notice } from '../web/answers.ts'
import type { Fragment } from '../web/fragments.ts'
import type { ChatService } from './service.ts'
import { type Actor, ChatStatus } from './types.ts'
import { type Audience, composerFragment, composerModel, newClientMsgId, openComposer } from './view-models.ts'

/**
 * What a reply box's sender is answered: the fragment, and for a stored message its seq, so
 * the socket can send the fresh box in the same frame as the sender's copy of the message.
 */
export interface Answer { fragment: Fragment, seq?: number }

/** Who writes from a reply box: an agent (their host user id) or the chat's customer. */
export type Writer = Actor & { kind: Audience }

export interface ComposerDeps {
  base: string
  chats: Pick<ChatService, 'postMessage' | 'get' | 'typing'>
}

/** What both sides' sockets do with the reply box (views/chats/composer.hbs), written once. */
export interface Composer {
  /**
   * Stores what a reply box sent and answers the sender: a fresh box (empty, with a new
   * client id) tells them it was stored; a refusal (over the socket's rate limit, empty,
   * too long) gives them the box back with their text and the reason, so nothing is lost.
   * A chat that is gone, or closed meanwhile (no box any more), answers in the notice area.
   * `allowed` counts the message against the socket's rate limit. Throws what is not a
   * refusal (a 5xx).
   */
  post (writer: Writer, chatId: number, body: string, clientMsgId: string, allowed: () => boolean): Promise<Answer>
  /**
   * "… is typing" (never stored): a customer's to the agents watching their chat, the
   * assigned agent's to the customer, nobody else's. At most one relay every two seconds
   * per socket (`socket`: any object that stands for it).
   */
  typing (socket: object, writer: Writer, chatId: number): Promise<void>
}

/** Stands for the client id in a kept empty box; base64url ids never contain a dot. */
const idSlot = 'lc.client.msg.id'
/** How many chats' empty boxes a composer keeps (the oldest go first). */
const boxesKept = 5000

export function createComposer ({ base, chats }: ComposerDeps): Composer {
  const lastTyping = new WeakMap<object, number>()
  const emptyBoxes = new Map<string, Fragment>()

  /**
   * The empty box a sender gets after each stored message differs from the last only in its
   * new client id (docs/design.md §9): rendered once per chat and side, the id put in each time.
   */
  function freshBox (chatId: number, audience: Audience): Fragment {
    const key = `${audience}:${chatId}`
    let box = emptyBoxes.get(key)
    if (!box) {
      box = composerFragment({ ...openComposer(base, chatId, audience), clientMsgId: idSlot })
      if (emptyBoxes.size >= boxesKept) emptyBoxes.delete(emptyBoxes.keys().next().value!)
      emptyBoxes.set(key, box)
    }
    return { ...box, html: box.html.replace(idSlot, newClientMsgId()) }
  }

  return {
    async post (writer, chatId, body, clientMsgId, allowed) {
      const audience = writer.kind
      if (!allowed()) return { fragment: composerFragment(openComposer(base, chatId, audience, { body, error: new LC_ERR_RATE_LIMITED('messages').message })) }
      try {
        const { message } = await chats.postMessage(chatId, writer, body, clientMsgId)
        return { fragment: freshBox(chatId, audience), seq: message.seq }
      } catch (err) {
        if (!isCoded(err) || (err.statusCode ?? 500) >= 500) throw err
        const refused = notice('error', err.message, err.code)
        if (err.code === 'LC_ERR_CHAT_NOT_FOUND') return { fragment: refused }
        const chat = await chats.get(chatId)
        const model = composerModel(base, chat, audience, audience === 'agent' ? writer.id : null, { body, error: err.message })
        return { fragment: model.open ? composerFragment(model) : refused }
      }
    },

    async typing (socket, writer, chatId) {
      const now = Date.now()
      if (now - (lastTyping.get(socket) ?? 0) < 2000) return
      lastTyping.set(socket, now)
      if (writer.kind === 'agent') {
        const chat = await chats.get(chatId).catch(() => undefined)
        if (chat?.agentId !== writer.id || chat.status !== ChatStatus.active) return
      }
      await chats.typing(chatId, writer.kind, writer.name)
    }
  }
}
