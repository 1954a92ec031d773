import type { Knex } from 'knex'
import { toMs } from '../db/index.ts'

type Db = Knex | Knex.Transaction

export interface LcChatSurveyRow {
  chat_id: number
  rating: number
  comment: string | null
  created_at: number | string
}

/** What the customer said about an ended chat (one per chat). */
export interface Survey {
  chatId: number
  rating: number
  comment: string | null
  createdAt: number
}

export function toSurvey (row: LcChatSurveyRow): Survey {
  return { chatId: Number(row.chat_id), rating: Number(row.rating), comment: row.comment, createdAt: toMs(row.created_at)! }
}

export async function surveyRow (db: Db, chatId: number): Promise<LcChatSurveyRow | undefined> {
  return await db<LcChatSurveyRow>('lc_chat_surveys').where({ chat_id: chatId }).first()
}

/** Throws the database's unique violation when the chat already has a survey (chat_id is the key). */
export async function insertSurvey (db: Db, row: LcChatSurveyRow): Promise<void> {
  await db('lc_chat_surveys').insert(row)
}
