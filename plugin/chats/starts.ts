import { randomBytes } from 'node:crypto'
import type { ChatCore } from './core.ts'
import { describeAgent, hashToken } from './rules.ts'
import type { ChatService, StartChat } from './service.ts'
import * as store from './store.ts'
import { type Actor, type Chat, ChatStatus, type Message } from './types.ts'

/** At most this many starts share a transaction, so its INSERTs' VALUES lists stay short. */
const groupLimit = 100

interface Start {
  row: store.NewChatRow
  customer: Actor
  groupId: number | null
  resolve: (chat: Chat) => void
  reject: (err: unknown) => void
}

/**
 * Chats started from the pre-chat form (docs/design.md §9, "What a burst of chats costs").
 * Starts that arrive while this instance writes others wait and are then written together, in
 * one transaction of one INSERT per table whatever their number: a start on a quiet desk goes
 * at once and alone, a burst costs a few statements per group rather than seven per chat.
 * Each chat is still what a start alone makes (its row, its question as message 1, its
 * History and facts rows, its webhook events); after the commit its three events go out, the
 * distributor is told once per group of chats and every caller gets its chat as it is then,
 * read once for the whole group.
 */
export function createStarts (core: ChatCore): Pick<ChatService, 'startChat'> {
  const { db, bus, clock } = core
  const waiting: Start[] = []
  let writing = false

  async function write (group: readonly Start[]): Promise<Array<{ chat: Chat, message: Message }>> {
    return await db.transaction(async (trx) => {
      const ids = await store.insertChats(trx, group.map((s) => s.row))
      // As stored: nothing else can have changed a chat not yet committed, so it is not read back.
      const chats = group.map((s, i) => store.newChat(ids[i]!, s.row))
      // The question is the chat's first message: its seq is taken in the chat's INSERT (last_seq 1), not by an UPDATE.
      const messages = await core.appendMany(trx, group.map((s, i) => ({ chatId: ids[i]!, seq: 1, author: s.customer, kind: 'text' as const, body: s.row.question })))
      await core.startedMany(trx, group.map((s, i) => ({ chat: chats[i]!, actor: s.customer, data: { source: 'portal', groupId: s.groupId } })))
      return chats.map((chat, i) => ({ chat, message: messages[i]! }))
    })
  }

  async function announce (group: readonly Start[], written: ReadonlyArray<{ chat: Chat, message: Message }>): Promise<void> {
    // Issued together, they still go out in this order (and on Redis in one write).
    await Promise.all(written.flatMap(({ chat, message }) => [
      bus.publish({ type: 'chat.message', chatId: chat.id, message }),
      bus.publish({ type: 'queue.changed', groupId: chat.groupId, chatId: chat.id }),
      bus.publish({ type: 'agent.alert', reason: 'queued', chatId: chat.id, groupId: chat.groupId, text: `New chat from ${chat.customerName}: ${chat.question.slice(0, 80)}` })
    ]))
    // A drain takes every chat queued in its group: one per group, not one per chat.
    const told = new Set<number | null>()
    for (const { chat } of written) {
      if (told.has(chat.groupId)) continue
      told.add(chat.groupId)
      await core.changed({ kind: 'queued', chat })
    }
    // The drain may have given them already: each caller answers with its chat as it is now.
    const now = new Map((await store.getChatRows(db, written.map(({ chat }) => chat.id))).map((r) => [Number(r.id), store.toChat(r)]))
    group.forEach((s, i) => { s.resolve(now.get(written[i]!.chat.id) ?? written[i]!.chat) })
  }

  async function writeAndAnnounce (group: readonly Start[]): Promise<void> {
    const written = await write(group)
    // Not awaited: the next group is written while this one's drain runs.
    announce(group, written).catch((err: unknown) => { for (const s of group) s.reject(err) })
  }

  async function flush (): Promise<void> {
    try {
      while (waiting.length > 0) {
        const group = waiting.splice(0, groupLimit)
        try {
          await writeAndAnnounce(group)
        } catch (err) {
          if (group.length === 1) { group[0]!.reject(err); continue }
          // Whatever one start brought fails that start alone: each is written again by itself.
          for (const s of group) await writeAndAnnounce([s]).catch((alone: unknown) => { s.reject(alone) })
        }
      }
    } finally {
      writing = false
    }
  }

  return {
    async startChat (input: StartChat) {
      const token = randomBytes(32).toString('base64url')
      const at = clock()
      const customer: Actor = { kind: 'customer', id: input.customer?.id ?? null, name: input.name }
      const row: store.NewChatRow = {
        status: ChatStatus.queued,
        group_id: input.groupId ?? null,
        agent_id: null,
        customer_user_id: input.customer?.id ?? null,
        customer_name: input.name,
        customer_email: input.email,
        customer_username: input.customer?.username ?? null,
        customer_verified_id: input.verifiedId ?? null,
        question: input.question,
        source: 'portal',
        customer_token_hash: hashToken(token),
        created_at: at,
        queued_at: at,
        assigned_at: null,
        ended_at: null,
        ended_by: null,
        last_agent_message_at: null,
        customer_ip: input.origin?.ip?.slice(0, 45) ?? null,
        customer_agent: describeAgent(input.origin?.userAgent ?? null),
        last_seq: 1,
        message_count: 1
      }
      const chat = await new Promise<Chat>((resolve, reject) => {
        waiting.push({ row, customer, groupId: input.groupId ?? null, resolve, reject })
        // The starts of this turn of the event loop go together, and those that come while they are written go next.
        if (!writing) {
          writing = true
          setImmediate(() => { void flush() })
        }
      })
      return { chat, token }
    }
  }
}
