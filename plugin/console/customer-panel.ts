import { agentMaySee, type ChatService } from '../chats/service.ts'
import type { AgentScope, Chat } from '../chats/types.ts'
import { statusLabels } from '../chats/view-models.ts'
import type { HostAdapter, HostTicket, HostUser } from '../host/adapter.ts'

/** How many of a customer's other chats the panel lists; the statistics still count them all. */
const listed = 50
const questionLength = 160

const notes = {
  signedOut: 'Not signed in: the name and email are what the customer typed in the pre-chat form.',
  accountGone: 'The help desk no longer has this user account; shown as recorded with the chat.',
  accountUnreachable: 'The help desk could not be asked for this user account; shown as recorded with the chat.',
  ticketsSignedOut: 'Tickets are known for signed-in customers only.',
  ticketsFailed: 'Tickets could not be loaded',
  ticketDates: 'Tickets per period need the tickets’ dates, which the help desk does not give.',
  timeLogs: 'Time logs are not available here.'
}

/** A chat's customer: by host user id when they were signed in, else by the email they typed. */
export const customerOf = (chat: Chat): { userId: string | null, email: string } => ({ userId: chat.customerUserId, email: chat.customerEmail })

function clip (text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > questionLength ? `${line.slice(0, questionLength - 1)}…` : line
}

/**
 * The customer panel of a chat (docs/features.md#customer-details): what the host says
 * about the user, their tickets, their other chats and how busy they have been. The data
 * for views/console/customer-panel.hbs and for the returning-customer line of the pane.
 */
export function createCustomerPanel ({ base, chats, host, agentName, clock = Date.now, minutesLogged }: {
  base: string
  /** Minutes the customer's chats took, from their time logs; without it the column says —. */
  minutesLogged?: (customer: { userId: string | null, email: string }, days: number[]) => Promise<{ all: number, since: number[] }>
  clock?: () => number
  chats: ChatService
  host: HostAdapter
  agentName: (id: string | null) => Promise<string | null>
}) {
  /** The host's account, or why the panel falls back to what the chat recorded. */
  async function account (chat: Chat, onError: (err: unknown) => void): Promise<{ user: HostUser | null, note: string | null }> {
    if (chat.customerUserId === null) return { user: null, note: notes.signedOut }
    try {
      const user = await host.getUser(chat.customerUserId)
      return { user, note: user ? null : notes.accountGone }
    } catch (err) {
      onError(err)
      return { user: null, note: notes.accountUnreachable }
    }
  }

  /** The host's tickets of a signed-in customer; a failing host spoils this section only. */
  async function tickets (chat: Chat, onError: (err: unknown) => void): Promise<{ list: HostTicket[], error: string | null, note: string | null }> {
    if (chat.customerUserId === null) return { list: [], error: null, note: notes.ticketsSignedOut }
    try {
      return { list: await host.userTickets(chat.customerUserId), error: null, note: null }
    } catch (err) {
      onError(err)
      return { list: [], error: notes.ticketsFailed, note: null }
    }
  }

  return {
    /** "Returning customer: N earlier chats (last on …)", or null for a first chat. */
    async returning (chat: Chat): Promise<{ count: number, lastAt: number } | null> {
      const { count, lastAt } = await chats.earlierChats(customerOf(chat), chat.id)
      return count > 0 && lastAt !== null ? { count, lastAt } : null
    },

    /**
     * The whole panel for an agent who may see `chat` (the route has checked). `onError`
     * hears host failures the panel works around, so they are logged, not shown.
     */
    async panel (chat: Chat, scope: AgentScope, onError: (err: unknown) => void = () => {}) {
      const [{ user, note }, ticketList, history, minutes] = await Promise.all([
        account(chat, onError),
        tickets(chat, onError),
        chats.customerChats(customerOf(chat), { limit: listed + 1 }),
        minutesLogged ? minutesLogged(customerOf(chat), [7, 30, 90]) : undefined
      ])
      const logged = (i?: number): string => minutes === undefined ? '—' : `${i === undefined ? minutes.all : minutes.since[i]!} min`
      const others = history.chats.filter((c) => c.id !== chat.id).slice(0, listed)
      const previous = await Promise.all(others.map(async (c) => ({
        id: c.id,
        createdAt: c.createdAt,
        status: c.status,
        statusLabel: statusLabels[c.status],
        agentName: await agentName(c.agentId),
        question: clip(c.question),
        href: agentMaySee(c, scope) ? `${base}/console/chats/${c.id}` : null
      })))
      const ticketsKnown = chat.customerUserId !== null && ticketList.error === null
      const allTickets = ticketsKnown ? String(ticketList.list.length) : '—'
      // Per period only when the host dates every ticket; otherwise a dash and a note.
      const dated = ticketsKnown && ticketList.list.every((tk) => tk.createdAt !== undefined)
      const ticketsSince = (days: number): string => dated ? String(ticketList.list.filter((tk) => tk.createdAt! >= clock() - days * 86_400_000).length) : '—'
      const { counts } = history
      return {
        chatId: chat.id,
        signedIn: chat.customerUserId !== null,
        // The id a signed identity token vouched for (docs/features.md#verified-customer-identity).
        verifiedId: chat.customerVerifiedId,
        details: {
          name: user?.name ?? chat.customerName,
          username: user?.username ?? chat.customerUsername,
          email: user?.email ?? chat.customerEmail,
          roles: user?.roles ?? [],
          note
        },
        // Only the email: the host adapter has no phone, address or website to give.
        contact: { email: user?.email ?? chat.customerEmail },
        tickets: ticketList,
        chats: { list: previous, more: Math.max(0, counts.all - 1 - previous.length) },
        stats: {
          rows: [
            { label: 'Last 7 days', tickets: ticketsSince(7), chats: counts.last7, timeLogs: logged(0) },
            { label: 'Last 30 days', tickets: ticketsSince(30), chats: counts.last30, timeLogs: logged(1) },
            { label: 'Last 90 days', tickets: ticketsSince(90), chats: counts.last90, timeLogs: logged(2) },
            { label: 'All time', tickets: allTickets, chats: counts.all, timeLogs: logged() }
          ],
          notes: [ticketsKnown && !dated ? notes.ticketDates : null, minutes === undefined ? notes.timeLogs : null].filter(Boolean)
        }
      }
    }
  }
}

export type CustomerPanel = ReturnType<typeof createCustomerPanel>
