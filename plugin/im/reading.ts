import { LC_ERR_FORBIDDEN, LC_ERR_SEARCH_TEXT_LONG } from '../errors.ts'
import { type ImCommon, maxSearch } from './common.ts'
import type { ImService } from './service.ts'
import * as store from './store.ts'
import { participantOf, titleOf } from './summaries.ts'

/**
 * Reading conversations: the lists, one conversation and its messages, read marks and the
 * unread badge, the agents one may invite, and the access checks of the console socket's
 * streams (docs/design.md §6).
 */

/** "2026-11-21 14:05" in UTC, as transcripts show times. */
const stamp = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ')

/** Lines per page while a transcript is read. */
const transcriptPage = 1000

/** A page size the caller asked for, within 1 to 500 (100 when not asked). */
const pageSize = (limit: number | undefined): number => Math.max(1, Math.min(500, Math.floor(limit ?? 100)))

/** Search text the lists take, trimmed; LC_ERR_SEARCH_TEXT_LONG past maxSearch characters. */
function searchText (q: string | undefined): string {
  const text = q?.trim() ?? ''
  if ([...text].length > maxSearch) throw new LC_ERR_SEARCH_TEXT_LONG(String(maxSearch), String([...text].length))
  return text
}

export function createReading (c: ImCommon): Pick<ImService,
  'markRead' | 'unreadTotal' | 'list' | 'get' | 'participants' | 'messages' | 'messagesBetween' | 'transcript' |
  'onlineAgents' | 'agentDirectory' | 'admits' | 'streamFor'> {
  const { db, bus, host, routing, readable, visible, summary, people } = c

  return {
    async markRead (viewer, conversationId, seq) {
      const rec = await readable(viewer, conversationId)
      const upTo = Math.min(Math.max(0, Math.floor(seq)), rec.lastSeq)
      if (await store.markRead(db, conversationId, viewer.id, upTo) > 0) {
        await bus.publish({ type: 'im.updated', conversationId, kind: rec.kind, agentIds: [viewer.id], standing: false })
      }
    },

    async unreadTotal (viewerId) {
      return await store.unreadTotal(db, viewerId)
    },

    // Threads: the viewer's own (any participant row); 'deleted' those the viewer took part
    // in, every deleted one for a supervisor with livechat.delete; 'agent' one agent's, for
    // supervisors. Rooms: those the rules admit the viewer to, every room for a room manager.
    async list (viewer, query) {
      const q = searchText(query.q)
      if (query.view === 'agent' && !viewer.supervise) throw new LC_ERR_FORBIDDEN('livechat.supervise')
      const filter: store.ListFilter = { kind: query.kind, deleted: query.view === 'deleted', limit: pageSize(query.limit), ...(q ? { q } : {}) }
      if (query.view === 'active' || query.view === 'inactive') filter.status = query.view
      if (query.kind === 'thread') {
        if (query.view === 'agent') {
          if (!query.agentId) return []
          filter.participant = query.agentId
        } else if (!(query.view === 'deleted' && viewer.supervise && viewer.delete)) {
          filter.participant = viewer.id
        }
      } else {
        // Rooms are never deleted: only threads go to Deleted Items.
        if (query.view === 'deleted') return []
        if (query.view === 'agent') {
          if (!query.agentId) return []
          filter.joinedBy = query.agentId
        }
        if (!viewer.manageRooms) filter.ids = [...await c.admittedRooms(viewer, await store.allRoomIds(db))]
      }
      const rows = await store.listConversations(db, filter)
      return await c.summarize(viewer, rows.map(store.toRecord))
    },

    async get (viewer, conversationId) {
      await visible(viewer, conversationId)
      return await summary(viewer, conversationId)
    },

    async participants (viewer, conversationId) {
      await visible(viewer, conversationId)
      const all = await people(conversationId)
      const online = await c.online(all.map((p) => p.agentId))
      return all.map((p) => ({ ...participantOf(p), online: online.has(p.agentId) }))
    },

    async messages (viewer, conversationId, page = {}) {
      await readable(viewer, conversationId)
      return (await store.messagesBefore(db, conversationId, page.beforeSeq, pageSize(page.limit))).map(store.toMessage)
    },

    // No access check: the socket checked it when it followed the stream, and checks again when rules change.
    async messagesBetween (conversationId, afterSeq, upToSeq) {
      return (await store.messagesBetween(db, conversationId, afterSeq, upToSeq)).map(store.toMessage)
    },

    async transcript (viewer, conversationId) {
      const rec = await readable(viewer, conversationId)
      const all = await people(conversationId)
      const heading = rec.kind === 'room' ? `Chat room: ${rec.name ?? ''}` : `Instant message with ${all.map((p) => p.name).join(', ')}`
      const lines = [heading]
      for (let after = 0; ;) {
        const page = (await store.messagesBetween(db, conversationId, after, undefined, transcriptPage)).map(store.toMessage)
        for (const m of page) lines.push(m.kind === 'event' ? `[${stamp(m.createdAt)}] ${m.body}` : `[${stamp(m.createdAt)}] ${m.authorName}: ${m.body}`)
        if (page.length < transcriptPage) break
        after = page[page.length - 1]!.seq
      }
      return lines.join('\n') + '\n'
    },

    async onlineAgents (viewer, conversationId) {
      const skip = new Set([viewer.id])
      if (conversationId !== undefined) {
        const rec = await visible(viewer, conversationId)
        for (const p of await people(conversationId)) {
          if (p.joinedAt !== null && p.leftAt === null) skip.add(p.agentId)
          // A thread's invitee who has not answered yet is in it already.
          if (rec.kind === 'thread' && p.leftAt === null) skip.add(p.agentId)
        }
      }
      const online = await c.online()
      return await c.cards(await c.users([...online].filter((id) => !skip.has(id))))
    },

    // Members of any group, anyone who had a console open, and (with `q`) the host's users
    // matching it whose roles make them agents; `q` keeps only names containing it.
    async agentDirectory (viewer, q) {
      const text = searchText(q?.toLowerCase())
      const ids = new Set<string>([...(await routing.members()).map((m) => m.agentId), ...await store.presenceAgentIds(db)])
      if (text) for (const u of await host.findUsers(text, 50)) ids.add(u.id)
      ids.delete(viewer.id)
      const found = (await c.users(ids)).filter((u) => !text || u.name.toLowerCase().includes(text))
      const all = await c.cards(found)
      return { online: all.filter((a) => a.online), offline: all.filter((a) => !a.online) }
    },

    // An agent id is looked up afresh: the socket re-checks after a rule or a membership changed.
    async admits (viewerOrAgentId, conversationId) {
      const who = await c.whoIs(viewerOrAgentId)
      const row = await store.conversationRow(db, conversationId)
      if (!who || !row) return false
      if (row.kind === 'thread') return who.supervise || (await c.mine(conversationId, who.id)) !== undefined
      return await c.admitted(who, conversationId)
    },

    async streamFor (viewer, conversationId) {
      const rec = await readable(viewer, conversationId)
      const all = rec.kind === 'thread' ? await people(conversationId) : []
      return { key: `${rec.kind === 'room' ? 'room' : 'im'}:${rec.id}`, lastSeq: rec.lastSeq, title: titleOf(rec, all, viewer.id) }
    }
  }
}
