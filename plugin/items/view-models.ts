import type { AgentScope, Chat } from '../chats/types.ts'
import { type Fragment, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import type { Views } from '../web/views.ts'
import { type ChatItem, type ItemInput, type ItemKind, type ItemService, maxMinutes, maxNoteLength, maxTitleLength } from './service.ts'

export type ItemViews = ReturnType<typeof createItemViews>

/** What the item routes are given (RouteDeps.items): the service and its views. */
export interface ItemsDeps {
  service: ItemService
  views: ItemViews
}

const titles: Record<ItemKind, string> = { task: 'Add a task', time_log: 'Log time', call_log: 'Log a call', ticket: 'Link a related ticket' }
/** A refused form: which field the message belongs beside. */
export interface ItemFormError { field: 'title' | 'due' | 'note' | 'minutes' | 'ref', message: string }

/** Data for views/items/*, shared by the tabs, the Add menu, the forms and their answers. */
export function createItemViews ({ base, items, views, pinned }: { base: string, items: ItemService, views: Views, pinned?: (chat: Chat) => Promise<{ pins: unknown[] }> }) {
  const chatUrl = (chatId: number): string => `${base}/console/chats/${chatId}`

  function form (chatId: number, kind: ItemKind, values: ItemInput = {}, error: ItemFormError | null = null) {
    const field = (name: ItemFormError['field']) => ({ value: values[name] ?? '', error: error?.field === name ? error.message : null })
    return {
      chatId,
      kind,
      title: titles[kind],
      action: `${chatUrl(chatId)}/items/${kind}`,
      isTask: kind === 'task',
      hasMinutes: kind === 'time_log' || kind === 'call_log',
      isCall: kind === 'call_log',
      isTicket: kind === 'ticket',
      outgoing: values.direction === 'out',
      fields: { title: field('title'), due: field('due'), note: field('note'), minutes: field('minutes'), ref: field('ref') },
      limits: { title: maxTitleLength, note: maxNoteLength.toLocaleString('en'), minutes: maxMinutes }
    }
  }

  function row (chat: Chat, scope: AgentScope, item: ChatItem) {
    const url = `${chatUrl(chat.id)}/items/${item.id}`
    return { ...item, canDelete: items.mayDelete(item, chat, scope), deleteUrl: `${url}/delete`, doneUrl: `${url}/done`, done: item.doneAt !== null }
  }

  async function related (chatId: number, scope: AgentScope) {
    const { chat, items: all } = await items.list(chatId, scope)
    const of = (kind: ItemKind) => all.filter((i) => i.kind === kind).map((i) => row(chat, scope, i))
    // Statuses are the help desk's, asked at render time; one failing ticket does not hide the others.
    const tickets = await Promise.all(of('ticket').map(async (t) => ({ ...t, status: await items.ticketStatus(t.ticketRef!) })))
    // Knowledge articles pinned from the Resources panel (plugin/resources) are listed here too.
    const pins = pinned ? await pinned(chat) : null
    return { chatId, tickets, tasks: of('task'), timeLogs: of('time_log'), callLogs: of('call_log'), pins, empty: all.length === 0 && !pins?.pins.length }
  }

  async function timeLogs (chatId: number, scope: AgentScope) {
    const { chat, items: all } = await items.list(chatId, scope)
    const logs = all.filter((i) => i.kind === 'time_log').map((i) => row(chat, scope, i))
    return { chatId, logs, total: logs.reduce((n, l) => n + (l.minutes ?? 0), 0) }
  }

  return {
    form,
    related,
    timeLogs,

    formFragment (chatId: number, kind: ItemKind, values?: ItemInput, error?: ItemFormError | null): Fragment {
      return fragment(targets.chatTools(chatId), 'innerHTML', views.render('items/form', form(chatId, kind, values, error)))
    },

    /** Both tabs as this agent sees them; htmx leaves alone whichever is not open. */
    async tabFragments (chatId: number, scope: AgentScope): Promise<Fragment[]> {
      return [
        fragment(targets.relatedItems(chatId), 'outerHTML', views.render('items/related', await related(chatId, scope))),
        fragment(targets.timeLogs(chatId), 'outerHTML', views.render('items/time-logs', await timeLogs(chatId, scope)))
      ]
    }
  }
}
