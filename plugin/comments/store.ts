import type { Knex } from 'knex'
import { type FullTextIndex, fullTextMatch } from '../db/fulltext.ts'
import { affected, toMs } from '../db/index.ts'

type Db = Knex | Knex.Transaction

export interface LcChatCommentRow {
  id: number
  chat_id: number
  author_id: string
  author_name: string
  body: string
  is_resolution: boolean | number
  created_at: number | string
  updated_at: number | string
}

/** An agent's note on a chat; customers never see it. */
export interface Comment {
  id: number
  chatId: number
  authorId: string
  authorName: string
  body: string
  isResolution: boolean
  createdAt: number
  updatedAt: number
}

export function toComment (row: LcChatCommentRow): Comment {
  return {
    id: Number(row.id),
    chatId: Number(row.chat_id),
    authorId: String(row.author_id),
    authorName: row.author_name,
    body: row.body,
    // SQLite and MySQL both hand booleans back as 0/1.
    isResolution: Boolean(Number(row.is_resolution)),
    createdAt: toMs(row.created_at)!,
    updatedAt: toMs(row.updated_at)!
  }
}

export async function insertComment (db: Db, row: Omit<LcChatCommentRow, 'id'>): Promise<number> {
  const [id] = await db('lc_chat_comments').insert(row)
  return Number(id)
}

/** The comment, only when it belongs to `chatId`: a comment id from another chat is no comment here. */
export async function commentRow (db: Db, chatId: number, id: number): Promise<LcChatCommentRow | undefined> {
  return await db<LcChatCommentRow>('lc_chat_comments').where({ id, chat_id: chatId }).first()
}

/** Newest first; the id breaks ties between comments written in the same millisecond. */
export async function commentsOf (db: Db, chatId: number): Promise<LcChatCommentRow[]> {
  return await db<LcChatCommentRow>('lc_chat_comments').where({ chat_id: chatId }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }])
}

export async function resolutionOf (db: Db, chatId: number): Promise<LcChatCommentRow | undefined> {
  return await db<LcChatCommentRow>('lc_chat_comments').where({ chat_id: chatId, is_resolution: true }).first()
}

export async function updateComment (db: Db, chatId: number, id: number, fields: Partial<Pick<LcChatCommentRow, 'body' | 'is_resolution' | 'updated_at'>>): Promise<number> {
  return affected(await db('lc_chat_comments').where({ id, chat_id: chatId }).update(fields))
}

/** Takes the resolution mark off every comment of the chat. */
export async function clearResolution (db: Db, chatId: number): Promise<number> {
  return affected(await db('lc_chat_comments').where({ chat_id: chatId, is_resolution: true }).update({ is_resolution: false }))
}

export async function deleteComment (db: Db, chatId: number, id: number): Promise<number> {
  return affected(await db('lc_chat_comments').where({ id, chat_id: chatId }).delete())
}

/** The full-text index on comment bodies (migration 019), searched for past resolutions. */
export const commentBodies: FullTextIndex = { table: 'lc_chat_comments', key: 'id', columns: ['body'], name: 'lc_chat_comments_body_ft' }

/**
 * Resolutions whose text matches any word of `input`, best first (the id breaks ties,
 * newest first), leaving out `exceptChatId`'s; a page of `limit` from `offset`.
 * Nothing when `input` holds no word worth searching for.
 */
export async function resolutionsMatching (db: Knex, input: string, page: { exceptChatId?: number, limit: number, offset: number }): Promise<LcChatCommentRow[]> {
  const match = fullTextMatch(db, commentBodies, input, { mode: 'any' })
  if (!match) return []
  const query = db('lc_chat_comments').select('lc_chat_comments.*').where('lc_chat_comments.is_resolution', true)
  if (page.exceptChatId !== undefined) query.whereNot('lc_chat_comments.chat_id', page.exceptChatId)
  return await match.apply(query)
    .orderBy([{ column: 'ft_score', order: 'desc' }, { column: 'lc_chat_comments.id', order: 'desc' }])
    .limit(page.limit).offset(page.offset) as LcChatCommentRow[]
}
