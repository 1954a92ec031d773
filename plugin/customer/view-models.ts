import type { ChatService } from '../chats/service.ts'
import type { Chat } from '../chats/types.ts'
import { ChatStatus } from '../chats/types.ts'
import { LC_ERR_DEPARTMENT_CLOSED } from '../errors.ts'
import type { HostAdapter } from '../host/adapter.ts'
import type { Settings } from '../settings.ts'
import type { RoutingService } from '../routing/service.ts'
import { targets } from '../realtime/targets.ts'
import { bind } from '../web/fragments.ts'
import { render } from '../web/views.ts'
import type { WidgetStatus } from './schemas.ts'
import { type Closed, type CustomerService, type DepartmentChoice, type WaitBasis, waitFrom } from './service.ts'

export type CustomerViews = ReturnType<typeof createCustomerViews>

/** The customer/status partial: a main line, what it waits on, and the estimated wait. */
export interface StatusModel {
  chatId: number
  /** The CSS modifier: the chat's status, or `left` once the customer left a chat an agent still has. */
  status: ChatStatus | 'left'
  text: string
  detail: string | null
  wait: string | null
}

/** views/customer/earlier.hbs: one of a returning customer's earlier chats, linked to its transcript. */
export interface EarlierChatModel {
  url: string
  /** ISO time for <time datetime>, and as shown. */
  at: string
  when: string
  question: string
  state: string
}

const earlierStates: Record<ChatStatus, string> = {
  queued: 'Waiting', active: 'Open', ended: 'Ended', cancelled: 'Left the queue', abandoned: 'Closed'
}

/** A returning customer's earlier chats on the pre-chat form (docs/features.md#earlier-chats), newest first. */
export function earlierChatsModel (base: string, chats: Chat[]): EarlierChatModel[] {
  return chats.map((chat) => {
    const at = new Date(chat.createdAt).toISOString()
    const words = [...chat.question.replace(/\s+/g, ' ').trim()]
    return {
      url: `${base}/chat/${chat.id}`,
      at,
      when: `${at.slice(0, 10)} ${at.slice(11, 16)} UTC`,
      question: words.length > 80 ? `${words.slice(0, 79).join('')}…` : words.join(''),
      state: chat.status === ChatStatus.active && chat.customerLeftAt !== null ? 'You left' : earlierStates[chat.status]
    }
  })
}

/** The status line above the conversation, sent in place of the one on the page. */
export const statusFragment = bind('customer/status', 'outerHTML', (m: StatusModel) => targets.status(m.chatId))

/** One department outside its business hours, as the portal link and the leave-a-message page say it. */
export interface ClosedLine {
  /** The department's name where the customer has several to tell apart; null otherwise. */
  name: string | null
  holiday: string | null
  /** "Monday at 09:00 (Europe/Berlin)", or null when it does not open within a year. */
  opens: string | null
  message: string | null
}

/** views/customer/portal-link.hbs: the link the host's portal shows, saying whether anyone is there to chat. */
export interface PortalLinkModel {
  base: string
  available: boolean
  /** The department the portal asked about (?department=), carried to the pages it links to. */
  department: number | null
  /** Departments outside their business hours, when nobody can chat now. */
  closed: ClosedLine[]
  /** Some department (or the shared queue) is open but has nobody available: the plain "unavailable" line. */
  unstaffed: boolean
}

export function portalLink (model: PortalLinkModel): string {
  return render('customer/portal-link', model)
}

/**
 * What the customer's portal link shows (docs/features.md#portal-link): chat while anyone can
 * answer one; otherwise leave a message, with when each closed department opens again.
 */
export function portalLinkModel (base: string, list: DepartmentChoice[], available: boolean, department: DepartmentChoice | null): PortalLinkModel {
  const shown = department ? [department] : list
  const closed = available ? [] : shown.filter((d) => d.closed)
  return {
    base,
    available,
    department: department?.id ?? null,
    closed: closed.map((d) => closedLine(d.closed!, shown.length > 1 ? d.name : null)),
    unstaffed: !available && (shown.length === 0 || shown.some((d) => !d.closed))
  }
}

/**
 * The widget button's availability (docs/features.md#embeddable-widget): the portal link's
 * facts in a line, the first closed department with when it opens.
 */
export function widgetStatus (model: PortalLinkModel): WidgetStatus {
  if (model.available) return { available: true, label: 'Chat with us', detail: null }
  const closed = model.closed[0]
  if (!closed || model.unstaffed) return { available: false, label: 'Leave a message', detail: 'Nobody is available to chat right now' }
  // The portal link's words (views/customer/portal-link.hbs), on one line.
  const where = closed.name ? `${closed.name}: ` : ''
  const holiday = closed.holiday ? `Closed for ${closed.holiday}. ` : ''
  return { available: false, label: 'Leave a message', detail: `${where}${holiday}${closed.opens ? `Chat opens ${closed.opens}` : 'Chat is closed'}.` }
}

export function closedLine (closed: Closed, name: string | null): ClosedLine {
  return { name, holiday: closed.holiday, opens: closed.opens, message: closed.closedMessage }
}

/** The leave-a-message page's callout for a department outside its hours: the coded sentence and the administrator's message. */
export function closedNotice (department: DepartmentChoice & { closed: Closed }): { text: string, code: string, message: string | null } {
  const err = new LC_ERR_DEPARTMENT_CLOSED(department.name, department.closed.opens ? `; chat opens ${department.closed.opens}` : '')
  return { text: err.message, code: err.code, message: department.closed.closedMessage }
}

/** The three queue lines a waiting customer reads: the department's own, else the settings'. */
export interface QueueMessages { position: string, one: string, next: string }

/** What every waiting customer of one group is told from, read once per group for a push to all of them. */
export interface QueueContext {
  messages: QueueMessages
  /** The group a transferred chat waits for; null for the shared queue. */
  groupName: string | null
  wait: WaitBasis
}

const minute = 60_000

/** "less than a minute" under a minute, else "about N minutes" rounded to the nearest minute; null without history. */
export function describeWait (ms: number | null): string | null {
  if (ms === null) return null
  if (ms < minute) return 'Estimated wait: less than a minute'
  const n = Math.round(ms / minute)
  return `Estimated wait: about ${n} minute${n === 1 ? '' : 's'}`
}

/** The department select of the pre-chat and leave-a-message forms: shown only when there is a choice. */
export function departmentOptions (list: DepartmentChoice[], selected: string | number | undefined, markOffline: boolean) {
  if (list.length < 2) return []
  const label = (d: DepartmentChoice): string => !markOffline || d.online ? d.name : d.closed ? `${d.name} (closed)` : `${d.name} (offline)`
  return list.map((d) => ({ id: d.id, name: label(d), selected: String(d.id) === String(selected) }))
}

/** Data for the customer window's partials, shared by its page and its socket pushes. */
export function createCustomerViews ({ settings, host, chats, routing, customer }: { settings: Settings, host: HostAdapter, chats: ChatService, routing: RoutingService, customer: CustomerService }) {
  const services = () => ({ chats, routing, customer })
  // Read when needed: an administrator may change them on the settings screen at any time.
  const defaults = (): QueueMessages => ({ position: settings.queuePositionMessage, one: settings.queuePositionMessageOne, next: settings.queueNextMessage })

  function queueText (ahead: number, messages: QueueMessages = defaults()): string {
    if (ahead <= 0) return messages.next
    if (ahead === 1) return messages.one
    return messages.position.replace('{ahead}', String(ahead))
  }

  async function queueContext (groupId: number | null): Promise<QueueContext> {
    const { routing, customer } = services()
    const wait = await customer.waitBasis(groupId)
    if (groupId === null) return { messages: defaults(), groupName: null, wait }
    const group = await routing.group(groupId).catch(() => undefined)
    const department = group ? await routing.department(group.departmentId) : undefined
    return {
      messages: {
        position: department?.queuePositionMessage ?? settings.queuePositionMessage,
        one: department?.queuePositionMessageOne ?? settings.queuePositionMessageOne,
        next: department?.queueNextMessage ?? settings.queueNextMessage
      },
      groupName: group?.name ?? null,
      wait
    }
  }

  /** The status of a chat waiting in line; a transferred one first says where it is going. */
  function queued (chatId: number, ahead: number, transferred: boolean, context: QueueContext): StatusModel {
    const line = queueText(ahead, context.messages)
    const wait = describeWait(waitFrom(context.wait, ahead))
    if (transferred) return { chatId, status: ChatStatus.queued, text: `Connecting you to ${context.groupName ?? 'another agent'}…`, detail: line, wait }
    return { chatId, status: ChatStatus.queued, text: line, detail: null, wait }
  }

  return {
    queueText,
    queueContext,
    queued,

    /**
     * The status line: place in line and estimated wait while waiting (`ahead` when the
     * caller already counted it), who the chat waits for after a transfer, the agent's
     * name while chatting, and how it closed.
     */
    async status (chat: Chat, ahead?: number): Promise<StatusModel> {
      const model = (text: string, status: StatusModel['status'] = chat.status): StatusModel => ({ chatId: chat.id, status, text, detail: null, wait: null })
      switch (chat.status) {
        case ChatStatus.queued: {
          if (chat.transferredTo !== null) {
            const agent = await host.getUser(chat.transferredTo)
            return model(`Waiting for ${agent?.name ?? 'an agent'} to join`)
          }
          const n = ahead ?? await services().chats.queuePosition(chat) ?? 0
          return queued(chat.id, n, chat.transferredAt !== null, await queueContext(chat.groupId))
        }
        case ChatStatus.active: {
          if (chat.customerLeftAt !== null) return model('You left the chat', 'left')
          const agent = chat.agentId ? await host.getUser(chat.agentId) : null
          return model(`You are chatting with ${agent?.name ?? 'an agent'}`)
        }
        case ChatStatus.cancelled: {
          // Closed by the queue-timeout job (plugin/jobs): the question became a ticket.
          if (chat.endedBy !== 'system') return model('You left the queue')
          const ticket = await services().chats.timeoutTicket(chat)
          return { ...model('No agent could answer in time'), detail: ticket ? `We have created ticket ${ticket} from your question; the team will reply to ${chat.customerEmail}.` : `Your question was sent to the team; they will reply to ${chat.customerEmail}.` }
        }
        default: return model('This chat has ended')
      }
    }
  }
}
