import type { Knex } from 'knex'
import { affected, getDialect, toMs } from '../db/index.ts'
import type { ConversationKind, ConversationStatus, ImMessage, RelatedKind, RoomAccessKind } from './types.ts'

type Db = Knex | Knex.Transaction

export interface LcImConversationRow {
  id: number
  kind: ConversationKind
  name: string | null
  status: ConversationStatus
  started_by: string
  started_by_name: string
  related_kind: RelatedKind | null
  related_ref: string | null
  related_label: string | null
  last_seq: number
  last_message_at: number | string | null
  created_at: number | string
  updated_at: number | string
  inactive_at: number | string | null
  deleted_at: number | string | null
  deleted_by: string | null
  deleted_by_name: string | null
  start_msg_id: string | null
}

export interface LcImParticipantRow {
  conversation_id: number
  agent_id: string
  agent_name: string
  invited_by: string | null
  invited_at: number | string
  joined_at: number | string | null
  left_at: number | string | null
  last_read_seq: number
}

export interface LcImMessageRow {
  id: number
  conversation_id: number
  seq: number
  author_id: string | null
  author_name: string
  kind: 'text' | 'event'
  body: string
  client_msg_id: string | null
  created_at: number | string
}

export interface LcImRoomAccessRow {
  id: number
  conversation_id: number
  kind: RoomAccessKind
  ref: string
  created_by: string
  created_at: number | string
}

/** A conversation row as numbers and strings, before any viewer's view of it. */
export interface ConversationRecord {
  id: number
  kind: ConversationKind
  name: string | null
  status: ConversationStatus
  startedBy: string
  startedByName: string
  relatedKind: RelatedKind | null
  relatedRef: string | null
  relatedLabel: string | null
  lastSeq: number
  lastMessageAt: number | null
  createdAt: number
  inactiveAt: number | null
  deletedAt: number | null
  deletedBy: string | null
  deletedByName: string | null
}

export interface ParticipantRecord {
  conversationId: number
  agentId: string
  name: string
  invitedBy: string | null
  invitedAt: number
  joinedAt: number | null
  leftAt: number | null
  lastReadSeq: number
}

export function toRecord (row: LcImConversationRow): ConversationRecord {
  return {
    id: Number(row.id),
    kind: row.kind,
    name: row.name,
    status: row.status,
    startedBy: String(row.started_by),
    startedByName: row.started_by_name,
    relatedKind: row.related_kind,
    relatedRef: row.related_ref,
    relatedLabel: row.related_label,
    lastSeq: Number(row.last_seq),
    lastMessageAt: toMs(row.last_message_at),
    createdAt: toMs(row.created_at)!,
    inactiveAt: toMs(row.inactive_at),
    deletedAt: toMs(row.deleted_at),
    deletedBy: row.deleted_by,
    deletedByName: row.deleted_by_name
  }
}

export function toParticipant (row: LcImParticipantRow): ParticipantRecord {
  return {
    conversationId: Number(row.conversation_id),
    agentId: String(row.agent_id),
    name: row.agent_name,
    invitedBy: row.invited_by,
    invitedAt: toMs(row.invited_at)!,
    joinedAt: toMs(row.joined_at),
    leftAt: toMs(row.left_at),
    lastReadSeq: Number(row.last_read_seq)
  }
}

export function toMessage (row: Omit<LcImMessageRow, 'id'>): ImMessage {
  return {
    conversationId: Number(row.conversation_id),
    seq: Number(row.seq),
    authorId: row.author_id === null ? null : String(row.author_id),
    authorName: row.author_name,
    kind: row.kind,
    body: row.body,
    clientMsgId: row.client_msg_id,
    createdAt: toMs(row.created_at)!
  }
}

/**
 * LIKE with what a person typed taken literally (as plugin/search does): `%`, `_` and the
 * escape character are escaped, with `!`, which both databases read the same way.
 */
const likeLiteral = (typed: string): string => typed.replace(/[!%_]/g, (c) => `!${c}`)
const like = "LIKE ? ESCAPE '!'"

// ---------------------------------------------------------------- conversations

/** The thread an agent started with this first message's client id, if any. */
export async function threadStartedWith (db: Db, agentId: string, clientMsgId: string): Promise<number | undefined> {
  const row = await db('lc_im_conversations').where({ started_by: agentId, start_msg_id: clientMsgId }).first('id')
  return row ? Number(row.id) : undefined
}

export async function insertConversation (db: Db, row: Omit<LcImConversationRow, 'id'>): Promise<number> {
  const [id] = await db('lc_im_conversations').insert(row)
  return Number(id)
}

export async function conversationRow (db: Db, id: number): Promise<LcImConversationRow | undefined> {
  return await db<LcImConversationRow>('lc_im_conversations').where({ id }).first()
}

/**
 * The first statement of every change to a conversation: an UPDATE of its row, so on MySQL
 * the row is locked before anything is read and concurrent posts, joins and deletes queue
 * up behind each other. 0 when it is gone or was deleted meanwhile.
 */
export async function lockLive (trx: Knex.Transaction, id: number, at: number): Promise<number> {
  return affected(await trx('lc_im_conversations').where({ id }).whereNull('deleted_at').update({ updated_at: at }))
}

/** Takes `n` seqs after last_seq; returns the first. Run after lockLive in the same transaction. */
export async function reserveSeqs (trx: Knex.Transaction, id: number, n: number, at: number): Promise<number> {
  await trx('lc_im_conversations').where({ id }).update({ last_seq: trx.raw('last_seq + ?', [n]), last_message_at: at })
  const row = await trx('lc_im_conversations').select('last_seq').where({ id }).first()
  return Number(row.last_seq) - n + 1
}

/** A conditional change: `where` holds the state it expects (status, deleted or not); 0 when it no longer holds. */
export async function updateConversation (db: Db, id: number, changes: Partial<LcImConversationRow>, where: { status?: ConversationStatus, deleted?: boolean } = {}): Promise<number> {
  const q = db('lc_im_conversations').where({ id })
  if (where.status) q.andWhere('status', where.status)
  if (where.deleted === true) q.whereNotNull('deleted_at')
  if (where.deleted === false) q.whereNull('deleted_at')
  return affected(await q.update(changes))
}

export async function roomByName (db: Db, name: string): Promise<LcImConversationRow | undefined> {
  return await db<LcImConversationRow>('lc_im_conversations').where({ kind: 'room', name }).first()
}

export interface ListFilter {
  kind: ConversationKind
  status?: ConversationStatus
  deleted: boolean
  /** Only conversations this agent has a participant row in (any, left included). */
  participant?: string
  /** Only conversations this agent joined and has not left. */
  joinedBy?: string
  /** Only these ids (rooms a viewer is admitted to). */
  ids?: number[]
  q?: string
  limit: number
}

/** Most recent activity first: the latest message, else creation; the id breaks ties. */
export async function listConversations (db: Db, f: ListFilter): Promise<LcImConversationRow[]> {
  const q = db<LcImConversationRow>('lc_im_conversations as c').select('c.*').where('c.kind', f.kind)
  if (f.status) q.andWhere('c.status', f.status)
  if (f.deleted) q.whereNotNull('c.deleted_at')
  else q.whereNull('c.deleted_at')
  if (f.ids) q.whereIn('c.id', f.ids)
  if (f.participant !== undefined) {
    const agentId = f.participant
    q.whereExists(function () { this.select(db.raw('1')).from('lc_im_participants as p').whereRaw('p.conversation_id = c.id').andWhere('p.agent_id', agentId) })
  }
  if (f.joinedBy !== undefined) {
    const agentId = f.joinedBy
    q.whereExists(function () { this.select(db.raw('1')).from('lc_im_participants as p').whereRaw('p.conversation_id = c.id').andWhere('p.agent_id', agentId).whereNotNull('p.joined_at').whereNull('p.left_at') })
  }
  if (f.q) {
    const text = `%${likeLiteral(f.q)}%`
    q.where((w) => {
      w.whereRaw(`c.name ${like}`, [text])
        .orWhereExists(function () { this.select(db.raw('1')).from('lc_im_participants as p').whereRaw('p.conversation_id = c.id').andWhereRaw(`p.agent_name ${like}`, [text]) })
        .orWhereExists(function () { this.select(db.raw('1')).from('lc_im_messages as m').whereRaw('m.conversation_id = c.id').andWhere('m.kind', 'text').andWhereRaw(`m.body ${like}`, [text]) })
    })
  }
  return await q.orderByRaw('coalesce(c.last_message_at, c.created_at) desc').orderBy('c.id', 'desc').limit(f.limit)
}

/** Active threads whose latest message (or start) is older than `before`: the im-idle job's work. */
export async function idleThreads (db: Db, before: number, limit: number): Promise<number[]> {
  const rows = await db('lc_im_conversations').select('id').where({ kind: 'thread', status: 'active' }).whereNull('deleted_at')
    .andWhereRaw('coalesce(last_message_at, created_at) < ?', [before]).orderBy('id').limit(limit)
  return rows.map((r: { id: number }) => Number(r.id))
}

/** Makes an idle thread inactive, only if it is still active and still idle (a message meanwhile keeps it). */
export async function markIdle (db: Db, id: number, before: number, at: number): Promise<number> {
  return affected(await db('lc_im_conversations').where({ id, status: 'active' }).whereNull('deleted_at')
    .andWhereRaw('coalesce(last_message_at, created_at) < ?', [before])
    .update({ status: 'inactive', inactive_at: at, updated_at: at }))
}

// ---------------------------------------------------------------- purge (the purge job's batches)

/**
 * Every plugin table with a conversation_id column: what a conversation leaves behind.
 * Removed before the conversation itself, as the chat purge does, so nothing depends on
 * foreign keys cascading. A test lists the tables with a conversation_id column on both
 * databases and fails when one is missing here.
 */
export const conversationTables = [
  'lc_im_messages',
  'lc_im_participants',
  'lc_im_room_access'
] as const

/** Conversations deleted before `before` with an id above `after`, oldest id first; read without locks, so live conversations are not held up by the scan. */
export async function deletedBefore (db: Db, before: number, limit: number, after = 0): Promise<number[]> {
  const rows = await db('lc_im_conversations').select('id').whereNotNull('deleted_at').andWhere('deleted_at', '<', before).andWhere('id', '>', after)
    .orderBy('id').limit(limit)
  return rows.map((r: { id: number }) => Number(r.id))
}

/** Those of `ids` still deleted before `before`, locked (FOR UPDATE on MySQL) until the transaction ends: one undeleted since the scan is left alone. */
export async function lockDeletedBefore (trx: Knex.Transaction, ids: number[], before: number): Promise<number[]> {
  const q = trx('lc_im_conversations').select('id').whereIn('id', ids).whereNotNull('deleted_at').andWhere('deleted_at', '<', before)
  if (getDialect(trx) === 'mysql') q.forUpdate()
  return (await q).map((r: { id: number }) => Number(r.id))
}

/** Removes the conversations with every row of theirs; rows removed per table, lc_im_conversations included. */
export async function deleteConversations (trx: Knex.Transaction, ids: number[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  if (ids.length === 0) return out
  for (const table of conversationTables) out[table] = affected(await trx(table).whereIn('conversation_id', ids).delete())
  out.lc_im_conversations = affected(await trx('lc_im_conversations').whereIn('id', ids).delete())
  return out
}

// ---------------------------------------------------------------- participants

export async function insertParticipant (db: Db, row: LcImParticipantRow): Promise<void> {
  await db('lc_im_participants').insert(row)
}

export async function participantRow (db: Db, conversationId: number, agentId: string): Promise<LcImParticipantRow | undefined> {
  return await db<LcImParticipantRow>('lc_im_participants').where({ conversation_id: conversationId, agent_id: agentId }).first()
}

/** In the order they came in; the id breaks ties. */
export async function participantsOf (db: Db, conversationIds: number[]): Promise<LcImParticipantRow[]> {
  if (conversationIds.length === 0) return []
  return await db<LcImParticipantRow>('lc_im_participants').whereIn('conversation_id', conversationIds).orderBy([{ column: 'invited_at' }, { column: 'agent_name' }])
}

export async function updateParticipant (db: Db, conversationId: number, agentId: string, changes: Partial<LcImParticipantRow>): Promise<number> {
  return affected(await db('lc_im_participants').where({ conversation_id: conversationId, agent_id: agentId }).update(changes))
}

/** Moves the read marker forward only: an old tab's read never takes it back. */
export async function markRead (db: Db, conversationId: number, agentId: string, seq: number): Promise<number> {
  return affected(await db('lc_im_participants').where({ conversation_id: conversationId, agent_id: agentId }).andWhere('last_read_seq', '<', seq).update({ last_read_seq: seq }))
}

/**
 * Messages the agent has not read: threads they are in (invited or joined, not left) and
 * rooms they joined and have not left, never deleted ones.
 */
export async function unreadTotal (db: Db, agentId: string): Promise<number> {
  const row = await db('lc_im_participants as p').join('lc_im_conversations as c', 'c.id', 'p.conversation_id')
    .where('p.agent_id', agentId).whereNull('p.left_at').whereNull('c.deleted_at')
    .andWhere((w) => { w.where('c.kind', 'thread').orWhereNotNull('p.joined_at') })
    .andWhereRaw('c.last_seq > p.last_read_seq')
    .select(db.raw('coalesce(sum(c.last_seq - p.last_read_seq), 0) as n')).first()
  return Number(row?.n ?? 0)
}

// ---------------------------------------------------------------- messages

export async function insertMessage (db: Db, row: Omit<LcImMessageRow, 'id'>): Promise<number> {
  const [id] = await db('lc_im_messages').insert(row)
  return Number(id)
}

export async function messageByClientId (db: Db, conversationId: number, authorId: string, clientMsgId: string): Promise<LcImMessageRow | undefined> {
  return await db<LcImMessageRow>('lc_im_messages').where({ conversation_id: conversationId, author_id: authorId, client_msg_id: clientMsgId }).first()
}

/** Messages with afterSeq < seq <= upToSeq, in order. */
export async function messagesBetween (db: Db, conversationId: number, afterSeq: number, upToSeq?: number, limit = 1000): Promise<LcImMessageRow[]> {
  const q = db<LcImMessageRow>('lc_im_messages').where('conversation_id', conversationId).andWhere('seq', '>', afterSeq)
  if (upToSeq !== undefined) q.andWhere('seq', '<=', upToSeq)
  return await q.orderBy('seq', 'asc').limit(limit)
}

/** The latest `limit` messages before `beforeSeq` (or the latest of all), in ascending order. */
export async function messagesBefore (db: Db, conversationId: number, beforeSeq: number | undefined, limit: number): Promise<LcImMessageRow[]> {
  const q = db<LcImMessageRow>('lc_im_messages').where('conversation_id', conversationId)
  if (beforeSeq !== undefined) q.andWhere('seq', '<', beforeSeq)
  return (await q.orderBy('seq', 'desc').limit(limit)).reverse()
}

/** The message at each conversation's last_seq: list rows show it. */
export async function latestMessages (db: Db, conversations: Array<{ id: number, lastSeq: number }>): Promise<LcImMessageRow[]> {
  const pairs = conversations.filter((c) => c.lastSeq > 0).map((c) => [c.id, c.lastSeq])
  if (pairs.length === 0) return []
  return await db<LcImMessageRow>('lc_im_messages').whereIn(['conversation_id', 'seq'], pairs)
}

// ---------------------------------------------------------------- room access rules

export async function roomAccessOf (db: Db, conversationIds: number[]): Promise<LcImRoomAccessRow[]> {
  if (conversationIds.length === 0) return []
  return await db<LcImRoomAccessRow>('lc_im_room_access').whereIn('conversation_id', conversationIds).orderBy('id')
}

export async function insertRoomAccess (db: Db, row: Omit<LcImRoomAccessRow, 'id'>): Promise<number> {
  const [id] = await db('lc_im_room_access').insert(row)
  return Number(id)
}

export async function deleteRoomAccess (db: Db, conversationId: number, accessId: number): Promise<number> {
  return affected(await db('lc_im_room_access').where({ id: accessId, conversation_id: conversationId }).delete())
}

/** Every room's id, for deciding which of them a viewer is admitted to. */
export async function allRoomIds (db: Db): Promise<number[]> {
  return (await db('lc_im_conversations').select('id').where({ kind: 'room' })).map((r: { id: number }) => Number(r.id))
}

// ---------------------------------------------------------------- presence (read only)

/**
 * Agents whose console heartbeat is fresh. lc_agent_presence belongs to routing, which
 * writes it; it is only read here, for the online dots of many agents in one query.
 */
export async function freshAgentIds (db: Db, since: number, agentIds?: string[]): Promise<Set<string>> {
  const q = db('lc_agent_presence').select('agent_id').where('heartbeat_at', '>', since)
  if (agentIds) {
    if (agentIds.length === 0) return new Set()
    q.whereIn('agent_id', agentIds)
  }
  return new Set((await q).map((r: { agent_id: string }) => String(r.agent_id)))
}

/** Every agent who ever had a console open (a presence row), for the agent directory. */
export async function presenceAgentIds (db: Db): Promise<string[]> {
  return (await db('lc_agent_presence').select('agent_id')).map((r: { agent_id: string }) => String(r.agent_id))
}
