import { isUniqueViolation, transact } from '../db/index.ts'
import {
  isCoded, LC_ERR_IM_AGENTS, LC_ERR_IM_DELETED, LC_ERR_IM_INACTIVE, LC_ERR_IM_NOT_PARTICIPANT, LC_ERR_IM_RELATED, LC_ERR_IM_ROOM_INACTIVE
} from '../errors.ts'
import type { HostUser } from '../host/adapter.ts'
import { clip, eventLines, type ImCommon, type Line, maxInvitees } from './common.ts'
import type { ImService } from './service.ts'
import * as store from './store.ts'
import { present } from './summaries.ts'
import type { ConversationSummary, ImMessage, ImViewer, RelatedKind } from './types.ts'

/**
 * Writing in a conversation: starting a thread, posting (in a thread or a room), inviting,
 * joining and leaving. Each change is one transaction that first locks the conversation's
 * row (store.lockLive), takes its seqs there and commits its event lines with it; the bus
 * is told after the commit (docs/design.md §3, §6).
 */

const problems = {
  noAgents: 'Choose at least one agent to send the message to',
  tooMany: (n: number) => `Invite at most ${maxInvitees} agents at once (you chose ${n})`,
  self: 'You are in the conversation already; choose the other agents only',
  unknown: 'One of the chosen agents no longer exists; pick the agents from the list again',
  notAgent: (name: string) => `${name} is not a live chat agent; pick agents from the list`,
  already: (names: string[]) => `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} in this conversation already`,
  roomInvite: 'Nobody is invited to a chat room: the agents its permissions admit join it themselves',
  chat: (ref: string) => `Chat #${ref} does not exist, or you may not see it; send the message without it`,
  ticket: (ref: string) => `No ticket ${ref} in the help desk; check the reference, or send the message without it`
}

const event = (body: string): Line => ({ kind: 'event', body, authorId: null, clientMsgId: null })

export function createThreads (c: ImCommon): Pick<ImService, 'startThread' | 'post' | 'invite' | 'join' | 'leave'> {
  const { db, host, chats, clock, load, mine, readable, append, publish, gone, summary } = c

  /** Checked agent ids for a start or an invite: 1 to maxInvitees agents, never the viewer. */
  async function invitees (viewer: ImViewer, agentIds: string[]): Promise<HostUser[]> {
    const ids = [...new Set(agentIds.map((a) => String(a).trim()).filter(Boolean))]
    if (ids.length === 0) throw new LC_ERR_IM_AGENTS(problems.noAgents)
    if (ids.length > maxInvitees) throw new LC_ERR_IM_AGENTS(problems.tooMany(ids.length))
    if (ids.includes(viewer.id)) throw new LC_ERR_IM_AGENTS(problems.self)
    const out: HostUser[] = []
    for (const id of ids) {
      const user = id.length <= 64 ? await host.getUser(id) : null
      if (!user) throw new LC_ERR_IM_AGENTS(problems.unknown)
      if (!c.isAgent(user)) throw new LC_ERR_IM_AGENTS(problems.notAgent(user.name))
      out.push(user)
    }
    return out
  }

  /** The chat (one the viewer may see) or host ticket a thread is about, with the label its list row shows. */
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

  /** The first message of a thread this viewer started, with the thread: what a repeated start answers. */
  async function started (viewer: ImViewer, id: number): Promise<{ conversation: ConversationSummary, message: ImMessage }> {
    const [first] = (await store.messagesBetween(db, id, 0, 1)).map(store.toMessage)
    return { conversation: await summary(viewer, id), message: first! }
  }

  return {
    // The conversation, its participants (the starter joined, the invitees invited) and the
    // first message, seq 1, in one transaction.
    async startThread (viewer, input) {
      // The New form sent twice (a double click, a resend after a lost answer) starts one thread.
      const already = await store.threadStartedWith(db, viewer.id, input.clientMsgId)
      if (already !== undefined) return await started(viewer, already)
      const people = await invitees(viewer, input.agentIds)
      const body = c.messageBody(input.body)
      const related = input.related ? await relatedFor(viewer, input.related) : null
      const at = clock()
      let id: number
      try {
        id = await transact(db, async (trx) => {
          const id = await store.insertConversation(trx, {
            ...c.blank(at),
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
        return await started(viewer, first)
      }
      const [message] = (await store.messagesBetween(db, id, 0, 1)).map(store.toMessage)
      await publish(id, 'thread', [message!], true, viewer.id)
      return { conversation: await summary(viewer, id), message: message! }
    },

    // Seq, last_seq and last_message_at move in the transaction that stores the message; the
    // author has read up to it. Writing is also how one comes back: a thread's participant
    // who left or never joined is (re)joined and an inactive thread restarts; a room's
    // admitted agent joins it.
    async post (viewer, conversationId, text, clientMsgId) {
      const rec = await readable(viewer, conversationId)
      // A resend of what is stored already is answered with it, whatever happened since.
      const resent = await store.messageByClientId(db, conversationId, viewer.id, clientMsgId)
      if (resent) return store.toMessage(resent)
      const own = await mine(conversationId, viewer.id)
      if (rec.kind === 'thread' && !own) throw new LC_ERR_IM_NOT_PARTICIPANT('write in it')
      if (rec.deletedAt !== null) throw new LC_ERR_IM_DELETED(rec.deletedByName ?? 'someone')
      if (rec.kind === 'room' && rec.status !== 'active') throw new LC_ERR_IM_ROOM_INACTIVE(rec.name ?? '')
      const body = c.messageBody(text)
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
              before.push(event(eventLines.joined(viewer.name)))
            } else if (!present(now, me)) {
              await store.updateParticipant(trx, conversationId, viewer.id, { joined_at: at, left_at: null, agent_name: viewer.name })
              before.push(event(eventLines.joined(viewer.name)))
            }
          } else {
            if (now.status === 'inactive') {
              await store.updateConversation(trx, conversationId, { status: 'active', inactive_at: null })
              before.push(event(eventLines.restarted(viewer.name)))
            } else if (me!.joinedAt === null || me!.leftAt !== null) {
              before.push(event(eventLines.joined(viewer.name)))
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
          // Someone who left (or declined) is invited afresh on their old row.
          const fresh = { agent_name: p.name, invited_by: viewer.id, invited_at: at, joined_at: null, left_at: null }
          if (await store.updateParticipant(trx, conversationId, p.id, fresh) === 0) await store.insertParticipant(trx, { conversation_id: conversationId, agent_id: p.id, ...fresh, last_read_seq: 0 })
        }
        // One event line names them all.
        return await append(trx, conversationId, viewer.name, [event(eventLines.invited(viewer.name, people.map((p) => p.name)))], at)
      })
      await publish(conversationId, 'thread', lines, true, viewer.id)
      return await summary(viewer, conversationId)
    },

    // An invitation stays open: one may join after ignoring it, or after leaving.
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
        const lines = await append(trx, conversationId, viewer.name, [event(eventLines.joined(viewer.name))], at)
        // Who joins is looking at the conversation: what came before is not news to count.
        await store.markRead(trx, conversationId, viewer.id, lines[0]!.seq)
        return lines
      })
      await publish(conversationId, rec.kind, lines, lines.length > 0, viewer.id)
      return await summary(viewer, conversationId)
    },

    // An invited agent leaving declines. A thread nobody has joined any more is over: it becomes inactive.
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
          const joined = (await c.people(conversationId, trx)).filter((p) => p.joinedAt !== null && p.leftAt === null)
          if (joined.length === 0) await store.updateConversation(trx, conversationId, { status: 'inactive', inactive_at: at }, { status: 'active' })
        }
        return await append(trx, conversationId, viewer.name, [event(eventLines.left(viewer.name))], at)
      })
      // The one who left is told too: their badge and lists change.
      await publish(conversationId, rec.kind, lines, lines.length > 0, viewer.id, [viewer.id])
      return await summary(viewer, conversationId)
    }
  }
}
