import type { ChatService } from '../chats/service.ts'
import { type AgentScope, type Chat, ChatStatus, sees } from '../chats/types.ts'
import { LC_ERR_LIST_FILTER } from '../errors.ts'
import type { HostAdapter } from '../host/adapter.ts'
import { targets } from '../realtime/targets.ts'
import type { RoutingService } from '../routing/service.ts'
import type { SearchService } from '../search/service.ts'
import type { Settings } from '../settings.ts'
import { bind, type Fragment } from '../web/fragments.ts'
import { type Choice, type ChoiceStore, columnChoice, type Column, shownColumns, type VisibleFields, visibleFields } from '../web/lists/columns.ts'
import { staleFragment, type StaleModel } from '../web/lists/refresh.ts'
import { sortHeaders, sortOf } from '../web/lists/sort.ts'
import { type Cell, listAddress, type ListTableModel, pageOf } from '../web/lists/table.ts'
import type { BulkFormModel, FilterSelect, FiltersModel } from '../web/lists/toolbar.ts'
import { chatLists, type ColumnKey, deletedColumn, fieldsKey, listColumns, type ListState, listUrl, type ListView } from './lists.ts'
import type { ListQueryString, ListSortKey } from './lists-schemas.ts'

/*
 * The chat lists drawn with the list kit (plugin/web/lists/): the table of a list for one
 * viewer, its filters and search box, View → Visible Fields, and the console's own toolbar
 * parts (Actions → Transfer selected, Delete and Undelete selected, their outcomes).
 */

export type IdleLevel = 'grey' | 'green' | 'yellow' | 'red'

/**
 * The status icon's colour (docs/features.md#idle-colours): grey without an
 * idle issue (waiting, nobody holds it yet), green active with normal idle, yellow idle
 * warning, red closed or high idle. Idle runs from the agent's last message (or from
 * assignment until they write); a customer message or a transfer does not reset it.
 */
export function idleState (chat: Chat, now: number, warnMs: number, highMs: number): { level: IdleLevel, label: string, from: number | null, idleMs: number | null } {
  if (chat.status !== ChatStatus.active && chat.status !== ChatStatus.queued) return { level: 'red', label: 'Closed', from: null, idleMs: null }
  const from = chat.status === ChatStatus.active ? chat.lastAgentMessageAt ?? chat.assignedAt : null
  if (from === null) return { level: 'grey', label: chat.transferredAt ? 'Transferred, waiting' : 'Waiting in the queue', from: null, idleMs: null }
  const idleMs = Math.max(0, now - from)
  if (idleMs >= highMs) return { level: 'red', label: 'High idle', from, idleMs }
  if (idleMs >= warnMs) return { level: 'yellow', label: 'Idle warning', from, idleMs }
  return { level: 'green', label: 'Active', from, idleMs }
}

/** "45s", "3m 20s", "2h 5m": the same as the views' duration helper and public/js/console.js. */
export function formatDuration (ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor(s % 3600 / 60)}m`
}

/**
 * The customer's wait (docs/features.md#chat-lists): from the start, when they first
 * queued, until the agent who has the chat got it; while it waits, first or again after a
 * transfer, until now. A transfer does not start it again: it is the customer's wait, not
 * the queue's (reports' Wait time, docs/reports.md, stops at the first assignment).
 */
export function queueTime (chat: Pick<Chat, 'status' | 'createdAt' | 'assignedAt' | 'endedAt'>, now: number): number | null {
  const to = chat.status === ChatStatus.queued ? now : chat.assignedAt ?? chat.endedAt
  return to === null ? null : Math.max(0, to - chat.createdAt)
}

export type SinceLevel = 'calm' | 'amber' | 'red'

/**
 * A running duration public/js/console.js moves on (lcTickSince, keyed on data-since): the
 * time since `from`, and its colour against the idle thresholds (idleWarningSeconds,
 * idleHighSeconds) as it stood when rendered, so the page is right before any script runs.
 */
export interface SinceSignal { since: number, now: number, text: string, level: SinceLevel, warn: number | null, high: number | null }

/** Without thresholds, a plain running duration that never changes colour. */
export function sinceSignal (from: number, now: number, warnMs: number | null = null, highMs: number | null = null): SinceSignal {
  const ms = Math.max(0, now - from)
  const level = highMs !== null && ms >= highMs ? 'red' : warnMs !== null && ms >= warnMs ? 'amber' : 'calm'
  return { since: from, now, text: formatDuration(ms), level, warn: warnMs, high: highMs }
}

export type FieldChoice = Choice<ColumnKey>

/** An agent's stored Visible Fields, read defensively: anything unexpected falls back to the default. */
export function fieldChoice (stored: unknown): FieldChoice {
  return columnChoice(listColumns, stored)
}

/** views/console/list-transfer.hbs: Actions → Transfer selected, one target for every ticked chat. */
export interface TransferFormModel {
  base: string
  departments: Array<{ name: string, groups: Array<{ id: number, name: string, selected: boolean }> }>
  agents: Array<{ id: string, name: string, selected: boolean }>
  auto: boolean
  comment: string
  error: string | null
  open: boolean
}

/** views/console/transfer-results.hbs: what Transfer selected did, chat by chat. */
export interface TransferResultsModel {
  results: Array<{ id: number, name: string | null, ok: boolean, reason?: string }>
  moved: number
  failed: number
}

/** views/console/list-delete-confirm.hbs: Delete selected asks first, naming the chats that will go and those that cannot. */
export interface DeleteConfirmModel {
  base: string
  count: number
  ready: Array<{ id: number, name: string | null }>
  refused: Array<{ id: number, name: string | null, reason?: string }>
  purgeAfterDays: number
}

export const transferFormFragment = bind('console/list-transfer', 'outerHTML', (_m: TransferFormModel) => targets.listTransfer())
export const transferResultsFragment = bind('console/transfer-results', 'innerHTML', (_m: TransferResultsModel) => targets.listResults())
export const deleteConfirmFragment = bind('console/list-delete-confirm', 'innerHTML', (_m: DeleteConfirmModel) => targets.listResults())

/** A chat as a list's outcome names it: "Chat #42 (Ann Active)", or by its number alone when it could not be read. */
export function chatLabel (id: number, name: string | null): string {
  return name ? `Chat #${id} (${name})` : `Chat #${id}`
}

/** What the viewer may narrow a list by (departments, groups, their agents), with every group's label. */
export interface ListOptions {
  departments: Array<{ id: number, name: string }>
  groups: Array<{ id: number, departmentId: number, label: string }>
  agents: Array<{ id: string, name: string }>
  groupLabels: Map<number, string>
}

export interface ListViewsDeps {
  base: string
  chats: Pick<ChatService, 'list' | 'deletedBy'>
  /** The search box: which chats match what was typed. */
  search: Pick<SearchService, 'listSearchProblem' | 'listMatches'>
  routing: Pick<RoutingService, 'groups' | 'members'>
  host: Pick<HostAdapter, 'getUser'>
  /** Where each agent's Visible Fields are kept (the preferences service). */
  preferences: ChoiceStore
  clock: () => number
  settings: Pick<Settings, 'idleWarningSeconds' | 'idleHighSeconds'>
}

export interface ListViews {
  /** What the viewer may narrow by: departments and groups they belong to (all for administrators), and those groups' agents. */
  options: (scope: AgentScope) => Promise<ListOptions>
  /** Reads the query string into a list state, refusing filters outside what the viewer may see (LC_ERR_LIST_FILTER). */
  state: (view: ListView, qs: ListQueryString, options: ListOptions) => ListState
  /** The table: the columns the viewer chose, one row per chat in the list's order, a tick per row where the list has actions. */
  table: (scope: AgentScope, s: ListState, options: ListOptions, canTransfer: boolean) => Promise<ListTableModel>
  /** The filters and search box above the table; the agent filter where the list holds others' chats. */
  filters: (scope: AgentScope, s: ListState, options: ListOptions) => FiltersModel
  /** View → Visible Fields: one choice for every list. */
  fields: VisibleFields<ColumnKey>
  /** Actions → Transfer selected: the targets to choose from, and what was chosen or typed. */
  transferForm: (values?: { groupId?: string, agent?: string, comment?: string }, error?: string | null, open?: boolean) => Promise<TransferFormModel>
  /** Delete selected or Undelete selected, with why nothing was sent. */
  bulkForm: (kind: 'delete' | 'undelete', error?: string) => BulkFormModel
  /** The refresh signal as the page starts with it. */
  stale: () => StaleModel
  /** The refresh signal: the browser re-reads its list, with its own filters and sort, from the table's address. */
  staleFragment: () => Fragment
}

const pageSize = 200

/** Data for the list partials, shared by the list page, its htmx answers and its refreshes. */
export function createListViews ({ base, chats, routing, host, preferences, search, clock, settings }: ListViewsDeps): ListViews {
  // Read at each rendering: the settings screen may change the thresholds while the plugin runs.
  const warnMs = (): number => settings.idleWarningSeconds * 1000
  const highMs = (): number => Math.max(settings.idleHighSeconds, settings.idleWarningSeconds) * 1000

  const fields = visibleFields({
    columns: listColumns,
    key: fieldsKey,
    store: preferences,
    place: { id: targets.listFields(), action: `${base}/console/lists/fields`, hint: 'Choose the columns every list shows, and their widths in pixels', fieldId: 'lc-field', errorId: 'lc-list-fields-error' }
  })

  async function names (ids: Iterable<string>): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    await Promise.all([...new Set(ids)].map(async (id) => { out.set(id, (await host.getUser(id))?.name ?? 'Unknown agent') }))
    return out
  }

  async function options (scope: AgentScope): Promise<ListOptions> {
    const [groups, members] = await Promise.all([routing.groups(), routing.members()])
    const visible = groups.filter((g) => sees(scope, g.id))
    const ids = new Set(visible.map((g) => g.id))
    const agentIds = [...new Set(members.filter((m) => ids.has(m.groupId)).map((m) => m.agentId))]
    const agentNames = await names(agentIds)
    const agents = agentIds.map((id) => ({ id, name: agentNames.get(id)! })).sort((a, b) => a.name.localeCompare(b.name))
    const departments = [...new Map(visible.map((g) => [g.departmentId, { id: g.departmentId, name: g.departmentName }])).values()]
    const labelled = visible.map((g) => ({ id: g.id, departmentId: g.departmentId, label: `${g.departmentName} / ${g.name}` })).sort((a, b) => a.label.localeCompare(b.label))
    return { departments, groups: labelled, agents, groupLabels: new Map(groups.map((g) => [g.id, `${g.departmentName} / ${g.name}`])) }
  }

  function state (view: ListView, qs: ListQueryString, opts: ListOptions): ListState {
    const def = chatLists[view]
    // Only Deleted Items has the Deleted column to sort by; elsewhere that sort is the list's own.
    const sort = sortOf<ListSortKey>(qs, { key: def.sort, dir: def.dir }, (key) => key !== 'deleted' || view === 'deleted')
    const s: ListState = { view, sort: sort.key, dir: sort.dir }
    if (qs.department) {
      const id = Number(qs.department)
      if (!opts.departments.some((d) => d.id === id)) throw new LC_ERR_LIST_FILTER(`department ${id}`)
      s.department = id
    }
    if (qs.group) {
      const id = Number(qs.group)
      if (!opts.groups.some((g) => g.id === id)) throw new LC_ERR_LIST_FILTER(`group ${id}`)
      s.group = id
    }
    if (qs.agent) {
      if (!opts.agents.some((a) => a.id === qs.agent)) throw new LC_ERR_LIST_FILTER(`agent ${qs.agent}`)
      s.agent = qs.agent
    }
    const typed = qs.q?.trim() ?? ''
    if (typed !== '') {
      const problem = search.listSearchProblem(typed)
      if (problem) s.search = { typed: qs.q!, error: { code: problem.code, message: problem.message } }
      else s.q = typed
    }
    return s
  }

  async function table (scope: AgentScope, s: ListState, opts: ListOptions, canTransfer: boolean): Promise<ListTableModel> {
    const def = chatLists[s.view]
    const select = def.select(scope)
    let groups = select.groups
    const narrow = (ids: number[]) => { groups = groups === 'all' ? ids : groups.filter((g) => ids.includes(g)) }
    if (s.department !== undefined) narrow(opts.groups.filter((g) => g.departmentId === s.department).map((g) => g.id))
    if (s.group !== undefined) narrow([s.group])
    const narrowed = s.department !== undefined || s.group !== undefined
    const rank = s.sort === 'group' ? opts.groups.map((g) => g.id) : s.sort === 'agent' ? opts.agents.map((a) => a.id) : undefined
    const now = clock()
    // Narrowed to a department or group, one's own chats of other groups are not wanted either.
    const orAgentId = narrowed ? undefined : select.orAgentId
    // One's own list (My Active, My Completed, an agent's Deleted Items) narrowed to someone
    // else matches nothing: the filter never widens a list to another agent's chats.
    const elsewhere = select.agentId !== undefined && s.agent !== undefined && s.agent !== select.agentId
    const matching = elsewhere || s.q === undefined ? undefined : (await search.listMatches(s.q)).matching
    const [found, choice] = await Promise.all([
      elsewhere ? [] : chats.list({ ...select, groups, orAgentId, ungrouped: !narrowed, agentId: s.agent ?? select.agentId, matching, sort: s.sort, dir: s.dir, rank, now, limit: pageSize + 1 }),
      fields.read(scope.id)
    ])
    const { shown: list, more } = pageOf(found, pageSize)
    const agentNames = await names(list.map((c) => c.agentId).filter((id): id is string => id !== null))
    const deleted = s.view === 'deleted'
    const deletedBy = deleted ? await chats.deletedBy(list.map((c) => c.id)) : new Map<number, string>()
    const shown: Array<Column<ListSortKey>> = shownColumns(listColumns, choice)
    // Deleted Items' own column (when, and by whom), whatever the agent chose to see, beside the customer where it is seen without scrolling.
    if (deleted) shown.splice(shown.findIndex((c) => c.key === 'user') + 1, 0, deletedColumn)
    const headers = sortHeaders(shown, { key: s.sort, dir: s.dir }, (next) => listUrl(base, s, { sort: next.key, dir: next.dir }))
    // Ticks serve Transfer selected, and Delete or Undelete selected where the list has one.
    const selectable = (canTransfer && def.noTransfer !== true) || def.bulk !== undefined
    const rows = list.map((chat) => {
      const idle = idleState(chat, now, warnMs(), highMs())
      const q = queueTime(chat, now)
      // A deleted chat opens only in its read-only view from Deleted Items.
      const href = deleted ? `${base}/console/deleted/${chat.id}` : `${base}/console/chats/${chat.id}`
      const own = 'console/list-cell'
      const cells = shown.map((c): Cell => {
        switch (c.key) {
          case 'status': return { kind: 'own', partial: own, key: c.key, level: idle.level, label: idle.label, from: idle.from }
          case 'user': return { kind: 'own', partial: own, key: c.key, name: chat.customerName, email: chat.customerEmail, href }
          case 'group': return { kind: 'text', text: chat.groupId === null ? 'No group' : opts.groupLabels.get(chat.groupId) ?? `Group ${chat.groupId}` }
          case 'started': return { kind: 'time', at: chat.createdAt }
          // A waiting chat's queue time keeps running in the page between refreshes.
          case 'queue': return { kind: 'own', partial: own, key: c.key, text: q === null ? '—' : formatDuration(q), since: chat.status === ChatStatus.queued ? chat.createdAt : null, now }
          case 'idle': return { kind: 'own', partial: own, key: c.key, text: idle.idleMs === null ? '—' : formatDuration(idle.idleMs), from: idle.from }
          case 'messages': return { kind: 'number', text: String(chat.messageCount) }
          case 'agent': return { kind: 'text', text: chat.agentId === null ? 'Not assigned' : agentNames.get(chat.agentId) ?? '' }
          case 'deleted': return { kind: 'time', at: chat.deletedAt ?? null, by: deletedBy.get(chat.id) ?? null }
        }
        throw new Error(`no cell for ${String(c.key)}`)
      })
      // Only active chats can be transferred; the tick is there for every row so Select all means every row shown.
      return {
        id: targets.listRow(chat.id),
        className: `lc-list-row lc-list-row--${idle.level}`,
        select: selectable ? { value: chat.id, label: `Select the chat with ${chat.customerName} (#${chat.id})` } : undefined,
        cells
      }
    })
    return {
      id: targets.list(),
      label: def.title,
      refreshUrl: listUrl(base, s),
      // The browser moves the idle colours on between refreshes, against the server's clock.
      dataset: [{ key: 'now', value: now }, { key: 'warn', value: warnMs() }, { key: 'high', value: highMs() }],
      tableClass: 'lc-chat-list',
      sized: true,
      // The ticks belong to Transfer selected's form; Delete and Undelete selected include them too.
      select: selectable ? { name: 'chat_ids', form: targets.listTransferForm(), all: 'Select all chats in the list' } : null,
      headers,
      rows,
      empty: s.q === undefined ? def.empty : `No chats in ${def.title} match “${s.q}”. Clear the search to see them all.`,
      more: more ? `Showing the first ${pageSize} chats; narrow the list by department, group or agent to see the others.` : null
    }
  }

  function filters (scope: AgentScope, s: ListState, opts: ListOptions): FiltersModel {
    const action = `${base}/console/lists/${s.view}`
    // Deleted Items of a supervisor with livechat.delete holds others' chats: narrowing by agent helps there too.
    const byAgent = s.view.startsWith('global-') || (s.view === 'deleted' && scope.supervise && scope.delete === true)
    const narrowed = s.department !== undefined || s.group !== undefined || s.agent !== undefined
    const selects: FilterSelect[] = [
      { id: 'lc-list-department', name: 'department', label: 'Department', all: 'All departments', options: opts.departments.map((d) => ({ value: d.id, text: d.name, selected: d.id === s.department })) },
      { id: 'lc-list-group', name: 'group', label: 'Group', all: 'All groups', options: opts.groups.map((g) => ({ value: g.id, text: g.label, selected: g.id === s.group })) }
    ]
    if (byAgent) selects.push({ id: 'lc-list-agent', name: 'agent', label: 'Agent', all: 'All agents', options: opts.agents.map((a) => ({ value: a.id, text: a.name, selected: a.id === s.agent })) })
    return {
      action,
      label: 'Narrow the list',
      keep: [],
      search: {
        id: 'lc-list-q',
        label: 'Search this list',
        hint: 'Finds the chats of this list with every word in a message, a comment, the customer\'s details or a custom field, or with that chat number',
        maxLength: 500,
        value: s.search?.typed ?? s.q ?? '',
        clearUrl: s.q !== undefined || s.search !== undefined ? listUrl(base, { ...s, q: undefined }) : null,
        error: s.search?.error ?? null,
        alert: false
      },
      selects,
      carry: [{ name: 'sort', value: s.sort }, { name: 'dir', value: s.dir }],
      apply: true,
      showAll: narrowed ? listAddress(action, { sort: s.sort, dir: s.dir }) : null
    }
  }

  async function transferForm (values: { groupId?: string, agent?: string, comment?: string } = {}, error: string | null = null, open = false): Promise<TransferFormModel> {
    const [groups, members] = await Promise.all([routing.groups(), routing.members()])
    const enabled = groups.filter((g) => g.enabled)
    const departments = [...new Set(enabled.map((g) => g.departmentName))].map((name) => ({
      name,
      groups: enabled.filter((g) => g.departmentName === name).map((g) => ({ id: g.id, name: g.name, selected: String(g.id) === values.groupId }))
    }))
    const agentIds = [...new Set(members.filter((m) => m.active).map((m) => m.agentId))]
    const agentNames = await names(agentIds)
    const agents = agentIds.map((id) => ({ id, name: agentNames.get(id)!, selected: values.agent === id })).sort((a, b) => a.name.localeCompare(b.name))
    return { base, departments, agents, auto: values.agent === 'auto', comment: values.comment ?? '', error, open }
  }

  function bulkForm (kind: 'delete' | 'undelete', error?: string): BulkFormModel {
    return kind === 'delete'
      ? { id: targets.listDelete(), action: `${base}/console/lists/delete`, label: 'Delete selected', tone: 'danger', errorId: 'lc-list-delete-error', error }
      : { id: targets.listUndelete(), action: `${base}/console/lists/undelete`, label: 'Undelete selected', tone: 'primary', errorId: 'lc-list-undelete-error', error }
  }

  return {
    options,
    state,
    table,
    filters,
    fields,
    transferForm,
    bulkForm,
    stale: () => ({ id: targets.listStale(), at: 0 }),
    staleFragment: () => staleFragment({ id: targets.listStale(), at: clock() })
  }
}
