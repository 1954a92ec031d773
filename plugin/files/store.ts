import type { Knex } from 'knex'
import { toMs } from '../db/index.ts'
import type { AuthorKind } from '../chats/types.ts'

type Db = Knex | Knex.Transaction

export interface LcChatFileRow {
  id: number
  chat_id: number
  storage_name: string
  name: string
  type: string
  size: number | string
  sha256: string
  author_kind: string
  author_id: string | null
  author_name: string
  created_at: number | string
}

/** A file sent in a chat; its content is on disk under `storageName` (docs/design.md §3). */
export interface ChatFile {
  id: number
  chatId: number
  storageName: string
  name: string
  type: string
  size: number
  sha256: string
  authorKind: AuthorKind
  authorId: string | null
  authorName: string
  createdAt: number
}

export function toChatFile (row: LcChatFileRow): ChatFile {
  return {
    id: Number(row.id),
    chatId: Number(row.chat_id),
    storageName: row.storage_name,
    name: row.name,
    type: row.type,
    size: Number(row.size),
    sha256: row.sha256,
    authorKind: row.author_kind as AuthorKind,
    authorId: row.author_id,
    authorName: row.author_name,
    createdAt: toMs(row.created_at)!
  }
}

export async function insertFile (db: Db, row: Omit<LcChatFileRow, 'id'>): Promise<number> {
  const [id] = await db('lc_chat_files').insert(row)
  return Number(id)
}

export async function fileOfChat (db: Db, chatId: number, fileId: number): Promise<LcChatFileRow | undefined> {
  return await db<LcChatFileRow>('lc_chat_files').where({ id: fileId, chat_id: chatId }).first()
}

export async function filesOfChat (db: Db, chatId: number): Promise<LcChatFileRow[]> {
  return await db<LcChatFileRow>('lc_chat_files').where({ chat_id: chatId }).orderBy('id', 'asc')
}
