import type { Knex } from 'knex'
import type { ChatService } from '../chats/service.ts'
import { messageBody as chatMessageBody } from '../chats/rules.ts'
import {
  type CodedError, LC_ERR_FORBIDDEN, LC_ERR_IM_DELETED, LC_ERR_IM_NOT_FOUND, LC_ERR_IM_ROOM_NOT_ADMITTED
} from '../errors.ts'
import type { HostAdapter, HostUser } from '../host/adapter.ts'
import { permissionsFor } from '../settings.ts'
import type { Bus } from '../realtime/bus-events.ts'
import type { RoutingService } from '../routing/service.ts'
import type { ImServiceDeps } from './service.ts'
import * as store from './store.ts'
import { createSummaries, type Summaries } from './summaries.ts'
import type { ConversationKind, ImMessage, ImViewer } from './types.ts'

/**
 * What the parts of the instant message service share (threads, rooms, reading, sweeps):
 * loading a conversation, the access rules, appending lines with their seqs, and telling
 * the bus after the commit. Every rule here is written once.
 */

type Db = Knex | Knex.Transaction

/** Invitees per thread start or invite: a conversation, not a broadcast. */
export const maxInvitees = 20
export const maxRoomName = 120
export const maxSearch = 100

/** The event lines of a conversation: who came, who went (docs/features.md#instant-messages). */
export const eventLines = {
  joined: (name: string) => `${name} joined`,
  left: (name: string) => `${name} left`,
  invited: (by: string, names: string[]) => `${by} invited ${names.join(', ')}`,
  restarted: (name: string) => `${name} restarted the conversation`
}

/** Shortens what someone typed for an error message: at most `max` characters, an ellipsis when cut. */
export const clip = (text: string, max: number): string => [...text].length > max ? `${[...text].slice(0, max - 1).join('')}…` : text

/** One line to append: an event line (who joined, left, was invited) or a message someone wrote. */
export interface Line { kind: 'text' | 'event', body: string, authorId: string | null, clientMsgId: string | null }

/** An agent as the access rules see them: a viewer, or an agent id looked up afresh. */
export interface Who { id: string, roles: string[], supervise: boolean }

export interface ImCommon extends Summaries {
  db: Knex
  bus: Bus
  host: HostAdapter
  chats: Pick<ChatService, 'chatForAgent'>
  routing: RoutingService
  clock: () => number
  settings: ImServiceDeps['settings']
  notFound: (id: number) => CodedError
  /** Whether the host user's roles make them a live chat agent (livechat.agent). */
  isAgent: (user: HostUser) => boolean
  /** The text to store: newlines normalised, trimmed; LC_ERR_MESSAGE_EMPTY or LC_ERR_MESSAGE_TOO_LONG otherwise. */
  messageBody: (text: string) => string
  /** The conversation's record; LC_ERR_IM_NOT_FOUND when there is none. */
  load: (id: number, trx?: Db) => Promise<store.ConversationRecord>
  /** The agent's participant row in the conversation, if any (left ones too). */
  mine: (id: number, agentId: string, trx?: Db) => Promise<store.ParticipantRecord | undefined>
  /** Every participant row of the conversation, in the order they came. */
  people: (id: number, trx?: Db) => Promise<store.ParticipantRecord[]>
  whoIs: (viewerOrAgentId: ImViewer | string) => Promise<Who | null>
  admittedRooms: (who: Who, roomIds: number[]) => Promise<Set<number>>
  admitted: (who: Who, roomId: number) => Promise<boolean>
  readable: (viewer: ImViewer, id: number) => Promise<store.ConversationRecord>
  visible: (viewer: ImViewer, id: number) => Promise<store.ConversationRecord>
  room: (viewer: ImViewer, id: number) => Promise<store.ConversationRecord>
  blank: (at: number) => Omit<store.LcImConversationRow, 'id' | 'kind' | 'started_by' | 'started_by_name'>
  append: (trx: Knex.Transaction, id: number, authorName: string, lines: Line[], at: number) => Promise<ImMessage[]>
  publish: (id: number, kind: ConversationKind, messages: ImMessage[], changed: boolean, actor: string | null, alsoTell?: string[]) => Promise<void>
  gone: (id: number) => Promise<never>
}

export function createImCommon ({ db, bus, host, chats, routing, clock = Date.now, settings, base }: ImServiceDeps): ImCommon {
  const notFound = (id: number): CodedError => new LC_ERR_IM_NOT_FOUND(String(id))
  const isAgent = (user: HostUser): boolean => permissionsFor(settings, user.roles).has('livechat.agent')

  /** A chat message's rule (the maxMessageLength setting) holds for instant messages too. */
  const messageBody = (text: string): string => chatMessageBody(text, settings.maxMessageLength)

  async function load (id: number, trx: Db = db): Promise<store.ConversationRecord> {
    const row = await store.conversationRow(trx, id)
    if (!row) throw notFound(id)
    return store.toRecord(row)
  }

  async function mine (id: number, agentId: string, trx: Db = db): Promise<store.ParticipantRecord | undefined> {
    const row = await store.participantRow(trx, id, agentId)
    return row ? store.toParticipant(row) : undefined
  }

  async function people (id: number, trx: Db = db): Promise<store.ParticipantRecord[]> {
    return (await store.participantsOf(trx, [id])).map(store.toParticipant)
  }

  // ------------------------------------------------------------ access (docs/design.md §8)

  /** The agent as the rules see them now, or null for someone who is no agent (any more). */
  async function whoIs (viewerOrAgentId: ImViewer | string): Promise<Who | null> {
    if (typeof viewerOrAgentId !== 'string') return viewerOrAgentId
    const user = await host.getUser(viewerOrAgentId)
    if (!user || !isAgent(user)) return null
    return { id: user.id, roles: user.roles, supervise: permissionsFor(settings, user.roles).has('livechat.supervise') }
  }

  /**
   * Which rooms of `roomIds` admit the agent: a department rule admits members (active or
   * not) of any of its groups, a group rule that group's members, a role rule holders of
   * that host role. Memberships are read fresh, so a change shows at once.
   */
  async function admittedRooms (who: Who, roomIds: number[]): Promise<Set<number>> {
    const rules = await store.roomAccessOf(db, roomIds)
    if (rules.length === 0) return new Set()
    const [{ memberOf }, groups] = await Promise.all([routing.agentGroups(who.id), routing.groups()])
    const groupIds = new Set(memberOf.map(String))
    const departmentIds = new Set(groups.filter((g) => memberOf.includes(g.id)).map((g) => String(g.departmentId)))
    const roles = new Set(who.roles)
    const out = new Set<number>()
    for (const rule of rules) {
      const hit = rule.kind === 'department' ? departmentIds.has(rule.ref) : rule.kind === 'group' ? groupIds.has(rule.ref) : roles.has(rule.ref)
      if (hit) out.add(Number(rule.conversation_id))
    }
    return out
  }

  async function admitted (who: Who, roomId: number): Promise<boolean> {
    return (await admittedRooms(who, [roomId])).has(roomId)
  }

  /**
   * The conversation, when the viewer may read it (and so post in it, as far as its own
   * rules allow): a thread's participant or a supervisor; an agent a room's rules admit.
   * A room manager not admitted gets a 403 that says so; anyone else a 404, as for a
   * missing id, so ids reveal nothing.
   */
  async function readable (viewer: ImViewer, id: number): Promise<store.ConversationRecord> {
    const rec = await load(id)
    if (rec.kind === 'thread') {
      if (viewer.supervise || await mine(id, viewer.id)) return rec
      throw notFound(id)
    }
    if (await admitted(viewer, id)) return rec
    if (viewer.manageRooms) throw new LC_ERR_IM_ROOM_NOT_ADMITTED(rec.name ?? String(id))
    throw notFound(id)
  }

  /** Like readable, but a room manager may see any room (to manage it) without being admitted. */
  async function visible (viewer: ImViewer, id: number): Promise<store.ConversationRecord> {
    const rec = await load(id)
    if (rec.kind === 'room' && viewer.manageRooms) return rec
    return await readable(viewer, id)
  }

  /** A room the viewer may manage (livechat.rooms); a thread's id is not found. */
  async function room (viewer: ImViewer, id: number): Promise<store.ConversationRecord> {
    if (!viewer.manageRooms) throw new LC_ERR_FORBIDDEN('livechat.rooms')
    const rec = await load(id)
    if (rec.kind !== 'room') throw notFound(id)
    return rec
  }

  // ------------------------------------------------------------ writing (docs/design.md §3, §6)

  /** A new conversation's row before it has anything: active, no messages, nothing related, not deleted. */
  const blank = (at: number): Omit<store.LcImConversationRow, 'id' | 'kind' | 'started_by' | 'started_by_name'> => ({
    name: null,
    status: 'active',
    related_kind: null,
    related_ref: null,
    related_label: null,
    last_seq: 0,
    last_message_at: at,
    created_at: at,
    updated_at: at,
    inactive_at: null,
    deleted_at: null,
    deleted_by: null,
    deleted_by_name: null,
    start_msg_id: null
  })

  /**
   * Appends lines (events, then at most one text) inside `trx`. Their seqs are taken in the
   * transaction that bumps last_seq, after the row lock, so seqs have no gaps and no twins.
   */
  async function append (trx: Knex.Transaction, id: number, authorName: string, lines: Line[], at: number): Promise<ImMessage[]> {
    if (lines.length === 0) return []
    const first = await store.reserveSeqs(trx, id, lines.length, at)
    const out: ImMessage[] = []
    for (const [i, line] of lines.entries()) {
      const row = { conversation_id: id, seq: first + i, author_id: line.authorId, author_name: authorName, kind: line.kind, body: line.body, client_msg_id: line.clientMsgId, created_at: at }
      await store.insertMessage(trx, row)
      out.push(store.toMessage(row))
    }
    return out
  }

  /**
   * After the commit: each new line to the conversation's followers (and, for a thread, as
   * a pop-up to its participants but `actor`, who wrote or caused them), then who should
   * re-read their lists and badges: the participants, and `alsoTell`.
   */
  async function publish (id: number, kind: ConversationKind, messages: ImMessage[], changed: boolean, actor: string | null, alsoTell: string[] = []): Promise<void> {
    const here = (await people(id)).filter((p) => p.leftAt === null).map((p) => p.agentId)
    // Rooms have no pop-ups: their lines reach only the pages that follow them.
    const recipients = kind === 'thread' ? here.filter((a) => a !== actor) : []
    for (const message of messages) await bus.publish({ type: 'im.message', conversationId: id, kind, message, recipients })
    if (changed || messages.length > 0) await bus.publish({ type: 'im.updated', conversationId: id, kind, agentIds: [...new Set([...here, ...alsoTell])], standing: changed })
  }

  /** Lost the row lock to a delete (or the conversation is gone): the error that says which. */
  async function gone (id: number): Promise<never> {
    const row = await store.conversationRow(db, id)
    if (!row) throw notFound(id)
    throw new LC_ERR_IM_DELETED(row.deleted_by_name ?? 'someone')
  }

  const summaries = createSummaries({ db, host, clock, settings, base, isAgent, load })
  const given = { db, bus, host, chats, routing, clock, settings }
  const rows = { notFound, isAgent, messageBody, load, mine, people }
  const access = { whoIs, admittedRooms, admitted, readable, visible, room }
  const writing = { blank, append, publish, gone }
  return { ...given, ...rows, ...access, ...writing, ...summaries }
}
