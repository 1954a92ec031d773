import type { Knex } from 'knex'
import type { ChatService } from '../chats/service.ts'
import { type Actor, type AgentScope, type Chat, sees } from '../chats/types.ts'
import { isUniqueViolation, transact } from '../db/index.ts'
import {
  LC_ERR_ITEM_DUE, LC_ERR_ITEM_MINUTES, LC_ERR_ITEM_NOT_FOUND, LC_ERR_ITEM_NOT_YOURS, LC_ERR_ITEM_NOTE,
  LC_ERR_ITEM_TICKET_LINKED, LC_ERR_ITEM_TICKET_REF, LC_ERR_ITEM_TICKET_UNKNOWN, LC_ERR_ITEM_TITLE
} from '../errors.ts'
import type { HostAdapter } from '../host/adapter.ts'
import * as store from './store.ts'
import type { ChatItem, ItemKind, LcChatItemRow } from './store.ts'

export type { ChatItem, ItemKind } from './store.ts'

export const maxTitleLength = 200
export const maxNoteLength = 2000
/** A day: a longer log belongs to more than one chat. */
export const maxMinutes = 1440

/** What the Add forms send, as typed; the service checks and converts it. */
export interface ItemInput {
  title?: string
  due?: string
  note?: string
  minutes?: string
  direction?: 'in' | 'out'
  ref?: string
}

/**
 * What agents add to a chat from its header's Add menu (docs/features.md#related-items):
 * tasks, time logs, call logs, and links to help desk tickets, existing or made from the
 * chat (plugin/tickets). Each change commits with its History row.
 */
export interface ItemService {
  /** Whether this agent may delete the item: whoever added it, or a supervisor of the chat's group. */
  mayDelete (item: ChatItem, chat: Chat, scope: AgentScope): boolean
  /** Minutes a customer's chats took, from their time logs: in all and over the last `days` (the customer panel's statistics). */
  minutesFor (customer: { userId: string | null, email: string }, days: number[]): Promise<{ all: number, since: number[] }>
  /** The chat and its items, newest first; throws LC_ERR_CHAT_NOT_FOUND unless the agent may see the chat. */
  list (chatId: number, scope: AgentScope): Promise<{ chat: Chat, items: ChatItem[] }>
  /** Tickets made from the chat's transcript (plugin/tickets), oldest first; Abandon cancels these. */
  createdTickets (chatId: number): Promise<ChatItem[]>
  /**
   * Lists a ticket the help desk just made from the chat, with its History row, inside `trx` (the ticket's own
   * transaction when host and plugin share a database, so both commit or neither); returns the item's id.
   */
  linkCreatedTicket (trx: Knex.Transaction, chatId: number, scope: AgentScope, ticket: CreatedTicket): Promise<number>
  /** The help desk's status of a linked ticket now; null when the help desk cannot say. */
  ticketStatus (ref: string): Promise<string | null>
  /**
   * Adds a task, time log, call log or ticket link from what the Add form sent; throws LC_ERR_ITEM_TITLE, _DUE, _NOTE,
   * _MINUTES, _TICKET_REF, _TICKET_UNKNOWN or _TICKET_LINKED for the form to show beside its field.
   */
  add (chatId: number, scope: AgentScope, kind: ItemKind, input: ItemInput): Promise<ChatItem>
  /** Ticks a task done, or not done again; anyone who may see the chat may. */
  setDone (chatId: number, itemId: number, scope: AgentScope, done: boolean): Promise<ChatItem>
  /** Deletes an item; throws LC_ERR_ITEM_NOT_YOURS (naming who added it) unless mayDelete allows it. */
  remove (chatId: number, itemId: number, scope: AgentScope): Promise<ChatItem>
}

export interface ItemServiceDeps {
  db: Knex
  chats: Pick<ChatService, 'chatForAgent' | 'customerChatIds' | 'recordHistory'>
  host: Pick<HostAdapter, 'getTicket'>
  clock?: () => number
}

/** How History names an item, with its article: enough to recognise it. */
export function itemLabel (item: Pick<ChatItem, 'kind' | 'title' | 'minutes' | 'direction' | 'ticketRef'>): string {
  switch (item.kind) {
    case 'task': return `a task “${item.title ?? ''}”`
    case 'time_log': return `a time log of ${item.minutes ?? 0} min`
    case 'call_log': return `${item.direction === 'out' ? 'an outgoing' : 'an incoming'} call log of ${item.minutes ?? 0} min`
    case 'ticket': return `a related ticket ${item.ticketRef ?? ''}`
  }
}

/** A ticket the help desk just made from a chat, as the chat's Related Items lists it. */
export interface CreatedTicket {
  ref: string
  url: string
  summary: string
  kind: string
  /** The template it was filled from, by name, for History. */
  template: string | null
}

/**
 * Whoever may see the chat may add items and tick tasks done; an item is deleted by whoever
 * added it, or by a supervisor of the chat's group.
 */
export function createItemService ({ db, chats, host, clock = Date.now }: ItemServiceDeps): ItemService {
  const actorOf = (scope: AgentScope): Actor => ({ kind: 'agent', id: scope.id, name: scope.name })

  function note (text: string | undefined): string | null {
    const value = (text ?? '').replace(/\r\n/g, '\n').trim()
    const length = [...value].length
    if (length > maxNoteLength) throw new LC_ERR_ITEM_NOTE(length.toLocaleString('en'))
    return value === '' ? null : value
  }

  function minutes (text: string | undefined): number {
    const value = (text ?? '').trim()
    if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > maxMinutes) throw new LC_ERR_ITEM_MINUTES()
    return Number(value)
  }

  function due (text: string | undefined): string | null {
    const value = (text ?? '').trim()
    if (value === '') return null
    // Round-tripping through Date refuses 2026-02-30 as well as anything not a date.
    const day = new Date(`${value}T00:00:00Z`)
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value) throw new LC_ERR_ITEM_DUE()
    return value
  }

  /** Checks what was typed for this kind; for a ticket, asks the help desk whether it exists. */
  async function fields (chatId: number, kind: ItemKind, input: ItemInput): Promise<Pick<LcChatItemRow, 'title' | 'note' | 'minutes' | 'direction' | 'due_on' | 'ticket_ref' | 'ticket_url'>> {
    const empty = { title: null, note: null, minutes: null, direction: null, due_on: null, ticket_ref: null, ticket_url: null }
    switch (kind) {
      case 'task': {
        const title = (input.title ?? '').trim()
        if (title === '' || [...title].length > maxTitleLength) throw new LC_ERR_ITEM_TITLE()
        return { ...empty, title, due_on: due(input.due), note: note(input.note) }
      }
      case 'time_log': return { ...empty, minutes: minutes(input.minutes), note: note(input.note) }
      case 'call_log': return { ...empty, direction: input.direction === 'out' ? 'out' : 'in', minutes: minutes(input.minutes), note: note(input.note) }
      case 'ticket': {
        const ref = (input.ref ?? '').trim()
        if (ref === '') throw new LC_ERR_ITEM_TICKET_REF()
        const ticket = await host.getTicket(ref)
        if (!ticket) throw new LC_ERR_ITEM_TICKET_UNKNOWN(ref)
        if (await store.ticketLinked(db, chatId, ticket.ref)) throw new LC_ERR_ITEM_TICKET_LINKED(ticket.ref)
        return { ...empty, ticket_ref: ticket.ref, ticket_url: ticket.url, title: ticket.summary?.slice(0, 255) ?? null }
      }
    }
  }

  function mayDelete (item: ChatItem, chat: Chat, scope: AgentScope): boolean {
    return item.createdBy === scope.id || (scope.supervise && sees(scope, chat.groupId))
  }

  async function found (chatId: number, itemId: number, scope: AgentScope): Promise<{ chat: Chat, item: ChatItem }> {
    const chat = await chats.chatForAgent(chatId, scope)
    const row = await store.itemRow(db, chat.id, itemId)
    if (!row) throw new LC_ERR_ITEM_NOT_FOUND()
    return { chat, item: store.toItem(row) }
  }

  return {
    mayDelete,

    async minutesFor (customer: { userId: string | null, email: string }, days: number[]): Promise<{ all: number, since: number[] }> {
      const ids = await chats.customerChatIds(customer)
      return await store.minutesLogged(db, ids, days.map((d) => clock() - d * 86_400_000))
    },

    async list (chatId: number, scope: AgentScope): Promise<{ chat: Chat, items: ChatItem[] }> {
      const chat = await chats.chatForAgent(chatId, scope)
      return { chat, items: (await store.itemsOf(db, chat.id)).map(store.toItem) }
    },

    async createdTickets (chatId: number): Promise<ChatItem[]> {
      return (await store.createdTickets(db, chatId)).map(store.toItem)
    },

    // The caller (plugin/tickets) checked who may.
    async linkCreatedTicket (trx: Knex.Transaction, chatId: number, scope: AgentScope, ticket: CreatedTicket): Promise<number> {
      const id = await store.insertItem(trx, {
        chat_id: chatId,
        kind: 'ticket',
        title: ticket.summary.slice(0, 255),
        note: null,
        minutes: null,
        direction: null,
        due_on: null,
        ticket_ref: ticket.ref,
        ticket_url: ticket.url,
        created_by: scope.id,
        created_by_name: scope.name,
        created_at: clock(),
        done_at: null,
        created_from_chat: true
      })
      await chats.recordHistory(chatId, actorOf(scope), 'ticket_created', { itemId: id, ref: ticket.ref, kind: ticket.kind, template: ticket.template }, trx)
      return id
    },

    async ticketStatus (ref: string): Promise<string | null> {
      try {
        return (await host.getTicket(ref))?.status ?? null
      } catch {
        return null
      }
    },

    async add (chatId: number, scope: AgentScope, kind: ItemKind, input: ItemInput): Promise<ChatItem> {
      const chat = await chats.chatForAgent(chatId, scope)
      const values = await fields(chat.id, kind, input)
      let id: number
      try {
        id = await transact(db, async (trx) => {
          const id = await store.insertItem(trx, { chat_id: chat.id, kind, ...values, created_by: scope.id, created_by_name: scope.name, created_at: clock(), done_at: null })
          const label = itemLabel({ kind, title: values.title, minutes: values.minutes, direction: values.direction as ChatItem['direction'], ticketRef: values.ticket_ref })
          await chats.recordHistory(chat.id, actorOf(scope), 'item_added', { itemId: id, kind, label }, trx)
          return id
        })
      } catch (err) {
        // Two agents linking the same ticket at once: the unique index lets one through.
        if (kind === 'ticket' && isUniqueViolation(err)) throw new LC_ERR_ITEM_TICKET_LINKED(values.ticket_ref!)
        throw err
      }
      return store.toItem((await store.itemRow(db, chat.id, id))!)
    },

    async setDone (chatId: number, itemId: number, scope: AgentScope, done: boolean): Promise<ChatItem> {
      const { chat, item } = await found(chatId, itemId, scope)
      if (item.kind !== 'task') throw new LC_ERR_ITEM_NOT_FOUND()
      if ((item.doneAt !== null) === done) return item
      const at = done ? clock() : null
      await transact(db, async (trx) => {
        if (await store.setDone(trx, chat.id, item.id, at) === 0) throw new LC_ERR_ITEM_NOT_FOUND()
        await chats.recordHistory(chat.id, actorOf(scope), done ? 'task_done' : 'task_reopened', { itemId: item.id, title: item.title }, trx)
      })
      return { ...item, doneAt: at }
    },

    async remove (chatId: number, itemId: number, scope: AgentScope): Promise<ChatItem> {
      const { chat, item } = await found(chatId, itemId, scope)
      if (!mayDelete(item, chat, scope)) throw new LC_ERR_ITEM_NOT_YOURS(item.createdByName)
      await transact(db, async (trx) => {
        if (await store.deleteItem(trx, chat.id, item.id) === 0) throw new LC_ERR_ITEM_NOT_FOUND()
        await chats.recordHistory(chat.id, actorOf(scope), 'item_deleted', { itemId: item.id, kind: item.kind, label: itemLabel(item), author: item.createdByName }, trx)
      })
      return item
    }
  }
}
