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

/** A comment as the Reports page lists it. */
export interface SurveyComment { chatId: number, rating: number, comment: string, createdAt: number }

/**
 * The comments on the latest chats started in [from, to) that have one, in these groups (null: all) and of this agent
 * (null: any); deleted chats left out. The chats' group and agent are where they are now, as the reports count them.
 * By the chat's start, not the answer's time: the walk down lc_chats_created then stops at the limit.
 */
export async function latestComments (db: Db, f: { from: number, to: number, groupIds: number[] | null, agentId: string | null }, limit: number): Promise<SurveyComment[]> {
  const q = db('lc_chat_surveys as s').join('lc_chats as c', 'c.id', 's.chat_id')
    .select('s.chat_id', 's.rating', 's.comment', 's.created_at')
    .where('c.created_at', '>=', f.from).andWhere('c.created_at', '<', f.to)
    .whereNull('c.deleted_at').whereNotNull('s.comment').andWhere('s.comment', '<>', '')
    .orderBy('c.created_at', 'desc').orderBy('c.id', 'desc').limit(limit)
  if (f.groupIds !== null) q.whereIn('c.group_id', f.groupIds)
  if (f.agentId !== null) q.where('c.agent_id', f.agentId)
  return (await q).map((r: LcChatSurveyRow) => ({ chatId: Number(r.chat_id), rating: Number(r.rating), comment: r.comment ?? '', createdAt: toMs(r.created_at)! }))
}
