import type { Knex } from 'knex'
import { affected, toMs } from '../db/index.ts'

type Db = Knex | Knex.Transaction

export interface LcChatPinRow {
  id: number
  chat_id: number
  article_id: string
  title: string
  url: string
  pinned_by: string
  pinned_by_name: string
  pinned_at: number | string
}

/** A knowledge article pinned to a chat, as it was when pinned. */
export interface Pin {
  id: number
  chatId: number
  articleId: string
  title: string
  url: string
  pinnedBy: string
  pinnedByName: string
  pinnedAt: number
}

export function toPin (row: LcChatPinRow): Pin {
  return {
    id: Number(row.id),
    chatId: Number(row.chat_id),
    articleId: String(row.article_id),
    title: row.title,
    url: row.url,
    pinnedBy: String(row.pinned_by),
    pinnedByName: row.pinned_by_name,
    pinnedAt: toMs(row.pinned_at)!
  }
}

export async function insertPin (db: Db, row: Omit<LcChatPinRow, 'id'>): Promise<number> {
  const [id] = await db('lc_chat_pins').insert(row)
  return Number(id)
}

export async function pinRow (db: Db, chatId: number, articleId: string): Promise<LcChatPinRow | undefined> {
  return await db<LcChatPinRow>('lc_chat_pins').where({ chat_id: chatId, article_id: articleId }).first()
}

/** Newest first; the id breaks ties within a millisecond. */
export async function pinsOf (db: Db, chatId: number): Promise<LcChatPinRow[]> {
  return await db<LcChatPinRow>('lc_chat_pins').where({ chat_id: chatId }).orderBy([{ column: 'pinned_at', order: 'desc' }, { column: 'id', order: 'desc' }])
}

export async function deletePin (db: Db, chatId: number, articleId: string): Promise<number> {
  return affected(await db('lc_chat_pins').where({ chat_id: chatId, article_id: articleId }).delete())
}
