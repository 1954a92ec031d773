import type { AgentScope, Chat } from '../chats/types.ts'
import { targets } from '../realtime/targets.ts'
import { bind, type Fragment } from '../web/fragments.ts'
import type { ItemFormState } from './schemas.ts'
import { type ChatItem, type ItemKind, type ItemService, maxMinutes, maxNoteLength, maxTitleLength } from './service.ts'

const titles: Record<ItemKind, string> = { task: 'Add a task', time_log: 'Log time', call_log: 'Log a call', ticket: 'Link a related ticket' }
/** views/items/form.hbs: the Add form of one kind, in the chat's tools slot: empty, or what was typed and why it was refused. */
export interface ItemFormModel extends ItemFormState {
  chatId: number
  kind: ItemKind
  title: string
  action: string
  isTask: boolean
  hasMinutes: boolean
  isCall: boolean
  isTicket: boolean
  outgoing: boolean
  limits: { title: number, note: string, minutes: number }
}

/** An item as the tabs list it (views/items/delete.hbs reads canDelete and deleteUrl). */
export type ItemRow = ChatItem & { canDelete: boolean, deleteUrl: string, doneUrl: string, done: boolean }

/** views/items/related.hbs: the Related Items tab, with the articles pinned from Resources. */
export interface RelatedItemsModel {
  chatId: number
  tickets: Array<ItemRow & { status: string | null }>
  tasks: ItemRow[]
  timeLogs: ItemRow[]
  callLogs: ItemRow[]
  /** views/resources/pinned-items.hbs's model, from plugin/resources; null where nothing is pinned from there. */
  pins: { pins: unknown[] } | null
  empty: boolean
}

/** views/items/time-logs.hbs: the Time Logs tab. */
export interface TimeLogsModel {
  chatId: number
  logs: ItemRow[]
  total: number
}

export const itemFormFragment = bind('items/form', 'innerHTML', (m: ItemFormModel) => targets.chatTools(m.chatId))
export const relatedTabFragment = bind('items/related', 'innerHTML', (m: RelatedItemsModel) => targets.tabPanel(m.chatId))
export const relatedItemsFragment = bind('items/related', 'outerHTML', (m: RelatedItemsModel) => targets.relatedItems(m.chatId))
export const timeLogsTabFragment = bind('items/time-logs', 'innerHTML', (m: TimeLogsModel) => targets.tabPanel(m.chatId))
export const timeLogsFragment = bind('items/time-logs', 'outerHTML', (m: TimeLogsModel) => targets.timeLogs(m.chatId))

export interface ItemViewsDeps {
  base: string
  items: Pick<ItemService, 'list' | 'mayDelete' | 'ticketStatus'>
  /** The articles pinned to the chat (plugin/resources), listed in Related Items; that capability sits beside this one. */
  pinned?: (chat: Chat) => Promise<{ pins: unknown[] }>
}

export type ItemViews = ReturnType<typeof createItemViews>

/** The models of views/items/*, shared by the tabs, the Add forms and their answers. */
export function createItemViews ({ base, items, pinned }: ItemViewsDeps) {
  const chatUrl = (chatId: number): string => `${base}/console/chats/${chatId}`

  function form (chatId: number, kind: ItemKind, state: ItemFormState = { values: {}, errors: {} }): ItemFormModel {
    return {
      chatId,
      kind,
      title: titles[kind],
      action: `${chatUrl(chatId)}/items/${kind}`,
      isTask: kind === 'task',
      hasMinutes: kind === 'time_log' || kind === 'call_log',
      isCall: kind === 'call_log',
      isTicket: kind === 'ticket',
      outgoing: state.values.direction === 'out',
      ...state,
      limits: { title: maxTitleLength, note: maxNoteLength.toLocaleString('en'), minutes: maxMinutes }
    }
  }

  function row (chat: Chat, scope: AgentScope, item: ChatItem): ItemRow {
    const url = `${chatUrl(chat.id)}/items/${item.id}`
    return { ...item, canDelete: items.mayDelete(item, chat, scope), deleteUrl: `${url}/delete`, doneUrl: `${url}/done`, done: item.doneAt !== null }
  }

  async function related (chatId: number, scope: AgentScope): Promise<RelatedItemsModel> {
    const { chat, items: all } = await items.list(chatId, scope)
    const of = (kind: ItemKind): ItemRow[] => all.filter((i) => i.kind === kind).map((i) => row(chat, scope, i))
    // Statuses are the help desk's, asked at render time; one failing ticket does not hide the others.
    const tickets = await Promise.all(of('ticket').map(async (t) => ({ ...t, status: await items.ticketStatus(t.ticketRef!) })))
    const pins = pinned ? await pinned(chat) : null
    return { chatId, tickets, tasks: of('task'), timeLogs: of('time_log'), callLogs: of('call_log'), pins, empty: all.length === 0 && !pins?.pins.length }
  }

  async function timeLogs (chatId: number, scope: AgentScope): Promise<TimeLogsModel> {
    const { chat, items: all } = await items.list(chatId, scope)
    const logs = all.filter((i) => i.kind === 'time_log').map((i) => row(chat, scope, i))
    return { chatId, logs, total: logs.reduce((n, l) => n + (l.minutes ?? 0), 0) }
  }

  return {
    /** The Related Items tab as this agent sees it (what they may delete differs). */
    async relatedTab (chatId: number, scope: AgentScope): Promise<Fragment> {
      return relatedTabFragment(await related(chatId, scope))
    },

    /** The Time Logs tab as this agent sees it. */
    async timeLogsTab (chatId: number, scope: AgentScope): Promise<Fragment> {
      return timeLogsTabFragment(await timeLogs(chatId, scope))
    },

    /** The Add form of one kind: empty, or what was typed with why it was refused. */
    form (chatId: number, kind: ItemKind, state?: ItemFormState): Fragment {
      return itemFormFragment(form(chatId, kind, state))
    },

    /** Both tabs in place, as this agent sees them; htmx leaves alone whichever is not open. */
    async tabs (chatId: number, scope: AgentScope): Promise<Fragment[]> {
      return [relatedItemsFragment(await related(chatId, scope)), timeLogsFragment(await timeLogs(chatId, scope))]
    }
  }
}
