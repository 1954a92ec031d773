import type { Knex } from 'knex'
import { affected, toMs } from '../db/index.ts'

type Db = Knex | Knex.Transaction

export type ItemKind = 'task' | 'time_log' | 'call_log' | 'ticket'

export interface LcChatItemRow {
  id: number
  chat_id: number
  kind: string
  title: string | null
  note: string | null
  minutes: number | null
  direction: string | null
  due_on: string | null
  ticket_ref: string | null
  ticket_url: string | null
  created_by: string
  created_by_name: string
  created_at: number | string
  done_at: number | string | null
  /** Tickets: made from this chat's transcript (plugin/tickets) rather than linked by reference. 0/1 from both drivers. */
  created_from_chat?: boolean | number
}

/** Something an agent added to a chat from its Add menu: a task, a time or call log, or a linked ticket. */
export interface ChatItem {
  id: number
  chatId: number
  kind: ItemKind
  title: string | null
  note: string | null
  minutes: number | null
  direction: 'in' | 'out' | null
  dueOn: string | null
  ticketRef: string | null
  ticketUrl: string | null
  createdBy: string
  createdByName: string
  createdAt: number
  doneAt: number | null
  /** A ticket made from this chat (Create Incident / Work Order), which Abandon cancels. */
  createdFromChat: boolean
}

export function toItem (row: LcChatItemRow): ChatItem {
  return {
    id: Number(row.id),
    chatId: Number(row.chat_id),
    kind: row.kind as ItemKind,
    title: row.title,
    note: row.note,
    minutes: row.minutes === null ? null : Number(row.minutes),
    direction: row.direction as ChatItem['direction'],
    dueOn: row.due_on,
    ticketRef: row.ticket_ref,
    ticketUrl: row.ticket_url,
    createdBy: String(row.created_by),
    createdByName: row.created_by_name,
    createdAt: toMs(row.created_at)!,
    doneAt: toMs(row.done_at),
    createdFromChat: Boolean(Number(row.created_from_chat ?? 0))
  }
}

export async function insertItem (db: Db, row: Omit<LcChatItemRow, 'id'>): Promise<number> {
  const [id] = await db('lc_chat_items').insert(row)
  return Number(id)
}

/** The item, only when it belongs to `chatId`: an item id from another chat is no item here. */
export async function itemRow (db: Db, chatId: number, id: number): Promise<LcChatItemRow | undefined> {
  return await db<LcChatItemRow>('lc_chat_items').where({ id, chat_id: chatId }).first()
}

/** Newest first; the id breaks ties within a millisecond. */
export async function itemsOf (db: Db, chatId: number): Promise<LcChatItemRow[]> {
  return await db<LcChatItemRow>('lc_chat_items').where({ chat_id: chatId }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }])
}

/** Tickets made from the chat (not those linked by reference), oldest first: the order they were created in. */
export async function createdTickets (db: Db, chatId: number): Promise<LcChatItemRow[]> {
  return await db<LcChatItemRow>('lc_chat_items').where({ chat_id: chatId, kind: 'ticket', created_from_chat: true }).orderBy('id')
}

export async function ticketLinked (db: Db, chatId: number, ref: string): Promise<boolean> {
  return (await db('lc_chat_items').where({ chat_id: chatId, ticket_ref: ref }).first('id')) !== undefined
}

export async function setDone (db: Db, chatId: number, id: number, doneAt: number | null): Promise<number> {
  return affected(await db('lc_chat_items').where({ id, chat_id: chatId, kind: 'task' }).update({ done_at: doneAt }))
}

export async function deleteItem (db: Db, chatId: number, id: number): Promise<number> {
  return affected(await db('lc_chat_items').where({ id, chat_id: chatId }).delete())
}

/** Minutes logged on these chats: in all, and since each of the given times. */
export async function minutesLogged (db: Db, chatIds: number[], since: number[]): Promise<{ all: number, since: number[] }> {
  if (chatIds.length === 0) return { all: 0, since: since.map(() => 0) }
  const sums = since.map((at, i) => db.raw(`sum(case when created_at >= ? then minutes else 0 end) as s${i}`, [at]))
  const row: Record<string, unknown> | undefined = await db('lc_chat_items').select(db.raw('sum(minutes) as total'), ...sums)
    .where('kind', 'time_log').whereIn('chat_id', chatIds).first()
  return { all: Number(row?.total ?? 0), since: since.map((_, i) => Number(row?.[`s${i}`] ?? 0)) }
}
