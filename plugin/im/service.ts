import type { Knex } from 'knex'
import type { ChatService } from '../chats/service.ts'
import { isUniqueViolation, transact } from '../db/index.ts'
import {
  type CodedError, isCoded, LC_ERR_FORBIDDEN, LC_ERR_IM_AGENTS, LC_ERR_IM_ALREADY_DELETED, LC_ERR_IM_DELETE_ACTIVE, LC_ERR_IM_DELETE_NOT_YOURS, LC_ERR_IM_DELETED,
  LC_ERR_IM_INACTIVE, LC_ERR_IM_NOT_DELETED, LC_ERR_IM_NOT_FOUND, LC_ERR_IM_NOT_PARTICIPANT, LC_ERR_IM_RELATED, LC_ERR_IM_ROOM_ACCESS, LC_ERR_IM_ROOM_ACCESS_NOT_FOUND,
  LC_ERR_IM_ROOM_ACCESS_TAKEN, LC_ERR_IM_ROOM_INACTIVE, LC_ERR_IM_ROOM_NAME, LC_ERR_IM_ROOM_NO_ACCESS, LC_ERR_IM_ROOM_NOT_ADMITTED, LC_ERR_MESSAGE_EMPTY,
  LC_ERR_MESSAGE_TOO_LONG, LC_ERR_SEARCH_TEXT_LONG
} from '../errors.ts'
import type { HostAdapter, HostUser } from '../host/adapter.ts'
import { permissionsFor, type Settings } from '../manifest.ts'
import type { Bus } from '../realtime/events.ts'
import type { RoutingService } from '../routing/service.ts'
import type { Agent } from '../security/access.ts'
import * as store from './store.ts'
import type { AgentCard, ConversationKind, ConversationStatus, ConversationSummary, ImMessage, ImViewer, Participant, Related, RelatedKind, RoomAccess, RoomAccessKind } from './types.ts'

export interface StartThread {
  agentIds: string[]
  body: string
  clientMsgId: string
  related?: { kind: RelatedKind, ref: string }
}

export type ListView = 'active' | 'inactive' | 'deleted' | 'agent'

export interface ListQuery {
  kind: ConversationKind
  view: ListView
  /** The 'agent' view's agent (supervisors only). */
  agentId?: string
  /** Room name, participants' names or message text; at most 100 characters. */
  q?: string
  limit?: number
}

export interface RoomAccessRule { kind: RoomAccessKind, ref: string }

/** What became of one conversation of a Delete or Undelete selected. */
export interface ImOutcome { id: number, ok: boolean, error?: CodedError }

export interface AccessOptions {
  departments: Array<{ id: number, name: string }>
  groups: Array<{ id: number, name: string, departmentName: string }>
  roles: string[]
}

/** The part of the service routes, sockets and jobs use (plugin/im/service.ts documents each). */
export interface ImService {
  startThread (viewer: ImViewer, input: StartThread): Promise<{ conversation: ConversationSummary, message: ImMessage }>
  post (viewer: ImViewer, conversationId: number, body: string, clientMsgId: string): Promise<ImMessage>
  invite (viewer: ImViewer, conversationId: number, agentIds: string[]): Promise<ConversationSummary>
  join (viewer: ImViewer, conversationId: number): Promise<ConversationSummary>
  leave (viewer: ImViewer, conversationId: number): Promise<ConversationSummary>
  markRead (viewer: ImViewer, conversationId: number, seq: number): Promise<void>
  unreadTotal (viewerId: string): Promise<number>
  list (viewer: ImViewer, query: ListQuery): Promise<ConversationSummary[]>
  get (viewer: ImViewer, conversationId: number): Promise<ConversationSummary>
  participants (viewer: ImViewer, conversationId: number): Promise<Participant[]>
  messages (viewer: ImViewer, conversationId: number, page?: { beforeSeq?: number, limit?: number }): Promise<ImMessage[]>
  messagesBetween (conversationId: number, afterSeq: number, upToSeq?: number): Promise<ImMessage[]>
  transcript (viewer: ImViewer, conversationId: number): Promise<string>
  onlineAgents (viewer: ImViewer, conversationId?: number): Promise<AgentCard[]>
  agentDirectory (viewer: ImViewer, q?: string): Promise<{ online: AgentCard[], offline: AgentCard[] }>
  deleteThreads (viewer: ImViewer, ids: number[]): Promise<ImOutcome[]>
  undeleteThreads (viewer: ImViewer, ids: number[]): Promise<ImOutcome[]>
  createRoom (viewer: ImViewer, input: { name: string, access: RoomAccessRule[] }): Promise<ConversationSummary>
  renameRoom (viewer: ImViewer, conversationId: number, name: string): Promise<ConversationSummary>
  addRoomAccess (viewer: ImViewer, conversationId: number, rule: RoomAccessRule): Promise<RoomAccess[]>
  removeRoomAccess (viewer: ImViewer, conversationId: number, accessId: number): Promise<RoomAccess[]>
  setRoomStatus (viewer: ImViewer, conversationId: number, status: ConversationStatus): Promise<ConversationSummary>
  roomAccess (viewer: ImViewer, conversationId: number): Promise<RoomAccess[]>
  withAccess (viewer: ImViewer, conversationId: number): Promise<AgentCard[]>
  accessOptions (): Promise<AccessOptions>
  admits (viewerOrAgentId: ImViewer | string, conversationId: number): Promise<boolean>
  /** The socket stream key ('im:7' or 'room:7'), latest seq and title of a conversation the viewer may follow; LC_ERR_IM_NOT_FOUND otherwise. */
  streamFor (viewer: ImViewer, conversationId: number): Promise<{ key: string, lastSeq: number, title: string }>
  /** The im-idle job: active threads without a message for `afterMs` become inactive; returns how many. */
  makeIdleInactive (afterMs: number): Promise<number>
}

/** The viewer every service function takes, from the signed-in agent. */
export async function imViewer (agent: Agent): Promise<ImViewer> {
  return {
    id: agent.user.id,
    name: agent.user.name,
    roles: agent.user.roles,
    supervise: agent.can('livechat.supervise'),
    delete: agent.can('livechat.delete'),
    manageRooms: agent.can('livechat.rooms'),
    scope: await agent.scope()
  }
}

export interface ImServiceDeps {
  db: Knex
  bus: Bus
  host: HostAdapter
  chats: Pick<ChatService, 'chatForAgent'>
  routing: RoutingService
  clock?: () => number
  maxMessageLength: number
  /** rolePermissions (who is an agent, which roles a room may admit) and heartbeatTimeoutSeconds (who is online). */
  settings: Settings
  /** The plugin's prefix, for the link to a related chat. */
  base: string
}

/** Invitees per thread start or invite: a conversation, not a broadcast. */
export const maxInvitees = 20
export const maxRoomName = 120
export const maxSearch = 100
/** Agents read per directory or With Access list: far more than a page shows. */
const maxAgents = 500

/** The event lines of a conversation: who came, who went (seed 000, Instant Messages). */
const events = {
  joined: (name: string) => `${name} joined`,
  left: (name: string) => `${name} left`,
  invited: (by: string, names: string[]) => `${by} invited ${names.join(', ')}`,
  restarted: (name: string) => `${name} restarted the conversation`
}

const problems = {
  noAgents: 'Choose at least one agent to send the message to',
  tooMany: (n: number) => `Invite at most ${maxInvitees} agents at once (you chose ${n})`,
  self: 'You are in the conversation already; choose the other agents only',
  unknown: 'One of the chosen agents no longer exists; pick the agents from the list again',
  notAgent: (name: string) => `${name} is not a live chat agent; pick agents from the list`,
  already: (names: string[]) => `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} in this conversation already`,
  roomInvite: 'Nobody is invited to a chat room: the agents its permissions admit join it themselves',
  chat: (ref: string) => `Chat #${ref} does not exist, or you may not see it; send the message without it`,
  ticket: (ref: string) => `No ticket ${ref} in the help desk; check the reference, or send the message without it`,
  roomName: `Give the room a name of at most ${maxRoomName} characters`,
  roomNameTaken: (name: string) => `A room named ${name} already exists; choose another name`
}

const clip = (text: string, max: number): string => [...text].length > max ? `${[...text].slice(0, max - 1).join('')}…` : text

/** "2026-11-21 14:05" in UTC, as transcripts show times. */
const stamp = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ')

/**
 * Internal messaging between agents (seed 000 Instant Messages and Chat Rooms, seed 002):
 * threads and rooms are one model, a conversation. Every change is one transaction that
 * first locks the conversation's row (store.lockLive), takes its seqs there and commits its
 * event lines with it; the bus is told after the commit. Who may see what:
 * - a thread: its participants (any row, even left) and supervisors (read only);
 * - a room: the agents its access rules admit; room managers also see it to manage it.
 * Anything else is LC_ERR_IM_NOT_FOUND, like a missing id.
 */
export function createImService ({ db, bus, host, chats, routing, clock = Date.now, maxMessageLength, settings, base }: ImServiceDeps): ImService {
  const freshSince = (): number => clock() - settings.heartbeatTimeoutSeconds * 1000
  const isAgent = (user: HostUser): boolean => permissionsFor(settings, user.roles).has('livechat.agent')
  const notFound = (id: number): CodedError => new LC_ERR_IM_NOT_FOUND(String(id))

  function clean (text: string): string {
    const body = text.replace(/\r\n/g, '\n').trim()
    if (body.length === 0) throw new LC_ERR_MESSAGE_EMPTY()
    const length = [...body].length
    if (length > maxMessageLength) throw new LC_ERR_MESSAGE_TOO_LONG(String(maxMessageLength), String(length))
    return body
  }

  async function load (id: number, trx: Knex | Knex.Transaction = db): Promise<store.ConversationRecord> {
    const row = await store.conversationRow(trx, id)
    if (!row) throw notFound(id)
    return store.toRecord(row)
  }

  async function mine (id: number, agentId: string, trx: Knex | Knex.Transaction = db): Promise<store.ParticipantRecord | undefined> {
    const row = await store.participantRow(trx, id, agentId)
    return row ? store.toParticipant(row) : undefined
  }

  // ------------------------------------------------------------ room access

  interface Who { id: string, roles: string[], supervise: boolean }

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
   * A room manager not admitted gets a 403 that says so; anyone else a 404.
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

  async function room (viewer: ImViewer, id: number): Promise<store.ConversationRecord> {
    if (!viewer.manageRooms) throw new LC_ERR_FORBIDDEN('livechat.rooms')
    const rec = await load(id)
    if (rec.kind !== 'room') throw notFound(id)
    return rec
  }

  async function ruleLabels (rows: store.LcImRoomAccessRow[]): Promise<RoomAccess[]> {
    const [departments, groups] = await Promise.all([routing.departments(), routing.groups()])
    return rows.map((r) => {
      let label = r.ref
      if (r.kind === 'department') label = departments.find((d) => String(d.id) === r.ref)?.name ?? `Department ${r.ref} (removed)`
      if (r.kind === 'group') {
        const g = groups.find((x) => String(x.id) === r.ref)
        label = g ? `${g.name} (${g.departmentName})` : `Group ${r.ref} (removed)`
      }
      if (r.kind === 'role') label = `Role ${r.ref}`
      return { id: Number(r.id), kind: r.kind, ref: r.ref, label }
    })
  }

  /** A rule that names something that exists, or LC_ERR_IM_ROOM_ACCESS naming what does not. */
  async function checkRule (rule: RoomAccessRule): Promise<RoomAccessRule> {
    const ref = String(rule.ref).trim()
    const numeric = /^[1-9][0-9]{0,9}$/.test(ref)
    if (rule.kind === 'department') {
      if (!numeric || !await routing.department(Number(ref))) throw new LC_ERR_IM_ROOM_ACCESS(`There is no department ${clip(ref, 64)} (it may have been removed)`)
    } else if (rule.kind === 'group') {
      if (!numeric || !(await routing.groups()).some((g) => g.id === Number(ref))) throw new LC_ERR_IM_ROOM_ACCESS(`There is no group ${clip(ref, 64)} (it may have been removed)`)
    } else if (rule.kind === 'role') {
      if (!Object.hasOwn(settings.rolePermissions, ref)) throw new LC_ERR_IM_ROOM_ACCESS(`There is no role ${clip(ref, 64)} in the live chat settings`)
    } else {
      throw new LC_ERR_IM_ROOM_ACCESS(`${clip(String(rule.kind), 20)} is not a kind of permission`)
    }
    return { kind: rule.kind, ref }
  }

  function roomName (name: string): string {
    const clean = name.replace(/\s+/g, ' ').trim()
    if (clean.length === 0 || [...clean].length > maxRoomName) throw new LC_ERR_IM_ROOM_NAME(problems.roomName)
    return clean
  }

  async function nameFree (name: string, except?: number): Promise<void> {
    const row = await store.roomByName(db, name)
    if (row && Number(row.id) !== except) throw new LC_ERR_IM_ROOM_NAME(problems.roomNameTaken(name))
  }

  // ------------------------------------------------------------ reading

  async function onlineOf (agentIds: string[]): Promise<Set<string>> {
    return await store.freshAgentIds(db, freshSince(), agentIds)
  }

  async function relatedOf (rec: store.ConversationRecord, tickets: Map<string, string>): Promise<Related | null> {
    if (!rec.relatedKind || !rec.relatedRef) return null
    const ref = rec.relatedRef
    let url = `${base}/console/chats/${encodeURIComponent(ref)}`
    if (rec.relatedKind === 'ticket') {
      if (!tickets.has(ref)) tickets.set(ref, (await host.getTicket(ref).catch(() => null))?.url ?? '')
      url = tickets.get(ref)!
    }
    return { kind: rec.relatedKind, ref, label: rec.relatedLabel ?? ref, url }
  }

  /** Thread participants who have not left (invited or joined); room participants who joined and have not left. */
  const present = (rec: { kind: ConversationKind }, p: store.ParticipantRecord): boolean =>
    p.leftAt === null && (rec.kind === 'thread' || p.joinedAt !== null)

  function titleOf (rec: store.ConversationRecord, people: store.ParticipantRecord[], viewerId: string): string {
    if (rec.kind === 'room') return rec.name ?? ''
    const others = people.filter((p) => p.agentId !== viewerId)
    const here = others.filter((p) => p.leftAt === null)
    const names = (here.length > 0 ? here : others).map((p) => p.name)
    return names.length > 0 ? names.join(', ') : rec.startedByName
  }

  /** The rows of a list, or one conversation, as the viewer sees them; in the order given. */
  async function summarize (viewer: ImViewer, recs: store.ConversationRecord[]): Promise<ConversationSummary[]> {
    const ids = recs.map((r) => r.id)
    const [people, latest, online] = await Promise.all([
      store.participantsOf(db, ids),
      store.latestMessages(db, recs),
      onlineOf([viewer.id])
    ])
    const byConversation = new Map<number, store.ParticipantRecord[]>()
    for (const row of people) {
      const p = store.toParticipant(row)
      const list = byConversation.get(p.conversationId) ?? []
      list.push(p)
      byConversation.set(p.conversationId, list)
    }
    const last = new Map(latest.map((m) => [Number(m.conversation_id), store.toMessage(m)]))
    const tickets = new Map<string, string>()
    const out: ConversationSummary[] = []
    for (const rec of recs) {
      const all = byConversation.get(rec.id) ?? []
      const here = all.filter((p) => present(rec, p))
      const own = all.find((p) => p.agentId === viewer.id)
      out.push({
        id: rec.id,
        kind: rec.kind,
        name: rec.name,
        title: titleOf(rec, all, viewer.id),
        status: rec.status,
        startedBy: rec.startedBy,
        startedByName: rec.startedByName,
        related: await relatedOf(rec, tickets),
        lastSeq: rec.lastSeq,
        lastMessageAt: rec.lastMessageAt,
        createdAt: rec.createdAt,
        inactiveAt: rec.inactiveAt,
        deletedAt: rec.deletedAt,
        deletedByName: rec.deletedByName,
        participants: here.map((p) => ({ agentId: p.agentId, name: p.name })),
        participantCount: here.length,
        unread: own && present(rec, own) ? Math.max(0, rec.lastSeq - own.lastReadSeq) : 0,
        mine: own ? { ...participantOf(own), online: online.has(own.agentId) } : null,
        lastMessage: last.get(rec.id) ?? null
      })
    }
    return out
  }

  const participantOf = (p: store.ParticipantRecord): Omit<Participant, 'online'> => ({
    agentId: p.agentId, name: p.name, invitedBy: p.invitedBy, invitedAt: p.invitedAt, joinedAt: p.joinedAt, leftAt: p.leftAt, lastReadSeq: p.lastReadSeq
  })

  async function summary (viewer: ImViewer, id: number): Promise<ConversationSummary> {
    return (await summarize(viewer, [await load(id)]))[0]!
  }

  async function cards (users: HostUser[]): Promise<AgentCard[]> {
    const online = await onlineOf(users.map((u) => u.id))
    return users.map((u) => ({ agentId: u.id, name: u.name, online: online.has(u.id) }))
      .sort((a, b) => a.name.localeCompare(b.name, 'en') || (a.agentId < b.agentId ? -1 : 1))
  }

  async function users (ids: Iterable<string>): Promise<HostUser[]> {
    const out: HostUser[] = []
    for (const id of [...new Set(ids)].slice(0, maxAgents)) {
      const user = await host.getUser(id)
      if (user && isAgent(user)) out.push(user)
    }
    return out
  }

  // ------------------------------------------------------------ writing

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

  interface Line { kind: 'text' | 'event', body: string, authorId: string | null, clientMsgId: string | null }

  /** Appends lines (events, then at most one text) inside `trx`, taking their seqs after the row lock. */
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
    const people = (await store.participantsOf(db, [id])).map(store.toParticipant)
    const here = people.filter((p) => p.leftAt === null).map((p) => p.agentId)
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

  /** Checked agent ids for a start or an invite: 1 to 20 agents, never the viewer. */
  async function invitees (viewer: ImViewer, agentIds: string[]): Promise<HostUser[]> {
    const ids = [...new Set(agentIds.map((a) => String(a).trim()).filter(Boolean))]
    if (ids.length === 0) throw new LC_ERR_IM_AGENTS(problems.noAgents)
    if (ids.length > maxInvitees) throw new LC_ERR_IM_AGENTS(problems.tooMany(ids.length))
    if (ids.includes(viewer.id)) throw new LC_ERR_IM_AGENTS(problems.self)
    const out: HostUser[] = []
    for (const id of ids) {
      const user = id.length <= 64 ? await host.getUser(id) : null
      if (!user) throw new LC_ERR_IM_AGENTS(problems.unknown)
      if (!isAgent(user)) throw new LC_ERR_IM_AGENTS(problems.notAgent(user.name))
      out.push(user)
    }
    return out
  }

  async function relatedFor (viewer: ImViewer, related: { kind: RelatedKind, ref: string }): Promise<{ kind: RelatedKind, ref: string, label: string }> {
    const ref = String(related.ref).trim()
    if (related.kind === 'chat') {
      if (!/^[1-9][0-9]{0,9}$/.test(ref)) throw new LC_ERR_IM_RELATED(problems.chat(clip(ref, 20)))
      try {
        const chat = await chats.chatForAgent(Number(ref), viewer.scope)
        return { kind: 'chat', ref: String(chat.id), label: clip(`Chat #${chat.id} · ${chat.customerName}`, 200) }
      } catch (err) {
        if (isCoded(err) && err.code === 'LC_ERR_CHAT_NOT_FOUND') throw new LC_ERR_IM_RELATED(problems.chat(ref))
        throw err
      }
    }
    if (related.kind === 'ticket') {
      const ticket = ref.length > 0 && ref.length <= 64 ? await host.getTicket(ref) : null
      if (!ticket) throw new LC_ERR_IM_RELATED(problems.ticket(clip(ref, 64)))
      return { kind: 'ticket', ref: ticket.ref, label: clip(ticket.summary ? `${ticket.ref} · ${ticket.summary}` : ticket.ref, 200) }
    }
    throw new LC_ERR_IM_RELATED(`A message can be about a chat or a ticket, not a ${clip(String(related.kind), 20)}`)
  }

  /** A delete or undelete of one thread, by the rule: inactive only, by a participant or a supervisor with livechat.delete. */
  async function changeDeletion (viewer: ImViewer, id: number, op: 'delete' | 'undelete'): Promise<ImOutcome> {
    try {
      const rec = await load(id)
      const own = await mine(id, viewer.id)
      if (rec.kind !== 'thread' || (!own && !viewer.supervise)) throw notFound(id)
      const people = (await store.participantsOf(db, [id])).map(store.toParticipant)
      const title = titleOf(rec, people, viewer.id)
      if (!own && !viewer.delete) throw new LC_ERR_IM_DELETE_NOT_YOURS(title, op)
      const at = clock()
      if (op === 'delete') {
        if (rec.deletedAt !== null) throw new LC_ERR_IM_ALREADY_DELETED(title, rec.deletedByName ?? 'someone')
        if (rec.status !== 'inactive') throw new LC_ERR_IM_DELETE_ACTIVE(title)
        const n = await store.updateConversation(db, id, { deleted_at: at, deleted_by: viewer.id, deleted_by_name: viewer.name, updated_at: at }, { status: 'inactive', deleted: false })
        if (n === 0) {
          // Someone got there first: deleted it, or wrote in it (it is active again).
          const now = await load(id)
          if (now.deletedAt !== null) throw new LC_ERR_IM_ALREADY_DELETED(title, now.deletedByName ?? 'someone')
          throw new LC_ERR_IM_DELETE_ACTIVE(title)
        }
      } else {
        if (rec.deletedAt === null) throw new LC_ERR_IM_NOT_DELETED(title)
        const n = await store.updateConversation(db, id, { deleted_at: null, deleted_by: null, deleted_by_name: null, updated_at: at }, { deleted: true })
        if (n === 0) throw new LC_ERR_IM_NOT_DELETED(title)
      }
      await publish(id, 'thread', [], true, viewer.id, [viewer.id])
      return { id, ok: true }
    } catch (err) {
      if (isCoded(err) && (err.statusCode ?? 500) < 500) return { id, ok: false, error: err }
      throw err
    }
  }

  return {
    /**
     * Starts a thread (seed 000, "New → Instant Message"): the conversation, its
     * participants (the starter joined, the invitees invited) and the first message, seq 1,
     * in one transaction. `related` ties it to a chat the viewer may see or a host ticket.
     */
    async startThread (viewer, input) {
      // The New form sent twice (a double click, a resend after a lost answer) starts one thread.
      const started = async (id: number) => {
        const [first] = (await store.messagesBetween(db, id, 0, 1)).map(store.toMessage)
        return { conversation: await summary(viewer, id), message: first! }
      }
      const already = await store.threadStartedWith(db, viewer.id, input.clientMsgId)
      if (already !== undefined) return await started(already)
      const people = await invitees(viewer, input.agentIds)
      const body = clean(input.body)
      const related = input.related ? await relatedFor(viewer, input.related) : null
      const at = clock()
      let id: number
      try {
        id = await transact(db, async (trx) => {
          const id = await store.insertConversation(trx, {
            ...blank(at),
            kind: 'thread',
            started_by: viewer.id,
            started_by_name: viewer.name,
            related_kind: related?.kind ?? null,
            related_ref: related?.ref ?? null,
            related_label: related?.label ?? null,
            start_msg_id: input.clientMsgId
          })
          await store.insertParticipant(trx, { conversation_id: id, agent_id: viewer.id, agent_name: viewer.name, invited_by: null, invited_at: at, joined_at: at, left_at: null, last_read_seq: 1 })
          for (const p of people) {
            await store.insertParticipant(trx, { conversation_id: id, agent_id: p.id, agent_name: p.name, invited_by: viewer.id, invited_at: at, joined_at: null, left_at: null, last_read_seq: 0 })
          }
          await append(trx, id, viewer.name, [{ kind: 'text', body, authorId: viewer.id, clientMsgId: input.clientMsgId }], at)
          return id
        })
      } catch (err) {
        // The copy racing its original: the unique index refused it and everything rolled back.
        const first = isUniqueViolation(err) ? await store.threadStartedWith(db, viewer.id, input.clientMsgId) : undefined
        if (first === undefined) throw err
        return await started(first)
      }
      const [message] = (await store.messagesBetween(db, id, 0, 1)).map(store.toMessage)
      await publish(id, 'thread', [message!], true, viewer.id)
      return { conversation: await summary(viewer, id), message: message! }
    },

    /**
     * Posts in a thread or room. Seq, last_seq and last_message_at move in the transaction
     * that stores it; the author has read up to it. A client id already stored for this
     * author and conversation returns the stored message. A thread's participant who left
     * or never joined is (re)joined by writing, and an inactive thread restarts; a room's
     * admitted agent joins it by writing. A deleted thread or an inactive room takes nothing.
     */
    async post (viewer, conversationId, text, clientMsgId) {
      const rec = await readable(viewer, conversationId)
      // A resend of what is stored already is answered with it, whatever happened since.
      const resent = await store.messageByClientId(db, conversationId, viewer.id, clientMsgId)
      if (resent) return store.toMessage(resent)
      const own = await mine(conversationId, viewer.id)
      if (rec.kind === 'thread' && !own) throw new LC_ERR_IM_NOT_PARTICIPANT('write in it')
      if (rec.deletedAt !== null) throw new LC_ERR_IM_DELETED(rec.deletedByName ?? 'someone')
      if (rec.kind === 'room' && rec.status !== 'active') throw new LC_ERR_IM_ROOM_INACTIVE(rec.name ?? '')
      const body = clean(text)
      let lines: ImMessage[]
      let changed = false
      try {
        lines = await transact(db, async (trx) => {
          const at = clock()
          if (await store.lockLive(trx, conversationId, at) === 0) return await gone(conversationId)
          const now = await load(conversationId, trx)
          const me = await mine(conversationId, viewer.id, trx)
          const before: Line[] = []
          if (now.kind === 'room') {
            if (now.status !== 'active') throw new LC_ERR_IM_ROOM_INACTIVE(now.name ?? '')
            if (!me) {
              await store.insertParticipant(trx, { conversation_id: conversationId, agent_id: viewer.id, agent_name: viewer.name, invited_by: null, invited_at: at, joined_at: at, left_at: null, last_read_seq: 0 })
              before.push({ kind: 'event', body: events.joined(viewer.name), authorId: null, clientMsgId: null })
            } else if (!present(now, me)) {
              await store.updateParticipant(trx, conversationId, viewer.id, { joined_at: at, left_at: null, agent_name: viewer.name })
              before.push({ kind: 'event', body: events.joined(viewer.name), authorId: null, clientMsgId: null })
            }
          } else {
            if (now.status === 'inactive') {
              await store.updateConversation(trx, conversationId, { status: 'active', inactive_at: null })
              before.push({ kind: 'event', body: events.restarted(viewer.name), authorId: null, clientMsgId: null })
            } else if (me!.joinedAt === null || me!.leftAt !== null) {
              before.push({ kind: 'event', body: events.joined(viewer.name), authorId: null, clientMsgId: null })
            }
            if (me!.joinedAt === null || me!.leftAt !== null) await store.updateParticipant(trx, conversationId, viewer.id, { joined_at: at, left_at: null })
          }
          changed = before.length > 0
          const out = await append(trx, conversationId, viewer.name, [...before, { kind: 'text', body, authorId: viewer.id, clientMsgId }], at)
          await store.markRead(trx, conversationId, viewer.id, out[out.length - 1]!.seq)
          return out
        })
      } catch (err) {
        // A resend racing its original: the unique index refused the copy and everything rolled back.
        if (isUniqueViolation(err)) {
          const existing = await store.messageByClientId(db, conversationId, viewer.id, clientMsgId)
          if (existing) return store.toMessage(existing)
        }
        throw err
      }
      await publish(conversationId, rec.kind, lines, changed, viewer.id)
      return lines[lines.length - 1]!
    },

    /** Invites agents to a thread the viewer is in (seed 000, Online Agents → Invite): one event line names them all. */
    async invite (viewer, conversationId, agentIds) {
      const rec = await readable(viewer, conversationId)
      if (rec.kind === 'room') throw new LC_ERR_IM_AGENTS(problems.roomInvite)
      const own = await mine(conversationId, viewer.id)
      if (!own || own.joinedAt === null || own.leftAt !== null) throw new LC_ERR_IM_NOT_PARTICIPANT('invite others')
      if (rec.deletedAt !== null) throw new LC_ERR_IM_DELETED(rec.deletedByName ?? 'someone')
      if (rec.status !== 'active') throw new LC_ERR_IM_INACTIVE()
      const people = await invitees(viewer, agentIds)
      const lines = await transact(db, async (trx) => {
        const at = clock()
        if (await store.lockLive(trx, conversationId, at) === 0) return await gone(conversationId)
        if ((await load(conversationId, trx)).status !== 'active') throw new LC_ERR_IM_INACTIVE()
        const already: string[] = []
        for (const p of people) {
          const row = await mine(conversationId, p.id, trx)
          if (row && row.leftAt === null) already.push(row.name)
        }
        if (already.length > 0) throw new LC_ERR_IM_AGENTS(problems.already(already))
        for (const p of people) {
          const fresh = { agent_name: p.name, invited_by: viewer.id, invited_at: at, joined_at: null, left_at: null }
          if (await store.updateParticipant(trx, conversationId, p.id, fresh) === 0) await store.insertParticipant(trx, { conversation_id: conversationId, agent_id: p.id, ...fresh, last_read_seq: 0 })
        }
        return await append(trx, conversationId, viewer.name, [{ kind: 'event', body: events.invited(viewer.name, people.map((p) => p.name)), authorId: null, clientMsgId: null }], at)
      })
      await publish(conversationId, 'thread', lines, true, viewer.id)
      return await summary(viewer, conversationId)
    },

    /**
     * Joins a thread the viewer was invited to (even after ignoring the invitation, or
     * after leaving), while it is active; or a room the rules admit the viewer to. Joining
     * where one is already is no change.
     */
    async join (viewer, conversationId) {
      const rec = await readable(viewer, conversationId)
      const own = await mine(conversationId, viewer.id)
      if (rec.kind === 'thread' && !own) throw new LC_ERR_IM_NOT_PARTICIPANT('join it')
      if (rec.deletedAt !== null) throw new LC_ERR_IM_DELETED(rec.deletedByName ?? 'someone')
      if (own && own.joinedAt !== null && own.leftAt === null) return await summary(viewer, conversationId)
      const lines = await transact(db, async (trx) => {
        const at = clock()
        if (await store.lockLive(trx, conversationId, at) === 0) return await gone(conversationId)
        const now = await load(conversationId, trx)
        if (now.status !== 'active') throw now.kind === 'room' ? new LC_ERR_IM_ROOM_INACTIVE(now.name ?? '') : new LC_ERR_IM_INACTIVE()
        const me = await mine(conversationId, viewer.id, trx)
        if (me && me.joinedAt !== null && me.leftAt === null) return []
        if (me) await store.updateParticipant(trx, conversationId, viewer.id, { joined_at: at, left_at: null })
        else await store.insertParticipant(trx, { conversation_id: conversationId, agent_id: viewer.id, agent_name: viewer.name, invited_by: null, invited_at: at, joined_at: at, left_at: null, last_read_seq: 0 })
        const lines = await append(trx, conversationId, viewer.name, [{ kind: 'event', body: events.joined(viewer.name), authorId: null, clientMsgId: null }], at)
        // Who joins is looking at the conversation: what came before is not news to count.
        await store.markRead(trx, conversationId, viewer.id, lines[0]!.seq)
        return lines
      })
      await publish(conversationId, rec.kind, lines, lines.length > 0, viewer.id)
      return await summary(viewer, conversationId)
    },

    /**
     * Leaves a thread or room (an invited agent leaving declines). When the last joined
     * participant leaves a thread, it becomes inactive. Leaving where one is not is no change.
     */
    async leave (viewer, conversationId) {
      const rec = await readable(viewer, conversationId)
      const own = await mine(conversationId, viewer.id)
      if (rec.kind === 'thread' && !own) throw new LC_ERR_IM_NOT_PARTICIPANT('leave it')
      if (rec.deletedAt !== null) throw new LC_ERR_IM_DELETED(rec.deletedByName ?? 'someone')
      if (!own || !present(rec, own)) return await summary(viewer, conversationId)
      const lines = await transact(db, async (trx) => {
        const at = clock()
        if (await store.lockLive(trx, conversationId, at) === 0) return await gone(conversationId)
        const me = await mine(conversationId, viewer.id, trx)
        if (!me || !present(rec, me)) return []
        await store.updateParticipant(trx, conversationId, viewer.id, { left_at: at })
        if (rec.kind === 'thread') {
          const joined = (await store.participantsOf(trx, [conversationId])).map(store.toParticipant).filter((p) => p.joinedAt !== null && p.leftAt === null)
          if (joined.length === 0) await store.updateConversation(trx, conversationId, { status: 'inactive', inactive_at: at }, { status: 'active' })
        }
        return await append(trx, conversationId, viewer.name, [{ kind: 'event', body: events.left(viewer.name), authorId: null, clientMsgId: null }], at)
      })
      // The one who left is told too: their badge and lists change.
      await publish(conversationId, rec.kind, lines, lines.length > 0, viewer.id, [viewer.id])
      return await summary(viewer, conversationId)
    },

    /** The viewer has read up to `seq` (no further than the latest message): their unread count drops. */
    async markRead (viewer, conversationId, seq) {
      const rec = await readable(viewer, conversationId)
      const upTo = Math.min(Math.max(0, Math.floor(seq)), rec.lastSeq)
      if (await store.markRead(db, conversationId, viewer.id, upTo) > 0) {
        await bus.publish({ type: 'im.updated', conversationId, kind: rec.kind, agentIds: [viewer.id], standing: false })
      }
    },

    /** Unread messages over the threads the agent is in (invited or joined) and the rooms they joined: the topbar badge. */
    async unreadTotal (viewerId) {
      return await store.unreadTotal(db, viewerId)
    },

    /**
     * The Instant Messages and Chat Rooms lists, most recent activity first. Threads: the
     * viewer's own (any participant row), active or inactive; 'deleted' those deleted that
     * the viewer took part in (every deleted one for a supervisor with livechat.delete);
     * 'agent' (supervisors only) one agent's. Rooms: those the rules admit the viewer to,
     * every room for a room manager. `q` matches a room's name, a participant's name or a
     * message's text.
     */
    async list (viewer, query) {
      const q = query.q?.trim() ?? ''
      if ([...q].length > maxSearch) throw new LC_ERR_SEARCH_TEXT_LONG(String(maxSearch), String([...q].length))
      if (query.view === 'agent' && !viewer.supervise) throw new LC_ERR_FORBIDDEN('livechat.supervise')
      const limit = Math.max(1, Math.min(500, Math.floor(query.limit ?? 100)))
      const filter: store.ListFilter = { kind: query.kind, deleted: query.view === 'deleted', limit, ...(q ? { q } : {}) }
      if (query.view === 'active' || query.view === 'inactive') filter.status = query.view
      if (query.kind === 'thread') {
        if (query.view === 'agent') {
          if (!query.agentId) return []
          filter.participant = query.agentId
        } else if (!(query.view === 'deleted' && viewer.supervise && viewer.delete)) {
          filter.participant = viewer.id
        }
      } else {
        if (query.view === 'deleted') return []
        if (query.view === 'agent') {
          if (!query.agentId) return []
          filter.joinedBy = query.agentId
        }
        if (!viewer.manageRooms) filter.ids = [...await admittedRooms(viewer, await store.allRoomIds(db))]
      }
      const rows = await store.listConversations(db, filter)
      return await summarize(viewer, rows.map(store.toRecord))
    },

    /** One conversation as the viewer sees it (a room manager sees any room). */
    async get (viewer, conversationId) {
      await visible(viewer, conversationId)
      return await summary(viewer, conversationId)
    },

    /** Every participant row, left ones too, in the order they came, with who is online now. */
    async participants (viewer, conversationId) {
      await visible(viewer, conversationId)
      const people = (await store.participantsOf(db, [conversationId])).map(store.toParticipant)
      const online = await onlineOf(people.map((p) => p.agentId))
      return people.map((p) => ({ ...participantOf(p), online: online.has(p.agentId) }))
    },

    /** The latest `limit` (100) messages, or those before `beforeSeq` for an older page, ascending. */
    async messages (viewer, conversationId, page = {}) {
      await readable(viewer, conversationId)
      const limit = Math.max(1, Math.min(500, Math.floor(page.limit ?? 100)))
      return (await store.messagesBefore(db, conversationId, page.beforeSeq, limit)).map(store.toMessage)
    },

    /** For the hub (access was checked when the socket followed): afterSeq < seq <= upToSeq, in order. */
    async messagesBetween (conversationId, afterSeq, upToSeq) {
      return (await store.messagesBetween(db, conversationId, afterSeq, upToSeq)).map(store.toMessage)
    },

    /** The whole conversation as plain text, one "[YYYY-MM-DD HH:MM] Name: body" line per message (times in UTC). */
    async transcript (viewer, conversationId) {
      const rec = await readable(viewer, conversationId)
      const people = (await store.participantsOf(db, [conversationId])).map(store.toParticipant)
      const heading = rec.kind === 'room' ? `Chat room: ${rec.name ?? ''}` : `Instant message with ${people.map((p) => p.name).join(', ')}`
      const lines = [heading]
      for (let after = 0; ;) {
        const page = (await store.messagesBetween(db, conversationId, after, undefined, 1000)).map(store.toMessage)
        for (const m of page) lines.push(m.kind === 'event' ? `[${stamp(m.createdAt)}] ${m.body}` : `[${stamp(m.createdAt)}] ${m.authorName}: ${m.body}`)
        if (page.length < 1000) break
        after = page[page.length - 1]!.seq
      }
      return lines.join('\n') + '\n'
    },

    /** Agents with a console open now, but the viewer and (given a conversation) its joined participants: whom to invite. */
    async onlineAgents (viewer, conversationId) {
      const skip = new Set([viewer.id])
      if (conversationId !== undefined) {
        const rec = await visible(viewer, conversationId)
        for (const row of await store.participantsOf(db, [conversationId])) {
          const p = store.toParticipant(row)
          if (p.joinedAt !== null && p.leftAt === null) skip.add(p.agentId)
          if (rec.kind === 'thread' && p.leftAt === null) skip.add(p.agentId)
        }
      }
      const online = await store.freshAgentIds(db, freshSince())
      return await cards(await users([...online].filter((id) => !skip.has(id))))
    },

    /**
     * Agents one may message, but the viewer, online and offline apart, by name: members of
     * any group, anyone who had a console open, and (with `q`) the host's users matching it
     * whose roles make them agents. `q` keeps only names containing it.
     */
    async agentDirectory (viewer, q) {
      const text = q?.trim().toLowerCase() ?? ''
      if ([...text].length > maxSearch) throw new LC_ERR_SEARCH_TEXT_LONG(String(maxSearch), String([...text].length))
      const ids = new Set<string>([...(await routing.members()).map((m) => m.agentId), ...await store.presenceAgentIds(db)])
      if (text) for (const u of await host.findUsers(text, 50)) ids.add(u.id)
      ids.delete(viewer.id)
      const found = (await users(ids)).filter((u) => !text || u.name.toLowerCase().includes(text))
      const all = await cards(found)
      return { online: all.filter((c) => c.online), offline: all.filter((c) => !c.online) }
    },

    async deleteThreads (viewer, ids) {
      const out: ImOutcome[] = []
      for (const id of [...new Set(ids)]) out.push(await changeDeletion(viewer, id, 'delete'))
      return out
    },

    async undeleteThreads (viewer, ids) {
      const out: ImOutcome[] = []
      for (const id of [...new Set(ids)]) out.push(await changeDeletion(viewer, id, 'undelete'))
      return out
    },

    /** A new room (livechat.rooms): a unique name and at least one rule saying who may join. */
    async createRoom (viewer, input) {
      if (!viewer.manageRooms) throw new LC_ERR_FORBIDDEN('livechat.rooms')
      const name = roomName(input.name)
      if (input.access.length === 0) throw new LC_ERR_IM_ROOM_NO_ACCESS()
      const rules: RoomAccessRule[] = []
      for (const rule of input.access) {
        const ok = await checkRule(rule)
        if (!rules.some((r) => r.kind === ok.kind && r.ref === ok.ref)) rules.push(ok)
      }
      await nameFree(name)
      const at = clock()
      const id = await transact(db, async (trx) => {
        const id = await store.insertConversation(trx, {
          ...blank(at),
          kind: 'room',
          name,
          started_by: viewer.id,
          started_by_name: viewer.name,
          last_message_at: null
        })
        for (const rule of rules) await store.insertRoomAccess(trx, { conversation_id: id, kind: rule.kind, ref: rule.ref, created_by: viewer.id, created_at: at })
        return id
      })
      await bus.publish({ type: 'im.updated', conversationId: id, kind: 'room', agentIds: [], standing: true })
      return await summary(viewer, id)
    },

    async renameRoom (viewer, conversationId, input) {
      const rec = await room(viewer, conversationId)
      const name = roomName(input)
      if (name === rec.name) return await summary(viewer, conversationId)
      await nameFree(name, conversationId)
      await store.updateConversation(db, conversationId, { name, updated_at: clock() })
      await publish(conversationId, 'room', [], true, viewer.id)
      return await summary(viewer, conversationId)
    },

    /** Adds a rule; consoles following the room re-check (im.access). */
    async addRoomAccess (viewer, conversationId, input) {
      await room(viewer, conversationId)
      const rule = await checkRule(input)
      const existing = await store.roomAccessOf(db, [conversationId])
      const label = async (): Promise<string> => (await ruleLabels([{ id: 0, conversation_id: conversationId, kind: rule.kind, ref: rule.ref, created_by: '', created_at: 0 }]))[0]!.label
      if (existing.some((r) => r.kind === rule.kind && r.ref === rule.ref)) throw new LC_ERR_IM_ROOM_ACCESS_TAKEN(await label())
      try {
        await store.insertRoomAccess(db, { conversation_id: conversationId, kind: rule.kind, ref: rule.ref, created_by: viewer.id, created_at: clock() })
      } catch (err) {
        if (isUniqueViolation(err)) throw new LC_ERR_IM_ROOM_ACCESS_TAKEN(await label())
        throw err
      }
      await bus.publish({ type: 'im.access', conversationId })
      return await ruleLabels(await store.roomAccessOf(db, [conversationId]))
    },

    /** Removes a rule, never the last one (a room nobody may join is refused); followers re-check at once. */
    async removeRoomAccess (viewer, conversationId, accessId) {
      await room(viewer, conversationId)
      await transact(db, async (trx) => {
        // The room's row first: two removals at once queue here, so they cannot both take "one of two".
        await store.updateConversation(trx, conversationId, { updated_at: clock() })
        const rules = await store.roomAccessOf(trx, [conversationId])
        if (!rules.some((r) => Number(r.id) === accessId)) throw new LC_ERR_IM_ROOM_ACCESS_NOT_FOUND()
        if (rules.length <= 1) throw new LC_ERR_IM_ROOM_NO_ACCESS()
        await store.deleteRoomAccess(trx, conversationId, accessId)
      })
      await bus.publish({ type: 'im.access', conversationId })
      return await ruleLabels(await store.roomAccessOf(db, [conversationId]))
    },

    /** Make inactive (nothing can be posted or joined) or active again; setting the status it has is no change. */
    async setRoomStatus (viewer, conversationId, status) {
      const rec = await room(viewer, conversationId)
      if (rec.status !== status) {
        const at = clock()
        const n = await store.updateConversation(db, conversationId, { status, inactive_at: status === 'inactive' ? at : null, updated_at: at }, { status: rec.status })
        if (n > 0) await publish(conversationId, 'room', [], true, viewer.id)
      }
      return await summary(viewer, conversationId)
    },

    async roomAccess (viewer, conversationId) {
      const rec = await visible(viewer, conversationId)
      if (rec.kind !== 'room') throw notFound(conversationId)
      return await ruleLabels(await store.roomAccessOf(db, [conversationId]))
    },

    /** The agents the room's rules admit now: members of its groups and departments' groups, and holders of its roles. */
    async withAccess (viewer, conversationId) {
      const rec = await visible(viewer, conversationId)
      if (rec.kind !== 'room') throw notFound(conversationId)
      const rules = await store.roomAccessOf(db, [conversationId])
      const groups = await routing.groups()
      const groupIds = new Set<number>()
      for (const r of rules) {
        if (r.kind === 'group') groupIds.add(Number(r.ref))
        if (r.kind === 'department') for (const g of groups) if (String(g.departmentId) === r.ref) groupIds.add(g.id)
      }
      const ids = new Set(groupIds.size > 0 ? (await routing.members([...groupIds])).map((m) => m.agentId) : [])
      const roles = rules.filter((r) => r.kind === 'role').map((r) => r.ref)
      const holders = roles.length > 0 && host.usersWithRoles ? await host.usersWithRoles(roles, maxAgents) : []
      const found = await users(ids)
      for (const u of holders) if (isAgent(u) && !found.some((f) => f.id === u.id)) found.push(u)
      return await cards(found)
    },

    async accessOptions () {
      const [departments, groups] = await Promise.all([routing.departments(), routing.groups()])
      return {
        departments: departments.map((d) => ({ id: d.id, name: d.name })),
        groups: groups.map((g) => ({ id: g.id, name: g.name, departmentName: g.departmentName })),
        roles: Object.keys(settings.rolePermissions).sort()
      }
    },

    /**
     * Whether the agent may read the conversation now: a room's rules admit them, or they
     * are a thread's participant or a supervisor. An agent id is looked up afresh (the
     * socket re-check after a rule or a membership changed).
     */
    async admits (viewerOrAgentId, conversationId) {
      const who = await whoIs(viewerOrAgentId)
      const row = await store.conversationRow(db, conversationId)
      if (!who || !row) return false
      if (row.kind === 'thread') return who.supervise || (await mine(conversationId, who.id)) !== undefined
      return await admitted(who, conversationId)
    },

    async streamFor (viewer, conversationId) {
      const rec = await readable(viewer, conversationId)
      const people = rec.kind === 'thread' ? (await store.participantsOf(db, [conversationId])).map(store.toParticipant) : []
      return { key: `${rec.kind === 'room' ? 'room' : 'im'}:${rec.id}`, lastSeq: rec.lastSeq, title: titleOf(rec, people, viewer.id) }
    },

    async makeIdleInactive (afterMs) {
      const before = clock() - afterMs
      let n = 0
      for (;;) {
        const ids = await store.idleThreads(db, before, 200)
        for (const id of ids) {
          if (await store.markIdle(db, id, before, clock()) === 0) continue
          n++
          await publish(id, 'thread', [], true, null)
        }
        if (ids.length < 200) break
      }
      return n
    }
  }
}
