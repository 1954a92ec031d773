import type { Column } from '../web/lists/columns.ts'
import { listAddress } from '../web/lists/table.ts'
import type { ImColumnKey } from './schemas.ts'

/*
 * The Instant Messages list (docs/features.md#instant-messages): its views, what each says
 * when empty and which toolbar actions it has, its columns and its address. Drawn with the
 * list kit (plugin/web/lists/) by list-view-models.ts.
 */

export type ImListView = 'active' | 'inactive' | 'deleted' | 'agent'
/** What the toolbar does with the ticked conversations. */
export type ImBulkAction = 'join' | 'transcript' | 'delete' | 'undelete'

export interface ImListDef {
  title: string
  empty: string
  /** The toolbar's actions, in their order: Join where one may have been invited, Delete only of inactive threads. */
  bulk: ImBulkAction[]
}

export const imListViews: Record<ImListView, ImListDef> = {
  active: { title: 'Active', empty: 'No active conversations. Start one with New, or from a chat\'s Actions → Assistance.', bulk: ['join', 'transcript'] },
  inactive: { title: 'Inactive', empty: 'No inactive conversations. A conversation becomes inactive when nobody writes in it for a while, or when everyone has left it.', bulk: ['transcript', 'delete'] },
  deleted: { title: 'Deleted Items', empty: 'No deleted conversations. Inactive conversations you delete wait here until they are purged.', bulk: ['transcript', 'undelete'] },
  agent: { title: 'By agent', empty: 'This agent has no conversations.', bulk: ['join', 'transcript', 'delete'] }
}

/** Rows a list shows; narrowing (search, a view) finds the others. */
export const listPageSize = 200

/** Columns in their default order, with the widths (px) they start at. */
export const imColumns: ReadonlyArray<Column<ImColumnKey>> = [
  { key: 'name', label: 'Name', width: 240 },
  { key: 'status', label: 'Status', width: 80 },
  { key: 'startedBy', label: 'Started By', width: 130 },
  { key: 'participants', label: 'Participants', width: 150 },
  { key: 'created', label: 'Date created', width: 130 },
  { key: 'lastMessage', label: 'Last message', width: 130 }
]
/** Deleted Items' column, beside the name: not one of the Visible Fields. */
export const deletedColumn: Column<'deleted'> = { key: 'deleted', label: 'Deleted', width: 220 }
/** The preference an agent's Visible Fields of this list are kept under. */
export const fieldsKey = 'im.fields'

/** What the list's state is made of: the view, the agent of By agent, the search. */
export interface ListState { view: ImListView, agent?: string, q?: string }

export function listUrl (base: string, s: ListState): string {
  return listAddress(`${base}/console/im`, { view: s.view, agent: s.agent, q: s.q })
}
