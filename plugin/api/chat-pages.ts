import type { ChatService } from '../chats/service.ts'
import { type AgentScope, type Chat, ChatStatus } from '../chats/types.ts'
import { chatLists } from '../console/lists.ts'
import { LC_ERR_API_CURSOR, LC_ERR_FORBIDDEN } from '../errors.ts'
import type { RoutingService } from '../routing/service.ts'
import type { SearchService } from '../search/service.ts'
import type { ChatQuery } from './schemas.ts'

export interface ChatPagesDeps {
  chats: Pick<ChatService, 'list'>
  routing: Pick<RoutingService, 'groups'>
  search: Pick<SearchService, 'listMatches' | 'listSearchProblem'>
}

/** A page's cursor: the last chat id it showed, opaque to clients. */
export function cursorAfter (id: number): string {
  return Buffer.from(`c${id}`).toString('base64url')
}

/** The chat id a cursor stands for; LC_ERR_API_CURSOR (400) for one we did not give. */
export function readCursor (cursor: string): number {
  const m = /^c([1-9]\d{0,9})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'))
  if (!m) throw new LC_ERR_API_CURSOR()
  return Number(m[1])
}

/**
 * `GET /chats` (docs/features.md#json-api): the console's lists and their filters, read as
 * list-view-models reads them, but newest first by id, so a page starts after the last id
 * of the one before and chats arriving meanwhile never shift it.
 */
export function createChatPages ({ chats, routing, search }: ChatPagesDeps) {
  return async function page (scope: AgentScope, q: ChatQuery): Promise<{ chats: Chat[], next: string | null }> {
    const limit = q.limit ?? 25
    const after = q.cursor === undefined ? undefined : readCursor(q.cursor)
    const def = q.list === undefined ? undefined : chatLists[q.list]
    if (def?.supervise === true && !scope.supervise) throw new LC_ERR_FORBIDDEN('livechat.supervise')
    const select = def ? def.select(scope) : { statuses: Object.values(ChatStatus), groups: scope.visible }
    let groups = select.groups
    const narrow = (ids: number[]): void => { groups = groups === 'all' ? ids : groups.filter((g) => ids.includes(g)) }
    if (q.department !== undefined) {
      const dept = q.department
      narrow((await routing.groups()).filter((g) => g.departmentId === dept).map((g) => g.id))
    }
    if (q.group !== undefined) narrow([q.group])
    const narrowed = q.department !== undefined || q.group !== undefined
    const typed = q.q?.trim() ?? ''
    if (typed !== '') {
      const problem = search.listSearchProblem(typed)
      if (problem) throw problem
    }
    // One's own list narrowed to someone else matches nothing: a filter never widens a list.
    const elsewhere = select.agentId !== undefined && q.agent !== undefined && q.agent !== select.agentId
    const statuses = q.status === undefined ? select.statuses : select.statuses.filter((s) => s === q.status)
    if (elsewhere || statuses.length === 0) return { chats: [], next: null }
    const found = await chats.list({
      ...select,
      statuses,
      groups,
      ungrouped: !narrowed,
      orAgentId: narrowed ? undefined : select.orAgentId,
      agentId: q.agent ?? select.agentId,
      matching: typed === '' ? undefined : (await search.listMatches(typed)).matching,
      sort: 'id',
      dir: 'desc',
      afterId: after,
      limit: limit + 1
    })
    const shown = found.slice(0, limit)
    return { chats: shown, next: found.length > limit ? cursorAfter(shown.at(-1)!.id) : null }
  }
}

export type ChatPages = ReturnType<typeof createChatPages>
