import type { Knex } from 'knex'
import type { ChatService } from '../chats/service.ts'
import { type Actor, type AgentScope, type Chat, ChatStatus, sees } from '../chats/types.ts'
import { statusLabels } from '../chats/view-models.ts'
import { transact } from '../db/index.ts'
import {
  isCoded, LC_ERR_ABANDON_HOST, LC_ERR_CHAT_STATE_CONFLICT, LC_ERR_TICKET_CHAT_STATE, LC_ERR_TICKET_FIELD_UNKNOWN, LC_ERR_TICKET_HOST,
  LC_ERR_TICKET_KIND, LC_ERR_TICKET_NOT_LINKED, LC_ERR_TICKET_NOT_SAVED, LC_ERR_TICKET_NOT_YOURS, LC_ERR_TICKET_REFUSED, LC_ERR_TICKET_TEMPLATE_UNKNOWN
} from '../errors.ts'
import { type HostAdapter, type HostTicket, type NewTicket, type TemplateField, type TicketKind, TicketRefused, type TicketTemplate } from '../host/adapter.ts'
import type { ChatItem, ItemService } from '../items/service.ts'
import type { TranscriptService } from '../transcripts/service.ts'
import { valid } from '../web/forms.ts'
import type { WebhookOutbox } from '../webhooks/outbox.ts'
import { findRequester, type Requester } from './requester.ts'
import { confirmForm, fieldPrefix, maxSummaryLength } from './schemas.ts'

export { findRequester, type Requester, type RequesterClaim } from './requester.ts'

export const allKinds: TicketKind[] = ['incident', 'work_order', 'ticket']
export const kindLabels: Record<TicketKind, string> = { incident: 'Incident', work_order: 'Work Order', ticket: 'Ticket' }
/** The Status / Status Reason an abandoned chat's tickets get where the host names none (docs/features.md#abandon). */
export const defaultCancelled = { status: 'Cancelled', reason: 'Abandoned chat' }
/** Chats a ticket may be made from: an agent has (or had) them, so there is a transcript to file. */
const ticketable: readonly ChatStatus[] = [ChatStatus.active, ChatStatus.ended, ChatStatus.abandoned]

/** What the Create Ticket menu, a template or the Confirm + Save form sent, as typed. */
export interface TicketInput {
  kind: TicketKind
  templateId?: string
  /** Present only from the Confirm + Save form: the summary as the agent left it. */
  summary?: string
  /** Template field values by field name (the form's `f_<name>`), as typed. */
  fields: Record<string, string>
}

/** A template field in the Confirm + Save form: its value as it stands and, once saved, why it was refused. */
export interface DraftField extends TemplateField {
  error: string | null
}

/** A ticket from a template that needs the agent first (Confirm + Save, docs/features.md#create-ticket): what it will be, and what is missing. */
export interface TicketDraft {
  chat: Chat
  kind: TicketKind
  template: TicketTemplate
  summary: string
  summaryError: string | null
  /** The description as it will be saved: the template's text, then the transcript. */
  description: string
  fields: DraftField[]
}

export type CreateOutcome =
  | { created: { chat: Chat, ticket: HostTicket, itemId: number, kind: TicketKind }, draft?: undefined, refused?: undefined }
  | { draft: TicketDraft, refused: boolean, created?: undefined }

export interface AbandonPrompt {
  chat: Chat
  /** Tickets made from the chat, which abandoning sets to `cancelled`. */
  tickets: ChatItem[]
  cancelled: { status: string, reason: string }
  /** What "create one first" makes: the host's first kind. */
  firstKind: TicketKind
}

/**
 * Tickets from a chat's transcript, with or without a template
 * (docs/features.md#create-ticket), and Abandon (docs/features.md#abandon). The ticket is
 * the help desk's, made through the host seam; the chat lists it in Related Items.
 */
export interface TicketService {
  /** The ticket kinds the help desk takes, in its order (every kind where it names none). */
  kinds (): TicketKind[]
  /** The Status and Status Reason an abandoned chat's tickets get. */
  cancelled (): { status: string, reason: string }
  /** The chat's agent, or a supervisor who sees its group; `viewer` may be a bare agent id (a socket push). */
  mayAct (chat: Chat, viewer: AgentScope | string): boolean
  /** Whether the Create Ticket menu belongs on this chat for this viewer. */
  offered (chat: Chat, viewer: AgentScope | string): boolean
  /**
   * Create Incident / Work Order / Ticket: made at once without a template or with one whose required fields are set;
   * else a draft for Confirm + Save (`refused` when the form was sent with a field still wrong). Throws
   * LC_ERR_TICKET_NOT_YOURS, _CHAT_STATE, _KIND, _TEMPLATE_UNKNOWN, _FIELD_UNKNOWN; LC_ERR_TICKET_HOST, _REFUSED (the desk's reason) or _NOT_SAVED
   * when nothing was made, LC_ERR_TICKET_NOT_LINKED when the ticket exists but the chat could not list it.
   */
  create (chatId: number, scope: AgentScope, input: TicketInput): Promise<CreateOutcome>
  /** What Abandon asks before it acts: the tickets it will cancel, or that there are none; only for an active chat. */
  abandonPrompt (chatId: number, scope: AgentScope): Promise<AbandonPrompt>
  /**
   * Abandon: every ticket made from the chat gets the cancelled status and an Activity line, then the chat becomes
   * abandoned (chats.abandonChat). Throws LC_ERR_ABANDON_HOST with the chat still active, so it can be sent again.
   */
  abandon (chatId: number, scope: AgentScope): Promise<{ chat: Chat, cancelled: string[] }>
}

export interface TicketServiceDeps {
  db: Knex
  chats: Pick<ChatService, 'get' | 'abandonChat'>
  items: Pick<ItemService, 'linkCreatedTicket' | 'createdTickets'>
  transcripts: Pick<TranscriptService, 'forTicket'>
  host: HostAdapter
  /** The webhook outbox: ticket.created is recorded with the chat's Related Items row (docs/webhooks.md#events). */
  webhooks?: Pick<WebhookOutbox, 'record'>
}

const actorOf = (scope: AgentScope): Actor => ({ kind: 'agent', id: scope.id, name: scope.name })

/**
 * When host and plugin share a database the ticket and its Related Items row commit in one
 * transaction, else the ticket is made first and then listed. The chat's own agent, or a
 * supervisor of its group, may create or abandon.
 */
export function createTicketService ({ db, chats, items, transcripts, host, webhooks }: TicketServiceDeps): TicketService {
  const kinds = (): TicketKind[] => host.ticketKinds && host.ticketKinds.length > 0 ? host.ticketKinds : allKinds
  const cancelled = (): { status: string, reason: string } => host.cancelledStatus ?? defaultCancelled

  /** The chat's agent, or a supervisor who sees its group; `viewer` may be a bare agent id (a socket push). */
  function mayAct (chat: Chat, viewer: AgentScope | string): boolean {
    if (typeof viewer === 'string') return chat.agentId === viewer
    return chat.agentId === viewer.id || (viewer.supervise && sees(viewer, chat.groupId))
  }

  async function actable (chatId: number, scope: AgentScope): Promise<Chat> {
    const chat = await chats.get(chatId)
    if (!mayAct(chat, scope)) throw new LC_ERR_TICKET_NOT_YOURS(String(chat.id))
    return chat
  }

  /** Every help desk call before anything is written: a failure means nothing was made, which the message says. */
  async function ask<T> (kind: TicketKind, call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (err) {
      // A refusal says why in the desk's words; anything else is the desk failing just now, worth a retry.
      if (err instanceof TicketRefused) throw Object.assign(new LC_ERR_TICKET_REFUSED(kindLabels[kind].toLowerCase(), err.message), { cause: err })
      throw Object.assign(new LC_ERR_TICKET_HOST(kindLabels[kind].toLowerCase()), { cause: err })
    }
  }

  /** The chat's customer as the help desk knows them (findRequester): signed in, by their email, else a guest. */
  async function requesterOf (chat: Chat, kind: TicketKind): Promise<Requester> {
    return await ask(kind, async () => await findRequester(host, { userId: chat.customerUserId, name: chat.customerName, email: chat.customerEmail }))
  }

  /** The summary of a ticket made without a template: the customer's question, on one line. */
  function summaryOf (chat: Chat): string {
    const line = chat.question.replace(/\s+/g, ' ').trim()
    const chars = [...line]
    const text = chars.length > maxSummaryLength ? chars.slice(0, maxSummaryLength - 1).join('') + '…' : line
    return text || `Live chat #${chat.id}`
  }

  /**
   * Reads Confirm + Save against the template; a field the form did not send keeps the
   * template's value. On the first arrival (nothing typed yet) no message is shown, only
   * whether the ticket can be saved as it is.
   */
  function draftOf (chat: Chat, kind: TicketKind, template: TicketTemplate, input: TicketInput, transcript: string): { draft: TicketDraft, complete: boolean } {
    const typed = input.summary !== undefined
    const known = new Set((template.fields ?? []).map((f) => f.name))
    const stray = Object.keys(input.fields).find((name) => !known.has(name))
    if (stray !== undefined) throw new LC_ERR_TICKET_FIELD_UNKNOWN(stray)
    const inputName = (f: TemplateField): string => `${fieldPrefix}${f.name}`
    const form = confirmForm(template).read({
      summary: typed ? input.summary : template.summary || summaryOf(chat),
      ...Object.fromEntries((template.fields ?? []).map((f) => [inputName(f), input.fields[f.name] ?? f.value]))
    })
    const shown = typed ? form.errors : {}
    const fields = (template.fields ?? []).map((f): DraftField => ({ ...f, value: form.values[inputName(f)]!, error: shown[inputName(f)]?.message ?? null }))
    const description = [template.description.trim(), transcript].filter((part) => part !== '').join('\n\n')
    return {
      draft: { chat, kind, template, summary: form.values.summary!, summaryError: shown.summary?.message ?? null, description, fields },
      complete: valid(form)
    }
  }

  /**
   * Makes the ticket and lists it in the chat's Related Items with its History row. Sharing
   * a database, the host writes in our transaction, so a failure anywhere leaves neither.
   */
  async function save (chat: Chat, scope: AgentScope, ticket: NewTicket, templateName: string | null): Promise<{ ticket: HostTicket, itemId: number }> {
    const label = kindLabels[ticket.kind].toLowerCase()
    const link = async (trx: Knex.Transaction, made: HostTicket): Promise<number> => {
      const summary = made.summary ?? ticket.summary
      const itemId = await items.linkCreatedTicket(trx, chat.id, scope, { ref: made.ref, url: made.url, summary, kind: ticket.kind, template: templateName })
      await webhooks?.record(trx, {
        type: 'ticket.created',
        key: `chat:${chat.id}`,
        data: { chat: { id: chat.id }, ticket: { ref: made.ref, url: made.url, status: made.status, kind: ticket.kind, summary }, by: { kind: 'agent', id: scope.id, name: scope.name } }
      })
      return itemId
    }
    if (host.sharesDatabase?.(db) === true) {
      try {
        return await transact(db, async (trx) => {
          const made = await ask(ticket.kind, async () => await host.createTicket(ticket, { transaction: trx }))
          return { ticket: made, itemId: await link(trx, made) }
        })
      } catch (err) {
        if (isCoded(err)) throw err
        throw Object.assign(new LC_ERR_TICKET_NOT_SAVED(label), { cause: err })
      }
    }
    const made = await ask(ticket.kind, async () => await host.createTicket(ticket))
    try {
      return { ticket: made, itemId: await transact(db, async (trx) => await link(trx, made)) }
    } catch (err) {
      throw Object.assign(new LC_ERR_TICKET_NOT_LINKED(made.ref), { cause: err })
    }
  }

  /** Who may abandon, and only an active chat; anything else is refused before the help desk is touched. */
  async function abandonable (chatId: number, scope: AgentScope): Promise<Chat> {
    const chat = await actable(chatId, scope)
    if (chat.status !== ChatStatus.active) throw new LC_ERR_CHAT_STATE_CONFLICT(statusLabels[chat.status].toLowerCase(), 'abandoned')
    return chat
  }

  return {
    kinds,
    cancelled,
    mayAct,

    offered (chat: Chat, viewer: AgentScope | string): boolean {
      return ticketable.includes(chat.status) && mayAct(chat, viewer)
    },

    async create (chatId: number, scope: AgentScope, input: TicketInput): Promise<CreateOutcome> {
      const chat = await actable(chatId, scope)
      if (!ticketable.includes(chat.status)) throw new LC_ERR_TICKET_CHAT_STATE(statusLabels[chat.status].toLowerCase())
      const offered = kinds()
      if (!offered.includes(input.kind)) throw new LC_ERR_TICKET_KIND(kindLabels[input.kind].toLowerCase(), offered.map((k) => kindLabels[k]).join(', '))
      let template: TicketTemplate | null = null
      if (input.templateId !== undefined) {
        template = (await ask(input.kind, async () => await host.ticketTemplates(input.kind))).find((x) => x.id === input.templateId) ?? null
        if (!template) throw new LC_ERR_TICKET_TEMPLATE_UNKNOWN(kindLabels[input.kind].toLowerCase(), input.templateId)
      } else if (input.summary !== undefined || Object.keys(input.fields).length > 0) {
        // Only a template's form sends values; without the template they belong to nothing.
        throw new LC_ERR_TICKET_FIELD_UNKNOWN(Object.keys(input.fields)[0] ?? 'summary')
      }
      // The transcript's heading names the agent, which the help desk answers.
      const { text: transcript, entries, department } = await ask(input.kind, async () => await transcripts.forTicket(chat))
      let ticket: NewTicket
      if (template) {
        const { draft, complete } = draftOf(chat, input.kind, template, input, transcript)
        if (!complete) return { draft, refused: input.summary !== undefined }
        ticket = {
          kind: input.kind,
          templateId: template.id,
          summary: draft.summary,
          description: draft.description,
          requesterId: null,
          assigneeId: null,
          chatId: chat.id,
          fields: Object.fromEntries(draft.fields.map((f) => [f.name, f.value]))
        }
      } else {
        ticket = { kind: input.kind, summary: summaryOf(chat), description: transcript, requesterId: null, assigneeId: null, chatId: chat.id }
      }
      const requester = await requesterOf(chat, input.kind)
      ticket.requesterId = requester.id
      ticket.requester = { name: requester.name, email: requester.email }
      ticket.assigneeId = chat.agentId ?? scope.id
      ticket.department = department
      ticket.channel = 'livechat'
      ticket.transcript = entries
      const saved = await save(chat, scope, ticket, template?.name ?? null)
      return { created: { chat, ticket: saved.ticket, itemId: saved.itemId, kind: input.kind } }
    },

    async abandonPrompt (chatId: number, scope: AgentScope): Promise<AbandonPrompt> {
      const chat = await abandonable(chatId, scope)
      return { chat, tickets: await items.createdTickets(chat.id), cancelled: cancelled(), firstKind: kinds()[0]! }
    },

    // Tickets first: a help desk failure leaves the chat active, so the same request can simply
    // be sent again; a ticket already cancelled is not written twice. abandonChat then writes
    // the event both sides see and History, and frees the agent's capacity.
    async abandon (chatId: number, scope: AgentScope): Promise<{ chat: Chat, cancelled: string[] }> {
      const chat = await abandonable(chatId, scope)
      const { status, reason } = cancelled()
      const refs: string[] = []
      for (const item of await items.createdTickets(chat.id)) {
        const ref = item.ticketRef!
        try {
          const now = await host.getTicket(ref)
          if (now === null) continue
          refs.push(ref)
          if (now.status === status) continue
          await host.setTicketStatus(ref, status, reason)
          await host.addTicketActivity(ref, `${status} (${reason}): live chat #${chat.id} was abandoned by ${scope.name}`, scope.id)
        } catch (err) {
          throw Object.assign(new LC_ERR_ABANDON_HOST(ref, status), { cause: err })
        }
      }
      const done = await chats.abandonChat(chat.id, actorOf(scope), refs.length > 0 ? { tickets: refs, status, reason } : undefined)
      return { chat: done, cancelled: refs }
    }
  }
}
