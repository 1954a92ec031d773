import type { Knex } from 'knex'
import type { ChatService } from '../chats/service.ts'
import { type AgentScope, type Chat, ChatStatus, type Message, sees } from '../chats/types.ts'
import { isUniqueViolation, transact } from '../db/index.ts'
import { LC_ERR_CHAT_NOT_FOUND, LC_ERR_EVENT_CHAT_NOT_ACTIVE, LC_ERR_EVENT_NAME_TAKEN, LC_ERR_EVENT_NOT_FOUND } from '../errors.ts'
import { shortCache } from '../cache.ts'
import * as store from './store.ts'
import type { ManualEvent } from './store.ts'

export type { ManualEvent } from './store.ts'

export interface EventInput { name: string, body: string, agentsOnly: boolean }

export interface ManualEventServiceDeps {
  db: Knex
  chats: ChatService
  clock?: () => number
}

export type ManualEventService = ReturnType<typeof createManualEventService>

/**
 * Manual events (docs/features.md#manual-events): the administrator's list of ready-made
 * lines an agent writes into a chat with one click, seen by both sides or by agents only.
 */
export function createManualEventService ({ db, chats, clock = Date.now }: ManualEventServiceDeps) {
  const menu = shortCache(async () => (await store.events(db)).map(store.toEvent), 0, clock)
  async function list (): Promise<ManualEvent[]> {
    return await menu.get()
  }

  async function get (id: number): Promise<ManualEvent> {
    const row = await store.event(db, id)
    if (!row) throw new LC_ERR_EVENT_NOT_FOUND(String(id))
    return store.toEvent(row)
  }

  /** Names are unique ignoring case, so both databases refuse the same names. */
  async function nameFree (name: string, exceptId?: number): Promise<void> {
    if ((await list()).some((e) => e.id !== exceptId && e.name.toLocaleLowerCase() === name.toLocaleLowerCase())) throw new LC_ERR_EVENT_NAME_TAKEN(name)
  }

  async function guarded<T> (name: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write()
    } catch (err) {
      if (isUniqueViolation(err)) throw new LC_ERR_EVENT_NAME_TAKEN(name)
      throw err
    }
  }

  const columns = (input: EventInput): store.EventColumns => ({ name: input.name, body: input.body, agents_only: input.agentsOnly })

  /** Who may perform events on a chat: its agent, and supervisors watching its group. */
  function mayPerform (chat: Chat, scope: AgentScope): boolean {
    return chat.agentId === scope.id || (scope.supervise && sees(scope, chat.groupId))
  }

  return {
    list,
    get,
    mayPerform,

    async create (input: EventInput): Promise<ManualEvent> {
      await nameFree(input.name)
      const id = await guarded(input.name, async () => await store.insertEvent(db, { ...columns(input), created_at: clock() }))
      menu.clear()
      return await get(id)
    },

    async update (id: number, input: EventInput): Promise<ManualEvent> {
      await get(id)
      await nameFree(input.name, id)
      await guarded(input.name, async () => await store.updateEvent(db, id, columns(input)))
      menu.clear()
      return await get(id)
    },

    /** Deletes an event; what it already wrote into chats stays there. */
    async remove (id: number): Promise<ManualEvent> {
      const event = await get(id)
      if (await store.deleteEvent(db, id) === 0) throw new LC_ERR_EVENT_NOT_FOUND(String(id))
      menu.clear()
      return event
    },

    /** Moves an event one place up or down the menu (nothing at either end). */
    async move (id: number, direction: 'up' | 'down'): Promise<ManualEvent> {
      const event = await get(id)
      await transact(db, async (trx) => {
        const all = (await store.events(trx)).map(store.toEvent)
        const at = all.findIndex((e) => e.id === id)
        const other = all[direction === 'up' ? at - 1 : at + 1]
        if (at < 0 || !other) return
        const order = all.map((e) => e.id)
        order.splice(at, 1)
        order.splice(all.indexOf(other), 0, id)
        for (const [i, eid] of order.entries()) await store.updateEvent(trx, eid, { sort_order: i + 1 })
      })
      menu.clear()
      return event
    },

    /**
     * Performs an event on an active chat the agent has or supervises: its text goes into
     * the chat through the chat service (the next seq, so both sides get it once and in
     * order), as an event both sides see or an agents-only note, with a History row.
     */
    async perform (chatId: number, eventId: number, scope: AgentScope): Promise<{ chat: Chat, event: ManualEvent, message: Message }> {
      const chat = await chats.chatForAgent(chatId, scope)
      const event = await get(eventId)
      if (chat.status !== ChatStatus.active) throw new LC_ERR_EVENT_CHAT_NOT_ACTIVE(chat.status)
      if (!mayPerform(chat, scope)) throw new LC_ERR_CHAT_NOT_FOUND(String(chat.id))
      const message = await chats.postManualEvent(chat.id, { kind: 'agent', id: scope.id, name: scope.name }, event.body, event.agentsOnly,
        { action: 'manual_event', data: { eventId: event.id, name: event.name, agentsOnly: event.agentsOnly } })
      return { chat, event, message }
    }
  }
}
