import type { AgentScope, Chat } from '../chats/types.ts'
import type { HostTicket, TicketKind } from '../host/adapter.ts'
import { type Fragment, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import type { Views } from '../web/views.ts'
import { fieldPrefix } from './schemas.ts'
import { type AbandonPrompt, kindLabels, maxSummaryLength, type TicketDraft, type TicketService } from './service.ts'

export type TicketViews = ReturnType<typeof createTicketViews>

/** What the ticket routes are given (RouteDeps.tickets): the service and its views. */
export interface TicketsDeps {
  service: TicketService
  views: TicketViews
}

/** A value a Retry button sends again, as a hidden form field. */
export interface RetryValue { name: string, value: string }

/** Data for views/tickets/*: the header's Create Ticket menu, Confirm + Save, the notices and the Abandon prompt. */
export function createTicketViews ({ base, tickets, views }: { base: string, tickets: TicketService, views: Views }) {
  const chatUrl = (chatId: number): string => `${base}/console/chats/${chatId}`
  const create = (chatId: number): string => `${chatUrl(chatId)}/tickets`
  const createLabel = (kind: TicketKind): string => `Create ${kindLabels[kind]}`

  function form (draft: TicketDraft, next: 'abandon' | undefined) {
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
    form,

    /** The chat header's Create Ticket menu, one entry per kind the help desk takes; null where the viewer may not. */
    menu (chat: Chat, viewer: AgentScope | string) {
      if (!tickets.offered(chat, viewer)) return null
      return { chatId: chat.id, action: create(chat.id), kinds: tickets.kinds().map((kind) => ({ kind, label: createLabel(kind) })) }
    },

    formFragment (draft: TicketDraft, next?: 'abandon'): Fragment {
      return fragment(targets.chatTools(draft.chat.id), 'innerHTML', views.render('tickets/form', form(draft, next)))
    },

    /** The success line, with the new ticket's reference linked to the help desk. */
    createdNotice (ticket: HostTicket, kind: TicketKind): Fragment {
      return fragment(targets.notice(), 'innerHTML', views.render('tickets/created', { kindLabel: kindLabels[kind], ref: ticket.ref, url: ticket.url }))
    },

    /** A refusal the agent can simply send again: the message and a Retry button that posts the same values. */
    retryNotice (err: { code: string, message: string }, action: string, values: RetryValue[]): Fragment {
      return fragment(targets.notice(), 'innerHTML', views.render('tickets/retry', { code: err.code, message: err.message, action, values }))
    },

    /** Abandon's confirmation in the chat's tools slot: the tickets it cancels, or the offer to create one first. */
    abandonFragment (prompt: AbandonPrompt): Fragment {
      const { chat, tickets: made, cancelled, firstKind } = prompt
      const model = {
        chatId: chat.id,
        action: `${chatUrl(chat.id)}/abandon`,
        tickets: made.map((t) => ({ ref: t.ticketRef, url: t.ticketUrl })),
        cancelled,
        create: { action: create(chat.id), kind: firstKind, label: `${createLabel(firstKind)} first` }
      }
      return fragment(targets.chatTools(chat.id), 'innerHTML', views.render('tickets/abandon', model))
    },

    abandonUrl: (chatId: number): string => `${chatUrl(chatId)}/abandon`
  }
}
