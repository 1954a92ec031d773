import type { ChatService } from '../chats/service.ts'
import type { Settings } from '../settings.ts'
import { type AgentScope, type Chat, ChatStatus, closedStatuses, mayDelete, queueGroups, sees } from '../chats/types.ts'
import { LC_ERR_LIST_FILTER, LC_ERR_LIST_NOT_FOUND } from '../errors.ts'
import type { HostAdapter } from '../host/adapter.ts'
import type { PreferenceService } from '../preferences/service.ts'
import { envelope, fragment } from '../realtime/fragments.ts'
import type { Client, Hub } from '../realtime/hub.ts'
import { targets } from '../realtime/targets.ts'
import type { RoutingService } from '../routing/service.ts'
import type { SearchService } from '../search/service.ts'
import type { Views } from '../web/views.ts'
import { listColumnKeys, type ListQueryString, type ListSortKey } from './lists-schemas.ts'

/*
 * The chat lists (docs/features.md#chat-lists): one table partial for every list, with
 * the columns an agent chose under View → Visible Fields, sortable headers, idle colours
 * and a checkbox per row for Actions → Transfer selected.
 */

export type ListView = 'my-active' | 'my-completed' | 'queue' | 'transferred' | 'global-active' | 'global-completed' | 'deleted'
export type ColumnKey = typeof listColumnKeys[number]
type ChatQuery = Parameters<ChatService['list']>[0]

interface ViewDef {
  title: string
  /** Global lists are for supervisors and administrators. */
  supervise: boolean
  empty: string
  sort: ListSortKey
  dir: 'asc' | 'desc'
  /** Which chats, before the viewer's filters: by status, and the groups the view covers. */
  select: (scope: AgentScope) => Omit<ChatQuery, 'sort' | 'dir' | 'limit' | 'now'>
  /** What ticked chats can be given besides Transfer selected (Delete; in Deleted Items, Undelete). */
  bulk?: 'delete' | 'undelete'
  /** Transfer selected does not apply (deleted chats). */
  noTransfer?: boolean
}

const closed = [ChatStatus.ended, ChatStatus.abandoned]

export const listViews: Record<ListView, ViewDef> = {
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
  return Object.hasOwn(listViews, name)
}

export function listView (name: string): ListView {
  if (!isListView(name)) throw new LC_ERR_LIST_NOT_FOUND(name.slice(0, 32))
  return name
}

/** A column a list offers under View → Visible Fields, with the width (px) it starts at. */
export interface Column<K extends string> { key: K, label: string, width: number }
/** What an agent chose for each column of a list. */
export type Choice<K extends string> = Record<K, { visible: boolean, width: number }>

/** Columns in their default order, with the widths (px) they start at. */
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
const deletedColumn = { key: 'deleted', label: 'Deleted', width: 240 } as const
export const minWidth = 40
export const maxWidth = 600
export const fieldsKey = 'list.fields'

export type FieldChoice = Choice<ColumnKey>

/** An agent's stored choice of columns, read defensively: anything unexpected falls back to the default. */
export function columnChoice<K extends string> (columns: ReadonlyArray<Column<K>>, stored: unknown): Choice<K> {
  const out = {} as Choice<K>
  const saved = typeof stored === 'object' && stored !== null ? stored as Record<string, unknown> : {}
  for (const c of columns) {
    const v = saved[c.key] as { visible?: unknown, width?: unknown } | undefined
    const width = Number(v?.width)
    out[c.key] = {
      visible: typeof v?.visible === 'boolean' ? v.visible : true,
      width: Number.isInteger(width) && width >= minWidth && width <= maxWidth ? width : c.width
    }
  }
  return out
}

export function fieldChoice (stored: unknown): FieldChoice {
  return columnChoice(listColumns, stored)
}

export const fieldMessages = {
  width: (label: string) => `Width of ${label}: type a whole number of pixels from ${minWidth} to ${maxWidth}`,
  noColumn: 'Show at least one column'
}

/**
 * A Visible Fields form as posted: the choice, and a message a person can act on per column
 * whose width is wrong (`form` when no column is shown). A width left empty is the column's own.
 */
export function postedFields<K extends string> (columns: ReadonlyArray<Column<K>>, body: Record<string, string | undefined>): { choice: Choice<K>, errors: Record<string, string> } {
  const errors: Record<string, string> = {}
  const choice = {} as Choice<K>
  for (const c of columns) {
    const typed = (body[`width_${c.key}`] ?? '').trim()
    const width = typed === '' ? c.width : /^[0-9]{1,4}$/.test(typed) ? Number(typed) : NaN
    if (!(width >= minWidth && width <= maxWidth)) errors[c.key] = fieldMessages.width(c.label)
    choice[c.key] = { visible: body[`show_${c.key}`] === 'on', width }
  }
  if (!Object.values<{ visible: boolean }>(choice).some((c) => c.visible)) errors.form = fieldMessages.noColumn
  return { choice, errors }
}

/** View → Visible Fields: the form, with what the agent chose (or typed, after an error). */
export function fieldsFormModel<K extends string> (base: string, columns: ReadonlyArray<Column<K>>, choice: Choice<K>, typed?: Record<string, string | undefined>, errors: Record<string, string> = {}) {
  return {
    base,
    columns: columns.map((c) => ({
      key: c.key,
      label: c.label,
      visible: typed ? typed[`show_${c.key}`] === 'on' : choice[c.key].visible,
      width: typed ? typed[`width_${c.key}`] ?? '' : String(choice[c.key].width),
      error: errors[c.key] ?? null
    })),
    error: errors.form ?? null,
    open: Object.keys(errors).length > 0,
    minWidth,
    maxWidth
  }
}

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

/** "45s", "3m 20s", "2h 5m": the same as the views' duration helper and public/livechat.js. */
export function formatDuration (ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor(s % 3600 / 60)}m`
}

function queueTime (chat: Chat, now: number): number | null {
  const from = chat.queuedAt ?? chat.createdAt
  const to = chat.assignedAt !== null && chat.assignedAt >= from ? chat.assignedAt : chat.status === ChatStatus.queued ? now : chat.endedAt
  return to === null ? null : Math.max(0, to - from)
}

export interface ListState {
  view: ListView
  department?: number
  group?: number
  agent?: string
  sort: ListSortKey
  dir: 'asc' | 'desc'
  /** The search box (docs/features.md#basic-search): the list shows only the chats matching it. */
  q?: string
  /** What was typed in the search box when it could not be searched for, and why (shown beside it). */
  search?: { typed: string, error: { code: string, message: string } }
}

/** The list's address with its filters and sort: the page, the htmx answer and the refresh all use it. */
export function listUrl (base: string, s: ListState, change: Partial<ListState> = {}): string {
  const next = { ...s, ...change }
  const q = new URLSearchParams()
  if (next.department !== undefined) q.set('department', String(next.department))
  if (next.group !== undefined) q.set('group', String(next.group))
  if (next.agent !== undefined) q.set('agent', next.agent)
  if (next.q !== undefined) q.set('q', next.q)
  q.set('sort', next.sort)
  q.set('dir', next.dir)
  return `${base}/console/lists/${next.view}?${q.toString()}`
}

export type ListViews = ReturnType<typeof createListViews>

const pageSize = 200

/** Data for the list partials, shared by the list page, its htmx answers and its refreshes. */
export function createListViews ({ base, chats, routing, host, preferences, search, views, clock, settings }: {
  base: string
  chats: ChatService
  /** The search box: which chats match what was typed. */
  search: SearchService
  routing: RoutingService
  host: HostAdapter
  preferences: PreferenceService
  views: Views
  clock: () => number
  settings: Pick<Settings, 'idleWarningSeconds' | 'idleHighSeconds'>
}) {
  const { idleWarningSeconds, idleHighSeconds } = settings
  const warnMs = idleWarningSeconds * 1000
  const highMs = Math.max(idleHighSeconds, idleWarningSeconds) * 1000

  async function names (ids: Iterable<string>): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    await Promise.all([...new Set(ids)].map(async (id) => { out.set(id, (await host.getUser(id))?.name ?? 'Unknown agent') }))
    return out
  }

  /** What the viewer may narrow by: departments and groups they belong to (all for administrators), and those groups' agents. */
  async function options (scope: AgentScope) {
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

  /** Reads the query string into a list state, refusing filters outside what the viewer may see. */
  function state (view: ListView, qs: ListQueryString, opts: Awaited<ReturnType<typeof options>>): ListState {
    const def = listViews[view]
    // Only Deleted Items has the Deleted column to sort by; elsewhere that sort is the list's own.
    const sort = qs.sort === 'deleted' && view !== 'deleted' ? def.sort : qs.sort ?? def.sort
    const s: ListState = { view, sort, dir: qs.dir ?? def.dir }
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

  /** The table partial's data: visible columns in order, one row per chat. */
  async function table (scope: AgentScope, s: ListState, opts: Awaited<ReturnType<typeof options>>, canTransfer: boolean) {
    const def = listViews[s.view]
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
    const [found, choice] = await Promise.all([
      elsewhere ? [] : chats.list({ ...select, groups, orAgentId, ungrouped: !narrowed, agentId: s.agent ?? select.agentId, matching: s.q === undefined ? undefined : search.listMatches(s.q), sort: s.sort, dir: s.dir, rank, now, limit: pageSize + 1 }),
      preferences.get(scope.id, fieldsKey)
    ])
    const list = found.slice(0, pageSize)
    const fields = fieldChoice(choice)
    const agentNames = await names(list.map((c) => c.agentId).filter((id): id is string => id !== null))
    const deleted = s.view === 'deleted'
    const deletedBy = deleted ? await chats.deletedBy(list.map((c) => c.id)) : new Map<number, string>()
    const shown: Array<{ key: ListSortKey, label: string, width: number }> = listColumns.filter((c) => fields[c.key].visible).map((c) => ({ ...c, width: fields[c.key].width }))
    // Deleted Items' own column (when, and by whom), whatever the agent chose to see, beside the customer where it is seen without scrolling.
    if (deleted) shown.splice(shown.findIndex((c) => c.key === 'user') + 1, 0, deletedColumn)
    const columns = shown.map((c) => {
      const sorted = s.sort === c.key ? s.dir : null
      const next = sorted === 'asc' ? 'desc' : 'asc'
      return {
        ...c,
        sortUrl: listUrl(base, s, { sort: c.key, dir: next }),
        ariaSort: sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none',
        sorted,
        nextLabel: next === 'asc' ? 'ascending' : 'descending'
      }
    })
    const rows = list.map((chat) => {
      const idle = idleState(chat, now, warnMs, highMs)
      const q = queueTime(chat, now)
      const cells = columns.map((c) => {
        switch (c.key) {
          case 'status': return { key: c.key, level: idle.level, label: idle.label, from: idle.from }
          case 'user': return { key: c.key, name: chat.customerName, email: chat.customerEmail }
          case 'group': return { key: c.key, text: chat.groupId === null ? 'No group' : opts.groupLabels.get(chat.groupId) ?? `Group ${chat.groupId}` }
          case 'started': return { key: c.key, at: chat.createdAt }
          case 'queue': return { key: c.key, text: q === null ? '—' : formatDuration(q) }
          case 'idle': return { key: c.key, text: idle.idleMs === null ? '—' : formatDuration(idle.idleMs), from: idle.from }
          case 'messages': return { key: c.key, text: String(chat.messageCount) }
          case 'agent': return { key: c.key, text: chat.agentId === null ? 'Not assigned' : agentNames.get(chat.agentId) }
          case 'deleted': return { key: c.key, at: chat.deletedAt, by: deletedBy.get(chat.id) ?? null }
        }
        throw new Error(`no cell for ${String(c.key)}`)
      })
      // Only active chats can be transferred; the checkbox is there for every row so Select All means every row shown.
      // A deleted chat opens only in its read-only view from Deleted Items.
      const href = deleted ? `${base}/console/deleted/${chat.id}` : `${base}/console/chats/${chat.id}`
      return { id: chat.id, customerName: chat.customerName, level: idle.level, href, cells }
    })
    return {
      base,
      view: s.view,
      title: def.title,
      url: listUrl(base, s),
      columns,
      colspan: columns.length + 1,
      rows,
      // Ticks serve Transfer selected, and Delete or Undelete selected where the list has one.
      selectable: (canTransfer && def.noTransfer !== true) || def.bulk !== undefined,
      empty: s.q === undefined ? def.empty : `No chats in ${def.title} match “${s.q}”. Clear the search to see them all.`,
      searched: s.q ?? null,
      more: found.length > pageSize,
      pageSize,
      now,
      warnMs,
      highMs
    }
  }

  function fieldsForm (choice: FieldChoice, typed?: Record<string, string | undefined>, errors: Record<string, string> = {}) {
    return fieldsFormModel(base, listColumns, choice, typed, errors)
  }

  /** Actions → Transfer selected: one target for every ticked chat. */
  async function transferForm (values: { groupId?: string, agent?: string, comment?: string } = {}, error: string | null = null, open = false) {
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

  return {
    options,
    state,
    table,
    fieldsForm,
    transferForm,

    async fields (agentId: string): Promise<FieldChoice> {
      return fieldChoice(await preferences.get(agentId, fieldsKey))
    },

    async saveFields (agentId: string, choice: FieldChoice): Promise<void> {
      await preferences.set(agentId, fieldsKey, choice)
    },

    /** The refresh signal: the browser re-reads its list, with its own filters and sort, from the table's address. */
    staleFragment () {
      return fragment(targets.listStale(), 'outerHTML', views.render('console/list-stale', { at: clock() }))
    }
  }
}

/** The socket topic of a console tab showing a list: `list:<view>`. */
export function listTopic (view: ListView): string {
  return `list:${view}`
}

/**
 * Which open lists an event may change, and a refresh signal to just those tabs, at most
 * once a second each: the tab re-reads its own list (filters and sort are the tab's).
 * Filters are not looked at here, so a tab narrowed to another group may refresh for
 * nothing; the read is one indexed query.
 */
export function registerListProjections (hub: Hub, { chats, listViews: lv, throttleMs = 1000 }: { chats: ChatService, listViews: ListViews, throttleMs?: number }): void {
  const last = new WeakMap<Client, number>()
  const due = new WeakSet<Client>()

  function signal (client: Client): void {
    if (due.has(client)) return
    const wait = (last.get(client) ?? 0) + throttleMs - Date.now()
    const go = () => {
      due.delete(client)
      last.set(client, Date.now())
      void hub.send(client, envelope([lv.staleFragment()]))
    }
    if (wait <= 0) { go(); return }
    due.add(client)
    setTimeout(go, wait).unref()
  }

  const viewers = (...names: ListView[]): Array<{ view: ListView, client: Client }> =>
    names.flatMap((view) => hub.clients(listTopic(view)).map((client) => ({ view, client })))

  function works (scope: AgentScope, groupId: number | null | undefined): boolean {
    const groups = queueGroups(scope)
    return groupId === null || groupId === undefined || groups === 'all' || groups.includes(groupId)
  }

  hub.project('queue.changed', async ({ groupId }) => {
    for (const { view, client } of viewers('queue', 'transferred', 'global-active')) {
      if (view === 'global-active' ? sees(client.scope!, groupId ?? null) : works(client.scope!, groupId)) signal(client)
    }
  })

  hub.project('agent.chats', async ({ agentId }) => {
    for (const { client } of viewers('my-active', 'my-completed')) if (client.userId === agentId) signal(client)
  })

  hub.project('chat.updated', async ({ chat }) => {
    for (const { view, client } of viewers('my-active', 'my-completed', 'global-active', 'global-completed')) {
      if (view.startsWith('global-') ? sees(client.scope!, chat.groupId) : chat.agentId === client.userId) signal(client)
    }
  })

  // Deleted or undeleted: it leaves or rejoins Global Completed and the Deleted Items of
  // those who may undelete it (My Completed follows agent.chats, published with it).
  const deletion = async ({ chat }: { chat: Chat }): Promise<void> => {
    for (const { view, client } of viewers('global-completed', 'deleted')) {
      if (view === 'deleted' ? mayDelete(chat, client.scope!) : sees(client.scope!, chat.groupId)) signal(client)
    }
  }
  hub.project('chat.deleted', deletion)
  hub.project('chat.restored', deletion)

  // Message counts: only lists the chat may be on, and the chat is read once for all of them.
  hub.project('chat.message', async ({ chatId }) => {
    const open = viewers('my-active', 'queue', 'transferred', 'global-active')
    if (open.length === 0) return
    const chat = await chats.get(chatId)
    for (const { view, client } of open) {
      const on = view === 'my-active'
        ? chat.agentId === client.userId
        : view === 'global-active'
          ? sees(client.scope!, chat.groupId)
          : chat.status === ChatStatus.queued && works(client.scope!, chat.groupId)
      if (on) signal(client)
    }
  })
}

/**
 * The topics of a console socket opened by a list page (`?list=<view>`): none without one.
 * A name that is not a list, or a global list without livechat.supervise, refuses the socket.
 */
export function listSocketTopics (list: unknown, supervise: boolean): string[] {
  if (list === undefined) return []
  const view = listView(typeof list === 'string' ? list : '?')
  if (listViews[view].supervise && !supervise) throw new LC_ERR_LIST_NOT_FOUND(view)
  return [listTopic(view)]
}
