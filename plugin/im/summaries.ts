import type { Knex } from 'knex'
import type { HostAdapter, HostUser } from '../host/adapter.ts'
import { freshSince } from '../routing/rules.ts'
import type { Settings } from '../settings.ts'
import * as store from './store.ts'
import type { AgentCard, ConversationKind, ConversationSummary, ImViewer, Participant, Related } from './types.ts'

/**
 * Conversations and agents as a viewer sees them: list rows with their titles, unread
 * counts and latest message, participants and agent cards with who is online now.
 */

/** Agents read per directory or With Access list: far more than a page shows. */
export const maxAgents = 500

/** Thread participants who have not left (invited or joined); room participants who joined and have not left. */
export const present = (rec: { kind: ConversationKind }, p: store.ParticipantRecord): boolean =>
  p.leftAt === null && (rec.kind === 'thread' || p.joinedAt !== null)

/** A room's name; a thread's other participants ("Carol Chen, Bob Brown"), those still in it first, else who started it. */
export function titleOf (rec: store.ConversationRecord, people: store.ParticipantRecord[], viewerId: string): string {
  if (rec.kind === 'room') return rec.name ?? ''
  const others = people.filter((p) => p.agentId !== viewerId)
  const here = others.filter((p) => p.leftAt === null)
  const names = (here.length > 0 ? here : others).map((p) => p.name)
  return names.length > 0 ? names.join(', ') : rec.startedByName
}

export const participantOf = (p: store.ParticipantRecord): Omit<Participant, 'online'> => ({
  agentId: p.agentId, name: p.name, invitedBy: p.invitedBy, invitedAt: p.invitedAt, joinedAt: p.joinedAt, leftAt: p.leftAt, lastReadSeq: p.lastReadSeq
})

export interface Summaries {
  /** Which of `agentIds` (every agent, without it) have a console open now. */
  online: (agentIds?: string[]) => Promise<Set<string>>
  /** The rows of a list, or one conversation, as the viewer sees them; in the order given. */
  summarize: (viewer: ImViewer, recs: store.ConversationRecord[]) => Promise<ConversationSummary[]>
  summary: (viewer: ImViewer, id: number) => Promise<ConversationSummary>
  /** Cards by name, with who is online. */
  cards: (users: HostUser[]) => Promise<AgentCard[]>
  /** The host users of `ids` who are agents now, at most maxAgents of them. */
  users: (ids: Iterable<string>) => Promise<HostUser[]>
}

export interface SummariesDeps {
  db: Knex
  host: HostAdapter
  clock: () => number
  settings: Pick<Settings, 'heartbeatTimeoutSeconds'>
  base: string
  isAgent: (user: HostUser) => boolean
  load: (id: number) => Promise<store.ConversationRecord>
}

export function createSummaries ({ db, host, clock, settings, base, isAgent, load }: SummariesDeps): Summaries {
  /** Agents whose console is open now (lc_agent_presence is routing's; it is only read here). */
  async function online (agentIds?: string[]): Promise<Set<string>> {
    return await store.freshAgentIds(db, freshSince(clock(), settings.heartbeatTimeoutSeconds), agentIds)
  }

  async function relatedOf (rec: store.ConversationRecord, tickets: Map<string, string>): Promise<Related | null> {
    if (!rec.relatedKind || !rec.relatedRef) return null
    const ref = rec.relatedRef
    let url = `${base}/console/chats/${encodeURIComponent(ref)}`
    if (rec.relatedKind === 'ticket') {
      // One host lookup per ticket per list; a ticket the host no longer has links nowhere.
      if (!tickets.has(ref)) tickets.set(ref, (await host.getTicket(ref).catch(() => null))?.url ?? '')
      url = tickets.get(ref)!
    }
    return { kind: rec.relatedKind, ref, label: rec.relatedLabel ?? ref, url }
  }

  async function summarize (viewer: ImViewer, recs: store.ConversationRecord[]): Promise<ConversationSummary[]> {
    const ids = recs.map((r) => r.id)
    const [people, latest, viewerOnline] = await Promise.all([
      store.participantsOf(db, ids),
      store.latestMessages(db, recs),
      online([viewer.id])
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
        mine: own ? { ...participantOf(own), online: viewerOnline.has(own.agentId) } : null,
        lastMessage: last.get(rec.id) ?? null
      })
    }
    return out
  }

  async function summary (viewer: ImViewer, id: number): Promise<ConversationSummary> {
    return (await summarize(viewer, [await load(id)]))[0]!
  }

  async function cards (users: HostUser[]): Promise<AgentCard[]> {
    const on = await online(users.map((u) => u.id))
    return users.map((u) => ({ agentId: u.id, name: u.name, online: on.has(u.id) }))
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

  return { online, summarize, summary, cards, users }
}
