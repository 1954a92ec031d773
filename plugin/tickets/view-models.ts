import type { AgentScope, Chat } from '../chats/types.ts'
import type { HostTicket, TicketKind } from '../host/adapter.ts'
import { targets } from '../realtime/targets.ts'
import { bind, type Fragment } from '../web/fragments.ts'
import { fieldPrefix, maxSummaryLength } from './schemas.ts'
import { type AbandonPrompt, type DraftField, kindLabels, type TicketDraft, type TicketService } from './service.ts'

/** A value a Retry button sends again, as a hidden form field. */
export interface RetryValue { name: string, value: string }

/** views/tickets/menu.hbs: the chat header's Create Ticket menu, one entry per kind the help desk takes. */
export interface TicketMenuModel {
  chatId: number
  action: string
  kinds: Array<{ kind: TicketKind, label: string }>
}

/** views/tickets/form.hbs: Confirm + Save, the ticket as it will be saved, each refusal beside its field. */
export interface TicketFormModel {
  chatId: number
  action: string
  kind: TicketKind
  title: string
  templateId: string
  /** 'abandon' when opened from the Abandon prompt, which it goes back to once the ticket is made. */
  next: 'abandon' | null
  summary: { value: string, error: string | null }
  maxSummary: number
  fields: Array<Omit<DraftField, 'options'> & {
    id: string
    inputName: string
    options: Array<{ value: string, label: string, selected: boolean }> | null
    long: boolean
  }>
  hasRequired: boolean
  description: string
}

/** views/tickets/abandon.hbs: Abandon's confirmation, naming the tickets it cancels or offering to create one first. */
export interface AbandonModel {
  chatId: number
  action: string
  tickets: Array<{ ref: string | null, url: string | null }>
  cancelled: { status: string, reason: string }
  create: { action: string, kind: TicketKind, label: string }
}

/** views/tickets/created.hbs: the success line, the new ticket's reference linked to the help desk. */
export interface TicketCreatedModel { kindLabel: string, ref: string, url: string }

/** views/tickets/retry.hbs: a refusal where nothing was written, with a Retry that posts the same values again. */
export interface TicketRetryModel { code: string, message: string, action: string, values: RetryValue[] }

export const ticketFormFragment = bind('tickets/form', 'innerHTML', (m: TicketFormModel) => targets.chatTools(m.chatId))
export const abandonFragment = bind('tickets/abandon', 'innerHTML', (m: AbandonModel) => targets.chatTools(m.chatId))
export const ticketCreatedFragment = bind('tickets/created', 'innerHTML', (_: TicketCreatedModel) => targets.notice())
export const ticketRetryFragment = bind('tickets/retry', 'innerHTML', (_: TicketRetryModel) => targets.notice())

export interface TicketViewsDeps {
  base: string
  tickets: Pick<TicketService, 'offered' | 'kinds'>
}

export type TicketViews = ReturnType<typeof createTicketViews>

/** The models of views/tickets/*: the header's Create Ticket menu, Confirm + Save, the notices and the Abandon prompt. */
export function createTicketViews ({ base, tickets }: TicketViewsDeps) {
  const chatUrl = (chatId: number): string => `${base}/console/chats/${chatId}`
  const create = (chatId: number): string => `${chatUrl(chatId)}/tickets`
  const createLabel = (kind: TicketKind): string => `Create ${kindLabels[kind]}`

  function form (draft: TicketDraft, next: 'abandon' | undefined): TicketFormModel {
    const chatId = draft.chat.id
    return {
      chatId,
      action: create(chatId),
      kind: draft.kind,
      title: `${createLabel(draft.kind)}: ${draft.template.name}`,
      templateId: draft.template.id,
      next: next ?? null,
      summary: { value: draft.summary, error: draft.summaryError },
      maxSummary: maxSummaryLength,
      fields: draft.fields.map((f, i) => ({
        ...f,
        id: `lc-ticket-${chatId}-field-${i}`,
        inputName: `${fieldPrefix}${f.name}`,
        options: f.options ? ['', ...f.options].map((o) => ({ value: o, label: o === '' ? 'Choose…' : o, selected: o === f.value })) : null,
        // Longer text reads better in a box than on one line.
        long: f.value.length > 80 || f.value.includes('\n')
      })),
      hasRequired: draft.fields.some((f) => f.required),
      description: draft.description
    }
  }

  return {
    /** The chat header's Create Ticket menu (rendered inside the console's header); null where the viewer may not. */
    menu (chat: Chat, viewer: AgentScope | string): TicketMenuModel | null {
      if (!tickets.offered(chat, viewer)) return null
      return { chatId: chat.id, action: create(chat.id), kinds: tickets.kinds().map((kind) => ({ kind, label: createLabel(kind) })) }
    },

    /** Confirm + Save in the chat's tools slot. */
    form (draft: TicketDraft, next?: 'abandon'): Fragment {
      return ticketFormFragment(form(draft, next))
    },

    /** The success line, with the new ticket's reference linked to the help desk. */
    created (ticket: HostTicket, kind: TicketKind): Fragment {
      return ticketCreatedFragment({ kindLabel: kindLabels[kind], ref: ticket.ref, url: ticket.url })
    },

    /** A refusal the agent can simply send again: the message and a Retry button that posts the same values. */
    retry (err: { code: string, message: string }, action: string, values: RetryValue[]): Fragment {
      return ticketRetryFragment({ code: err.code, message: err.message, action, values })
    },

    /** Abandon's confirmation in the chat's tools slot: the tickets it cancels, or the offer to create one first. */
    abandon (prompt: AbandonPrompt): Fragment {
      const { chat, tickets: made, cancelled, firstKind } = prompt
      return abandonFragment({
        chatId: chat.id,
        action: `${chatUrl(chat.id)}/abandon`,
        tickets: made.map((t) => ({ ref: t.ticketRef, url: t.ticketUrl })),
        cancelled,
        create: { action: create(chat.id), kind: firstKind, label: `${createLabel(firstKind)} first` }
      })
    },

    abandonUrl: (chatId: number): string => `${chatUrl(chatId)}/abandon`
  }
}
