import type { Knex } from 'knex'
import { agentMaySee, type ChatService } from '../chats/service.ts'
import { type Actor, type AgentScope, type Chat, sees } from '../chats/types.ts'
import { excerptAround, searchWords } from '../db/fulltext.ts'
import { transact } from '../db/index.ts'
import { isCoded, LC_ERR_COMMENT_EMPTY, LC_ERR_COMMENT_NOT_FOUND, LC_ERR_COMMENT_NOT_YOURS, LC_ERR_COMMENT_TOO_LONG } from '../errors.ts'
import type { Bus } from '../realtime/bus-events.ts'
import * as store from './store.ts'
import type { Comment } from './store.ts'

export type { Comment } from './store.ts'

/** Not a setting: a note about a chat, not a document; longer text belongs in a ticket. */
export const maxCommentLength = 5000

export interface CommentServiceDeps {
  db: Knex
  bus: Bus
  chats: ChatService
  clock?: () => number
}

export interface CommentInput {
  body: string
  /** Make this comment the chat's resolution (moving the mark off any other). */
  resolution: boolean
}

export type CommentService = ReturnType<typeof createCommentService>

/** A past chat's resolution that matches a question, offered in the Resources panel. */
export interface ResolutionHit {
  commentId: number
  chatId: number
  /** The resolution's text around the words searched for. */
  excerpt: string
  authorName: string
  /** When the resolution was last written. */
  at: number
  /** What the customer of that chat asked. */
  question: string
  customerName: string
}

/** Matches read per round while looking for ones the agent may see; a few rounds at most. */
const resolutionPage = 50
const resolutionRounds = 4

/** What the History tab shows of a comment: enough to recognise it. */
const excerpt = (body: string): string => {
  const chars = [...body.replace(/\s+/g, ' ')]
  return chars.length > 80 ? `${chars.slice(0, 79).join('')}…` : chars.join('')
}

/**
 * Agents' comments on a chat, one of which may be its resolution (docs/features.md#comments).
 * Whoever may see the chat may comment; a comment is changed by its author, or by a
 * supervisor of the chat's group. Each change and its history row commit in one
 * transaction; the bus is told after the commit.
 */
export function createCommentService ({ db, bus, chats, clock = Date.now }: CommentServiceDeps) {
  const actorOf = (scope: AgentScope): Actor => ({ kind: 'agent', id: scope.id, name: scope.name })

  function clean (text: string): string {
    const body = text.replace(/\r\n/g, '\n').trim()
    if (body.length === 0) throw new LC_ERR_COMMENT_EMPTY()
    const length = [...body].length
    if (length > maxCommentLength) throw new LC_ERR_COMMENT_TOO_LONG(maxCommentLength.toLocaleString('en'), length.toLocaleString('en'))
    return body
  }

  function mayChange (comment: Comment, chat: Chat, scope: AgentScope): boolean {
    return comment.authorId === scope.id || (scope.supervise && sees(scope, chat.groupId))
  }

  /** The chat (404 unless the agent may see it) and one of its comments the agent may change (403 otherwise). */
  async function changeable (chatId: number, commentId: number, scope: AgentScope): Promise<{ chat: Chat, comment: Comment }> {
    const chat = await chats.chatForAgent(chatId, scope)
    const row = await store.commentRow(db, chat.id, commentId)
    if (!row) throw new LC_ERR_COMMENT_NOT_FOUND()
    const comment = store.toComment(row)
    if (!mayChange(comment, chat, scope)) throw new LC_ERR_COMMENT_NOT_YOURS(comment.authorName)
    return { chat, comment }
  }

  /** Moves the chat's resolution mark to `commentId`; returns the author of the comment that had it, if another did. */
  async function markResolution (trx: Knex.Transaction, chatId: number, commentId: number): Promise<string | null> {
    const before = await store.resolutionOf(trx, chatId)
    await store.clearResolution(trx, chatId)
    if (await store.updateComment(trx, chatId, commentId, { is_resolution: true }) === 0) throw new LC_ERR_COMMENT_NOT_FOUND()
    return before && Number(before.id) !== commentId ? before.author_name : null
  }

  /** The chat, or null when it was deleted (it waits for its purge and is no suggestion). */
  async function chatOrNone (chatId: number): Promise<Chat | null> {
    try {
      return await chats.get(chatId)
    } catch (err) {
      if (isCoded(err) && err.code === 'LC_ERR_CHAT_NOT_FOUND') return null
      throw err
    }
  }

  async function changed (chatId: number): Promise<void> {
    await bus.publish({ type: 'chat.comments', chatId })
  }

  return {
    mayChange,

    /**
     * Resolutions of other chats whose text matches `query`, best first, only from chats
     * the agent may see (the rule of chatForAgent) and never `exceptChatId`'s. Chats are
     * checked after the full-text read, a page at a time, so an agent who sees few chats
     * still gets their best matches without the search knowing about groups.
     */
    async searchResolutions (query: string, scope: AgentScope, limit: number, exceptChatId?: number): Promise<ResolutionHit[]> {
      const words = searchWords(query)
      if (words.length === 0 || limit < 1) return []
      const hits: ResolutionHit[] = []
      const seen = new Map<number, Chat | null>()
      for (let round = 0; round < resolutionRounds && hits.length < limit; round++) {
        const rows = await store.resolutionsMatching(db, query, { exceptChatId, limit: resolutionPage, offset: round * resolutionPage })
        for (const row of rows) {
          const comment = store.toComment(row)
          if (!seen.has(comment.chatId)) seen.set(comment.chatId, await chatOrNone(comment.chatId))
          const chat = seen.get(comment.chatId)
          if (!chat || !agentMaySee(chat, scope)) continue
          hits.push({
            commentId: comment.id,
            chatId: chat.id,
            excerpt: excerptAround(comment.body, words),
            authorName: comment.authorName,
            at: comment.updatedAt,
            question: chat.question,
            customerName: chat.customerName
          })
          if (hits.length === limit) break
        }
        if (rows.length < resolutionPage) break
      }
      return hits
    },

    /** The chat and its comments, newest first; 404 unless the agent may see the chat. */
    async list (chatId: number, scope: AgentScope): Promise<{ chat: Chat, comments: Comment[] }> {
      const chat = await chats.chatForAgent(chatId, scope)
      return { chat, comments: (await store.commentsOf(db, chat.id)).map(store.toComment) }
    },

    /** One comment the agent may change, for its edit form. */
    async forEdit (chatId: number, commentId: number, scope: AgentScope): Promise<Comment> {
      return (await changeable(chatId, commentId, scope)).comment
    },

    /** Adds a comment to a chat the agent may see; with `resolution` it becomes the chat's resolution. */
    async add (chatId: number, scope: AgentScope, input: CommentInput): Promise<Comment> {
      const chat = await chats.chatForAgent(chatId, scope)
      const body = clean(input.body)
      const at = clock()
      const id = await transact(db, async (trx) => {
        if (input.resolution) await store.clearResolution(trx, chat.id)
        const id = await store.insertComment(trx, {
          chat_id: chat.id, author_id: scope.id, author_name: scope.name, body, is_resolution: input.resolution, created_at: at, updated_at: at
        })
        await chats.recordHistory(chat.id, actorOf(scope), 'comment_added', { commentId: id, resolution: input.resolution, excerpt: excerpt(body) }, trx)
        return id
      })
      await changed(chat.id)
      return store.toComment((await store.commentRow(db, chat.id, id))!)
    },

    /**
     * Changes a comment's text and whether it is the resolution. Only what actually
     * changed is written and recorded; an unchanged form changes nothing.
     */
    async edit (chatId: number, commentId: number, scope: AgentScope, input: CommentInput): Promise<Comment> {
      const { chat, comment } = await changeable(chatId, commentId, scope)
      const body = clean(input.body)
      const textChanged = body !== comment.body
      const markChanged = input.resolution !== comment.isResolution
      if (!textChanged && !markChanged) return comment
      const actor = actorOf(scope)
      await transact(db, async (trx) => {
        if (textChanged) {
          if (await store.updateComment(trx, chat.id, comment.id, { body, updated_at: clock() }) === 0) throw new LC_ERR_COMMENT_NOT_FOUND()
          await chats.recordHistory(chat.id, actor, 'comment_edited', { commentId: comment.id, author: comment.authorName, excerpt: excerpt(body) }, trx)
        }
        if (markChanged && input.resolution) {
          const replaced = await markResolution(trx, chat.id, comment.id)
          await chats.recordHistory(chat.id, actor, 'resolution_marked', { commentId: comment.id, author: comment.authorName, replaced }, trx)
        } else if (markChanged) {
          if (await store.updateComment(trx, chat.id, comment.id, { is_resolution: false }) === 0) throw new LC_ERR_COMMENT_NOT_FOUND()
          await chats.recordHistory(chat.id, actor, 'resolution_unmarked', { commentId: comment.id, author: comment.authorName }, trx)
        }
      })
      await changed(chat.id)
      return store.toComment((await store.commentRow(db, chat.id, comment.id))!)
    },

    /** Marks (or unmarks) a comment as the chat's resolution; marking moves the mark off any other comment. */
    async setResolution (chatId: number, commentId: number, scope: AgentScope, mark: boolean): Promise<Comment> {
      const { chat, comment } = await changeable(chatId, commentId, scope)
      if (comment.isResolution === mark) return comment
      const actor = actorOf(scope)
      await transact(db, async (trx) => {
        if (mark) {
          const replaced = await markResolution(trx, chat.id, comment.id)
          await chats.recordHistory(chat.id, actor, 'resolution_marked', { commentId: comment.id, author: comment.authorName, replaced }, trx)
        } else {
          if (await store.updateComment(trx, chat.id, comment.id, { is_resolution: false }) === 0) throw new LC_ERR_COMMENT_NOT_FOUND()
          await chats.recordHistory(chat.id, actor, 'resolution_unmarked', { commentId: comment.id, author: comment.authorName }, trx)
        }
      })
      await changed(chat.id)
      return { ...comment, isResolution: mark }
    },

    /** Deletes a comment; deleting the resolution leaves the chat without one. */
    async remove (chatId: number, commentId: number, scope: AgentScope): Promise<Comment> {
      const { chat, comment } = await changeable(chatId, commentId, scope)
      await transact(db, async (trx) => {
        if (await store.deleteComment(trx, chat.id, comment.id) === 0) throw new LC_ERR_COMMENT_NOT_FOUND()
        await chats.recordHistory(chat.id, actorOf(scope), 'comment_deleted', { commentId: comment.id, author: comment.authorName, excerpt: excerpt(comment.body), wasResolution: comment.isResolution }, trx)
      })
      await changed(chat.id)
      return comment
    }
  }
}
