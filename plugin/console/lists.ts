import type { ChatService } from '../chats/service.ts'
import { type AgentScope, ChatStatus, closedStatuses, queueGroups } from '../chats/types.ts'
import { LC_ERR_LIST_NOT_FOUND } from '../errors.ts'
import type { Column } from '../web/lists/columns.ts'
import { listAddress } from '../web/lists/table.ts'
import type { SortDir } from '../web/lists/sort.ts'
import type { listColumnKeys, ListSortKey } from './lists-schemas.ts'

/*
 * The console's chat lists (docs/features.md#chat-lists): which chats each list shows, in
 * which order at first, what its ticked chats can be given, its columns, its address, and the
 * socket topic of a tab showing it. Drawn with the list kit (plugin/web/lists/) by
 * list-view-models.ts; told to refresh by list-projections.ts.
 */

export type ListView = 'my-active' | 'my-completed' | 'queue' | 'transferred' | 'global-active' | 'global-completed' | 'deleted'
export type ColumnKey = typeof listColumnKeys[number]
type ChatQuery = Parameters<ChatService['list']>[0]

export interface ChatListDef {
  title: string
  /** Global lists are for supervisors and administrators. */
  supervise: boolean
  empty: string
  sort: ListSortKey
  dir: SortDir
  /** Which chats, before the viewer's filters: by status, and the groups the view covers. */
  select: (scope: AgentScope) => Omit<ChatQuery, 'sort' | 'dir' | 'limit' | 'now'>
  /** What ticked chats can be given besides Transfer selected (Delete; in Deleted Items, Undelete). */
  bulk?: 'delete' | 'undelete'
  /** Transfer selected does not apply (deleted chats). */
  noTransfer?: boolean
}

const closed = [ChatStatus.ended, ChatStatus.abandoned]

export const chatLists: Record<ListView, ChatListDef> = {
  'my-active': { title: 'My Active', supervise: false, empty: 'No active chats. Accept one from the queue.', sort: 'idle', dir: 'desc', select: (s) => ({ statuses: [ChatStatus.active], groups: 'all', agentId: s.id }) },
  'my-completed': { title: 'My Completed', supervise: false, empty: 'Chats you finish appear here.', sort: 'started', dir: 'desc', select: (s) => ({ statuses: closed, groups: 'all', agentId: s.id }), bulk: 'delete' },
  queue: { title: 'Queue', supervise: false, empty: 'No chats are waiting.', sort: 'started', dir: 'asc', select: (s) => ({ statuses: [ChatStatus.queued], groups: queueGroups(s), transferred: false }) },
  transferred: { title: 'Transferred', supervise: false, empty: 'No transfers are waiting for you or your groups.', sort: 'started', dir: 'asc', select: (s) => ({ statuses: [ChatStatus.queued], groups: queueGroups(s), transferred: true, forAgent: s.supervise ? undefined : s.id }) },
  'global-active': { title: 'Global Active', supervise: true, empty: 'No chats are waiting or active in your groups.', sort: 'idle', dir: 'desc', select: (s) => ({ statuses: [ChatStatus.queued, ChatStatus.active], groups: s.visible }) },
  'global-completed': { title: 'Global Completed', supervise: true, empty: 'No finished chats in your groups.', sort: 'started', dir: 'desc', select: (s) => ({ statuses: [...closed, ChatStatus.cancelled], groups: s.visible }), bulk: 'delete' },
  // Deleted Items: exactly the deleted chats the viewer may undelete (mayDelete):
  // their own, and with livechat.delete every one of the groups they supervise.
  deleted: {
    title: 'Deleted Items',
    supervise: false,
    empty: 'No deleted chats. Chats you delete wait here until they are purged.',
    sort: 'deleted',
    dir: 'desc',
    select: (s) => s.delete === true && s.supervise
      ? { statuses: closedStatuses, groups: s.visible, orAgentId: s.id, deleted: true }
      : { statuses: closedStatuses, groups: 'all', agentId: s.id, deleted: true },
    bulk: 'undelete',
    noTransfer: true
  }
}

export function isListView (name: string): name is ListView {
  return Object.hasOwn(chatLists, name)
}

export function listView (name: string): ListView {
  if (!isListView(name)) throw new LC_ERR_LIST_NOT_FOUND(name.slice(0, 32))
  return name
}

/** Columns in their default order, with the widths (px) they start at: View → Visible Fields, one choice for every list. */
export const listColumns: ReadonlyArray<Column<ColumnKey>> = [
  { key: 'status', label: 'Status', width: 90 },
  { key: 'user', label: 'User', width: 240 },
  { key: 'group', label: 'Group', width: 180 },
  { key: 'started', label: 'Started', width: 170 },
  { key: 'queue', label: 'Queue Time', width: 110 },
  { key: 'idle', label: 'Idle', width: 100 },
  { key: 'messages', label: 'Messages', width: 100 },
  { key: 'agent', label: 'Agent', width: 160 }
]
/** Deleted Items' column: not one of the Visible Fields, since no other list has it. */
export const deletedColumn: Column<'deleted'> = { key: 'deleted', label: 'Deleted', width: 240 }
/** The preference an agent's Visible Fields are kept under. */
export const fieldsKey = 'list.fields'

export interface ListState {
  view: ListView
  department?: number
  group?: number
  agent?: string
  sort: ListSortKey
  dir: SortDir
  /** The search box (docs/features.md#basic-search): the list shows only the chats matching it. */
  q?: string
  /** What was typed in the search box when it could not be searched for, and why (shown beside it). */
  search?: { typed: string, error: { code: string, message: string } }
}

/** The list's address with its filters and sort: the page, the htmx answer and the refresh all use it. */
export function listUrl (base: string, s: ListState, change: Partial<ListState> = {}): string {
  const next = { ...s, ...change }
  return listAddress(`${base}/console/lists/${next.view}`, { department: next.department, group: next.group, agent: next.agent, q: next.q, sort: next.sort, dir: next.dir })
}

/** The socket topic of a console tab showing a list: `list:<view>`. */
export function listTopic (view: ListView): string {
  return `list:${view}`
}

/**
 * The topics of a console socket opened by a list page (`?list=<view>`): none without one.
 * A name that is not a list, or a global list without livechat.supervise, refuses the socket.
 */
export function listSocketTopics (list: unknown, supervise: boolean): string[] {
  if (list === undefined) return []
  const view = listView(typeof list === 'string' ? list : '?')
  if (chatLists[view].supervise && !supervise) throw new LC_ERR_LIST_NOT_FOUND(view)
  return [listTopic(view)]
}
