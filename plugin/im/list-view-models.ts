import { targets } from '../realtime/targets.ts'
import { bind, type Fragment } from '../web/fragments.ts'
import { type ChoiceStore, type Column, shownColumns, type VisibleFields, visibleFields } from '../web/lists/columns.ts'
import { staleFragment, type StaleModel } from '../web/lists/refresh.ts'
import { type Cell, type ListTableModel, pageOf } from '../web/lists/table.ts'
import { type BulkFormModel, type FiltersModel, readSearched } from '../web/lists/toolbar.ts'
import { deletedColumn, fieldsKey, type ImBulkAction, imColumns, imListViews, listPageSize, type ListState, listUrl } from './lists.ts'
import type { ImColumnKey } from './schemas.ts'
import type { ImService } from './service.ts'
import type { ImViewer } from './types.ts'
import { excerpt, standing } from './view-models.ts'

/*
 * The Instant Messages list drawn with the list kit (plugin/web/lists/): the table for one
 * viewer, its search box, View → Visible Fields and the toolbar's actions on ticked threads.
 */

const statusLabels = { active: 'Active', inactive: 'Inactive' } as const
/** Searches the service refuses, shown beside the box with the list unsearched. */
const searchRefusals = new Set(['LC_ERR_SEARCH_TEXT_LONG'])

/** views/im/transcripts.hbs: Transcript's outcome, a link per ticked conversation. */
export interface TranscriptsModel { items: Array<{ title: string, url: string }> }

export const transcriptsFragment = bind('im/transcripts', 'innerHTML', (_m: TranscriptsModel) => targets.imListResults())

export interface ImListViewsDeps {
  base: string
  im: Pick<ImService, 'list'>
  /** Where each agent's Visible Fields are kept (the preferences service). */
  preferences: ChoiceStore
  clock: () => number
}

export interface ImListViews {
  /** View → Visible Fields of this list. */
  fields: VisibleFields<ImColumnKey>
  /**
   * The list for one viewer: the table (most recent activity first, the columns they chose)
   * and the search box above it. A search the service refuses leaves the list unsearched,
   * with the reason beside the box (`refused`).
   */
  read: (viewer: ImViewer, s: Omit<ListState, 'q'>, typed: string) => Promise<{ table: ListTableModel, filters: FiltersModel, refused: boolean }>
  /** One action of the toolbar, with why nothing was sent. */
  bulkForm: (action: ImBulkAction, error?: string) => BulkFormModel
  /** The refresh signal as the page starts with it. */
  stale: () => StaleModel
  /** The refresh signal: the list re-reads itself from its own address. */
  staleFragment: () => Fragment
}

export function createImListViews ({ base, im, preferences, clock }: ImListViewsDeps): ImListViews {
  const threadUrl = (id: number): string => `${base}/console/im/${id}`
  const fields = visibleFields({
    columns: imColumns,
    key: fieldsKey,
    store: preferences,
    place: { id: targets.imListFields(), action: `${base}/console/im/fields`, hint: 'Choose the columns the Instant Messages list shows, and their widths in pixels', fieldId: 'lc-im-field', errorId: 'lc-im-fields-error' }
  })

  const bulk: Record<ImBulkAction, Omit<BulkFormModel, 'error'>> = {
    join: { id: targets.imListJoin(), action: `${base}/console/im/join`, label: 'Join', title: 'Join the ticked conversations you were invited to', errorId: 'lc-im-join-error' },
    transcript: { id: targets.imListTranscript(), action: `${base}/console/im/transcripts`, get: true, label: 'Transcript', title: 'Transcripts of the ticked conversations', errorId: 'lc-im-transcript-error' },
    delete: {
      id: targets.imListDelete(),
      action: `${base}/console/im/delete`,
      confirm: 'Delete the ticked conversations? They move to Deleted Items, where they can be undeleted until they are purged.',
      label: 'Delete selected',
      tone: 'danger',
      errorId: 'lc-im-delete-error'
    },
    undelete: { id: targets.imListUndelete(), action: `${base}/console/im/undelete`, label: 'Undelete selected', tone: 'primary', errorId: 'lc-im-undelete-error' }
  }

  async function read (viewer: ImViewer, s: Omit<ListState, 'q'>, typed: string) {
    const def = imListViews[s.view]
    // By agent before an agent is chosen: nothing to read yet.
    const waiting = s.view === 'agent' && s.agent === undefined
    const [searched, choice] = await Promise.all([
      readSearched(typed, async (q) => waiting ? [] : await im.list(viewer, { kind: 'thread', view: s.view, agentId: s.agent, q, limit: listPageSize + 1 }), searchRefusals),
      fields.read(viewer.id)
    ])
    const state: ListState = { ...s, q: searched.q }
    const { shown: list, more } = pageOf(searched.value, listPageSize)
    const columns: Array<Column<ImColumnKey | 'deleted'>> = shownColumns(imColumns, choice)
    if (s.view === 'deleted') columns.splice(1, 0, deletedColumn)
    const rows = list.map((c) => {
      const { invited } = standing(c)
      const cells = columns.map((col): Cell => {
        switch (col.key) {
          case 'name': return {
            kind: 'own',
            partial: 'im/list-cell',
            title: c.title,
            href: threadUrl(c.id),
            unread: c.unread,
            invited: invited && c.status === 'active' && c.deletedAt === null,
            related: c.related?.label ?? null,
            last: c.lastMessage ? excerpt(`${c.lastMessage.authorName}: ${c.lastMessage.body}`) : null
          }
          case 'status': return { kind: 'pill', tone: c.status, text: statusLabels[c.status] }
          case 'startedBy': return { kind: 'text', text: c.startedByName }
          case 'participants': return { kind: 'count', count: c.participantCount, names: c.participants.map((p) => p.name).join(', ') }
          case 'created': return { kind: 'time', at: c.createdAt }
          case 'lastMessage': return { kind: 'time', at: c.lastMessageAt }
          case 'deleted': return { kind: 'time', at: c.deletedAt, by: c.deletedByName }
        }
        throw new Error(`no cell for ${String(col.key)}`)
      })
      return {
        id: targets.imListRow(c.id),
        className: c.unread ? 'lc-list-row lc-im-row--unread' : 'lc-list-row',
        select: { value: c.id, label: `Select the conversation with ${c.title} (#${c.id})` },
        cells
      }
    })
    const table: ListTableModel = {
      id: targets.imList(),
      label: def.title,
      refreshUrl: listUrl(base, state),
      tableClass: 'lc-chat-list lc-im-list',
      sized: true,
      select: { name: 'conversation_ids', all: 'Select all conversations in the list' },
      headers: columns,
      rows,
      empty: waiting ? 'Choose an agent to see their conversations.' : state.q !== undefined ? `No conversations in ${def.title} match “${state.q}”. Clear the search to see them all.` : def.empty,
      more: more ? `Showing the ${listPageSize} most recent conversations; search the list to find the others.` : null
    }
    const filters: FiltersModel = {
      action: `${base}/console/im`,
      label: 'Search the list',
      keep: [{ name: 'view', value: s.view }, ...s.agent !== undefined ? [{ name: 'agent', value: s.agent }] : []],
      search: {
        id: 'lc-im-q',
        label: 'Search conversations',
        hint: 'Finds the conversations of this list with a participant\'s name or the words of a message',
        maxLength: 100,
        value: typed,
        clearUrl: typed !== '' ? listUrl(base, { ...s, q: undefined }) : null,
        error: searched.error,
        alert: false
      },
      selects: [],
      carry: [],
      apply: false,
      showAll: null
    }
    return { table, filters, refused: searched.error !== null }
  }

  return {
    fields,
    read,
    bulkForm: (action, error) => ({ ...bulk[action], error }),
    stale: () => ({ id: targets.imListStale(), at: 0 }),
    staleFragment: () => staleFragment({ id: targets.imListStale(), at: clock() })
  }
}
