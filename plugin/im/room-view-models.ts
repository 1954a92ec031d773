/*
 * Data for views/im/room*.hbs and rooms*.hbs: the Chat Rooms list, the New room form and a
 * room's page (docs/features.md#chat-rooms). A room's Chat Room tab is the conversation of
 * threads (views/im/conversation, messages, composer, no-access), built with
 * plugin/im/view-models.ts's model functions.
 */
import type { Settings } from '../settings.ts'
import { targets } from '../realtime/targets.ts'
import { bind, type Fragment } from '../web/fragments.ts'
import type { FieldError } from '../web/forms.ts'
import { type Cell, type ListTableModel, pageOf } from '../web/lists/table.ts'
import { type FiltersModel, readSearched } from '../web/lists/toolbar.ts'
import type { NewRoomFormState, RoomAccessFormState, RoomRenameFormState } from './room-schemas.ts'
import { type AccessOptions, type ImService, maxRoomName, type RoomAccessRule } from './service.ts'
import type { AgentCard, ConversationSummary, ImViewer, Participant, RoomAccess, RoomAccessKind } from './types.ts'
import {
  type ComposerModel, type ConversationModel, composerModel, conversationFragment, excerpt, messagesModel, noAccessFragment, type NoAccessModel,
  pageOfMessages
} from './view-models.ts'

export type RoomListView = 'active' | 'inactive'

/** Rows the list shows; the search finds the others. */
export const roomPageSize = 200

const kindLabels: Record<RoomAccessKind, string> = { department: 'Department', group: 'Group', role: 'Role' }
const statusLabels = { active: 'Active', inactive: 'Inactive' } as const

export const roomListViews: Record<RoomListView, { title: string, empty: string }> = {
  active: { title: 'Active Chat Rooms', empty: 'No active chat rooms you may join. A room manager adds rooms, and who may join them, with New.' },
  inactive: { title: 'Inactive Chat Rooms', empty: 'No inactive chat rooms. A room made inactive keeps its conversation, and can be made active again.' }
}

export const roomMessages = {
  notAdmitted: 'None of this room\'s permissions admits you, so you can manage it but not read or write in it. Add your department, group or role to its permissions to join it.',
  inactive: 'This room is inactive: its conversation can be read, but nobody can post or join until a room manager makes it active again.'
}

/** `department:3`, `group:5`, `role:supervisor`: how a permission travels in the forms. */
export function accessKey (rule: RoomAccessRule): string {
  return `${rule.kind}:${rule.ref}`
}

export function parseAccessKey (key: string): RoomAccessRule {
  const at = key.indexOf(':')
  return { kind: key.slice(0, at) as RoomAccessKind, ref: key.slice(at + 1) }
}

/** Where the viewer stands in a room: admitted by a permission, joined now, may manage it. */
export interface RoomStanding { admitted: boolean, joined: boolean, manage: boolean }

export function roomStanding (viewer: ImViewer, room: ConversationSummary, admitted: boolean): RoomStanding {
  const mine = room.mine
  return { admitted, joined: mine !== null && mine.joinedAt !== null && mine.leftAt === null, manage: viewer.manageRooms }
}

/**
 * The managers' panel after a refusal: Add Permission or Rename as sent, with the reason
 * beside it, or why a permission's X was refused.
 */
export interface ManageState { add?: RoomAccessFormState, rename?: RoomRenameFormState, remove?: FieldError }

type Choice = { key: string, label: string, selected: boolean }
type ChoiceGroup = { label: string, options: Choice[] }
type Listed = { key: string, kind: RoomAccessKind, kindLabel: string, label: string }

/** views/im/room-form.hbs: the New room form. */
export interface RoomFormModel {
  base: string
  action: string
  draftUrl: string
  name: string
  modal: boolean
  place: 'dialog' | 'page'
  chosen: Listed[]
  groups: ChoiceGroup[]
  errors: NewRoomFormState['errors']
  maxLength: number
}

/** views/im/room-new.hbs: the New room dialog over the list. */
export interface RoomDialogModel { form: RoomFormModel }

/** views/im/room-header.hbs */
export interface RoomHeaderModel {
  base: string
  id: number
  name: string
  status: ConversationSummary['status']
  statusLabel: string
  startedByName: string
  createdAt: number
  participantCount: number
  joined: boolean
  note: string | null
  canJoin: boolean
  canLeave: boolean
  joinUrl: string
  leaveUrl: string
}

/** views/im/room-manage.hbs: the managers' panel. */
export interface RoomManageModel {
  base: string
  id: number
  name: string
  rules: Array<Listed & { id: number, removeUrl: string, last: boolean }>
  groups: ChoiceGroup[]
  addUrl: string
  renameUrl: string
  statusUrl: string
  active: boolean
  errors: { access?: FieldError, remove?: FieldError, name?: FieldError }
  maxLength: number
}

/** views/im/room-participants.hbs: the agents in the room now. */
export interface RoomParticipantsModel { id: number, name: string, participants: Participant[] }

/** views/im/room-access.hbs: With Access. */
export interface RoomAccessTabModel { id: number, name: string, agents: Array<AgentCard & { joined: boolean }>, rules: Listed[] }

export const roomFormFragment = bind('im/room-form', 'outerHTML', (_m: RoomFormModel) => targets.roomForm())
export const roomDialogFragment = bind('im/room-new', 'outerHTML', (_m: RoomDialogModel) => targets.roomModal())
export const roomHeaderFragment = bind('im/room-header', 'outerHTML', (m: RoomHeaderModel) => targets.roomHeader(m.id))
export const roomManageFragment = bind('im/room-manage', 'outerHTML', (m: RoomManageModel) => targets.roomManage(m.id))
export const roomParticipantsFragment = bind('im/room-participants', 'innerHTML', (m: RoomParticipantsModel) => targets.roomTabPanel(m.id))
export const roomAccessTabFragment = bind('im/room-access', 'innerHTML', (m: RoomAccessTabModel) => targets.roomTabPanel(m.id))

/** The Add Permission choices, grouped as the select shows them, with the label each one has. */
function choices (options: AccessOptions) {
  const departments = options.departments.map((d) => ({ key: `department:${d.id}`, label: d.name }))
  // Named as the service names a group rule: "Support L1 (Support)".
  const groups = options.groups.map((g) => ({ key: `group:${g.id}`, label: `${g.name} (${g.departmentName})` }))
  const roles = options.roles.map((r) => ({ key: `role:${r}`, label: r }))
  const labels = new Map<string, string>([...departments, ...groups, ...roles].map((c) => [c.key, c.label]))
  return { departments, groups, roles, labels }
}

/** The select's option groups (Departments, Groups, Roles), without what is already chosen. */
function selectGroups (options: AccessOptions, chosen: Set<string>, selected = ''): ChoiceGroup[] {
  const c = choices(options)
  const mark = (list: Array<{ key: string, label: string }>) => list.filter((o) => !chosen.has(o.key)).map((o) => ({ ...o, selected: o.key === selected }))
  return [
    { label: 'Departments', options: mark(c.departments) },
    { label: 'Groups', options: mark(c.groups) },
    { label: 'Roles', options: mark(c.roles) }
  ].filter((g) => g.options.length > 0)
}

/**
 * A permission as listed, by its kind and name. One that no longer exists (a group
 * removed since the form was opened) keeps its kind and id, so it can be seen and removed.
 */
function listed (key: string, labels: Map<string, string>, stored?: string): Listed {
  const rule = parseAccessKey(key)
  return { key, kind: rule.kind, kindLabel: kindLabels[rule.kind], label: labels.get(key) ?? stored ?? `${rule.ref} (no longer exists)` }
}

/** The list's columns; the last holds Join or Open. */
const roomHeaders = [
  { key: 'name', label: 'Name' },
  { key: 'status', label: 'Status' },
  { key: 'participants', label: 'Participants' },
  { key: 'startedBy', label: 'Created by' },
  { key: 'created', label: 'Date created' },
  { key: 'action', label: 'Join or open', hidden: true }
]
/** Searches the service refuses, shown beside the box with the list unsearched. */
const searchRefusals = new Set(['LC_ERR_SEARCH_TEXT_LONG'])

export interface RoomViewsDeps {
  base: string
  im: Pick<ImService, 'admits' | 'accessOptions' | 'messages' | 'roomAccess' | 'list'>
  settings: Pick<Settings, 'maxMessageLength'>
}

export type RoomViews = ReturnType<typeof createRoomViews>

export function createRoomViews ({ base, im, settings }: RoomViewsDeps) {
  const roomUrl = (id: number): string => `${base}/console/rooms/${id}`
  const listUrl = (view: RoomListView, q?: string): string => {
    const search = new URLSearchParams({ view })
    if (q) search.set('q', q)
    return `${base}/console/rooms?${search.toString()}`
  }

  async function standingOf (viewer: ImViewer, room: ConversationSummary): Promise<RoomStanding> {
    return roomStanding(viewer, room, await im.admits(viewer, room.id))
  }

  /** The New room form: empty, or as sent with the permissions chosen so far and the reasons beside its fields. */
  async function roomForm ({ values, errors }: NewRoomFormState): Promise<RoomFormModel> {
    const options = await im.accessOptions()
    const { labels } = choices(options)
    const chosen = [...new Set(values.access ?? [])]
    const place = values.place === 'dialog' ? 'dialog' : 'page'
    return {
      base,
      action: `${base}/console/rooms`,
      draftUrl: `${base}/console/rooms/new/access`,
      name: values.name ?? '',
      modal: place === 'dialog',
      place,
      chosen: chosen.map((k) => listed(k, labels)),
      groups: selectGroups(options, new Set(chosen)),
      errors,
      maxLength: maxRoomName
    }
  }

  /** The Chat Room tab, or in its place why the viewer may not read it (a room manager no permission admits). */
  async function conversation (viewer: ImViewer, room: ConversationSummary, standing: RoomStanding): Promise<{ model: ConversationModel, noAccess: null } | { model: null, noAccess: NoAccessModel }> {
    if (!standing.admitted) return { model: null, noAccess: { conversationId: room.id, title: room.title, message: roomMessages.notAdmitted } }
    const messages = await im.messages(viewer, room.id, { limit: pageOfMessages })
    return {
      noAccess: null,
      model: {
        conversationId: room.id,
        label: `Chat room ${room.title}`,
        messages: messagesModel(base, room.id, viewer.id, messages),
        composer: roomComposer(room)
      }
    }
  }

  /** Open to anyone admitted while the room is active: posting joins the room. */
  function roomComposer (room: ConversationSummary): ComposerModel {
    return composerModel(base, room.id, { open: room.status === 'active', closedText: roomMessages.inactive, maxLength: settings.maxMessageLength })
  }

  function header (room: ConversationSummary, standing: RoomStanding): RoomHeaderModel {
    const active = room.status === 'active'
    const url = roomUrl(room.id)
    return {
      base,
      id: room.id,
      name: room.title,
      status: room.status,
      statusLabel: statusLabels[room.status],
      startedByName: room.startedByName,
      createdAt: room.createdAt,
      participantCount: room.participantCount,
      joined: standing.joined,
      // Not admitted: the panel in place of the conversation says so; the header need not.
      note: standing.admitted && !active ? roomMessages.inactive : null,
      canJoin: standing.admitted && active && !standing.joined,
      canLeave: standing.joined,
      joinUrl: `${url}/join`,
      leaveUrl: `${url}/leave`
    }
  }

  /** The managers' panel: who may join (each with its X), Add Permission, Rename, Make inactive / active. */
  async function manage (viewer: ImViewer, room: ConversationSummary, state: ManageState = {}): Promise<RoomManageModel> {
    const [options, rules] = await Promise.all([im.accessOptions(), im.roomAccess(viewer, room.id)])
    const { labels } = choices(options)
    const url = roomUrl(room.id)
    return {
      base,
      id: room.id,
      name: state.rename?.values.name ?? room.title,
      rules: rules.map((r) => ({ ...listed(accessKey(r), labels, r.label), id: r.id, removeUrl: `${url}/access/${r.id}/remove`, last: rules.length === 1 })),
      groups: selectGroups(options, new Set(rules.map(accessKey)), state.add?.values.add ?? ''),
      addUrl: `${url}/access`,
      renameUrl: `${url}/rename`,
      statusUrl: `${url}/status`,
      active: room.status === 'active',
      errors: { access: state.add?.errors.add, remove: state.remove, name: state.rename?.errors.name },
      maxLength: maxRoomName
    }
  }

  return {
    roomUrl,
    listUrl,
    roomForm,

    /** Whether a permission key names a department, group or role that exists now (for the New form's Add). */
    async knows (key: string): Promise<boolean> {
      return choices(await im.accessOptions()).labels.has(key)
    },

    /**
     * The list (Active / Inactive, Search, Join), most recent activity first. A
     * search the service refuses leaves the list unsearched, with the reason beside the box.
     */
    async table (viewer: ImViewer, view: RoomListView, q: string): Promise<{ table: ListTableModel, filters: FiltersModel, refused: boolean }> {
      const def = roomListViews[view]
      const searched = await readSearched(q, async (words) => await im.list(viewer, { kind: 'room', view, q: words, limit: roomPageSize + 1 }), searchRefusals)
      const { shown, more } = pageOf(searched.value, roomPageSize)
      // Room managers are listed every room; which of them they may enter is asked per row.
      const rows = await Promise.all(shown.map(async (room) => {
        const standing = viewer.manageRooms ? await standingOf(viewer, room) : roomStanding(viewer, room, true)
        const name = { name: room.title, url: roomUrl(room.id) }
        return {
          id: targets.roomRow(room.id),
          className: room.unread ? 'lc-list-row lc-im-row--unread' : 'lc-list-row',
          cells: [
            {
              kind: 'own',
              partial: 'im/room-cell',
              key: 'name',
              ...name,
              unread: room.unread,
              joined: standing.joined,
              admitted: standing.admitted,
              lastMessageAt: room.lastMessageAt,
              last: standing.admitted && room.lastMessage ? excerpt(`${room.lastMessage.authorName}: ${room.lastMessage.body}`) : null
            },
            { kind: 'pill', tone: room.status, text: statusLabels[room.status] },
            { kind: 'count', count: room.participantCount, names: room.participants.map((p) => p.name).join(', ') },
            { kind: 'text', text: room.startedByName },
            { kind: 'time', at: room.createdAt },
            { kind: 'own', partial: 'im/room-cell', key: 'action', ...name, canJoin: standing.admitted && room.status === 'active' && !standing.joined, joinUrl: `${roomUrl(room.id)}/join` }
          ] satisfies Cell[]
        }
      }))
      const refused = searched.error !== null
      return {
        table: {
          id: targets.rooms(),
          className: 'lc-rooms',
          label: def.title,
          refreshUrl: null,
          tableClass: 'lc-rooms-list',
          sized: false,
          select: null,
          headers: roomHeaders,
          rows,
          empty: q !== '' && !refused ? `No ${view} chat rooms match “${q}”. Clear the search to see them all.` : def.empty,
          more: more ? `Showing the ${roomPageSize} most recently active rooms; search to find the others.` : null
        },
        filters: {
          action: `${base}/console/rooms`,
          label: 'Search chat rooms',
          className: 'lc-rooms-search',
          keep: [{ name: 'view', value: view }],
          search: {
            id: 'lc-rooms-q',
            label: 'Search chat rooms',
            hint: 'Finds the rooms of this list by name, by the name of someone in them, or by the words of a message',
            maxLength: 100,
            value: q,
            clearUrl: q !== '' ? listUrl(view) : null,
            // Announced as it appears; this list names no code beside it.
            error: searched.error && { message: searched.error.message },
            alert: true
          },
          selects: [],
          carry: [],
          apply: false,
          showAll: null
        },
        refused
      }
    },

    /** The left navigation: Active, Inactive, and By Chat Room (the active rooms the agent may enter). */
    async nav (viewer: ImViewer, current: RoomListView | number) {
      const active = await im.list(viewer, { kind: 'room', view: 'active', limit: 50 })
      const rooms = await Promise.all(active.map(async (r) => ({
        url: roomUrl(r.id), name: r.title, current: r.id === current, unread: r.unread, show: !viewer.manageRooms || await im.admits(viewer, r.id)
      })))
      return { base, current, rooms: rooms.filter((r) => r.show) }
    },

    /** The New room dialog over the list, opened by New. */
    async dialog (): Promise<RoomDialogModel> {
      return { form: await roomForm({ values: { place: 'dialog' }, errors: {} }) }
    },

    /** Everything of a room's page but its frame: header, tabs, the Chat Room tab, and for managers their panel. */
    async room (viewer: ImViewer, room: ConversationSummary) {
      const standing = await standingOf(viewer, room)
      const chat = await conversation(viewer, room, standing)
      const url = roomUrl(room.id)
      return {
        base,
        id: room.id,
        name: room.title,
        header: header(room, standing),
        tabs: [
          { key: 'participants', label: 'Participants', url: `${url}/tabs/participants` },
          { key: 'with-access', label: 'With Access', url: `${url}/tabs/access` }
        ],
        conversation: chat.model,
        noAccess: chat.noAccess,
        readUrl: `${base}/console/im/${room.id}/read`,
        manage: standing.manage ? await manage(viewer, room) : null,
        // The socket follows the room from the last message shown, where it may be read at all.
        follow: chat.model ? `${room.id}.${chat.model.messages.messages.at(-1)?.seq ?? 0}` : null
      }
    },

    /** The room's header as this viewer stands in it. */
    async header (viewer: ImViewer, room: ConversationSummary): Promise<RoomHeaderModel> {
      return header(room, await standingOf(viewer, room))
    },

    /** The Chat Room tab again, after a permission changed whether the viewer may read it. */
    async conversationFragment (viewer: ImViewer, room: ConversationSummary): Promise<Fragment> {
      const chat = await conversation(viewer, room, await standingOf(viewer, room))
      return chat.model ? conversationFragment(chat.model) : noAccessFragment(chat.noAccess)
    },

    /** The reply box alone (made inactive or active): a draft in another tab of the page is left alone. */
    composer: roomComposer,

    manage,

    /** Participants: the agents in the room now, those with the console open first. */
    participants (room: ConversationSummary, all: Participant[]): RoomParticipantsModel {
      const here = all.filter((p) => p.joinedAt !== null && p.leftAt === null)
        .sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name))
      return { id: room.id, name: room.title, participants: here }
    },

    /** With Access: every agent the permissions admit now, joined or not, and the permissions themselves. */
    async withAccess (room: ConversationSummary, agents: AgentCard[], rules: RoomAccess[]): Promise<RoomAccessTabModel> {
      const { labels } = choices(await im.accessOptions())
      const joined = new Set(room.participants.map((p) => p.agentId))
      const sorted = [...agents].sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name))
      return {
        id: room.id,
        name: room.title,
        agents: sorted.map((a) => ({ ...a, joined: joined.has(a.agentId) })),
        rules: rules.map((r) => listed(accessKey(r), labels, r.label))
      }
    }
  }
}
