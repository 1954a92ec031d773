import { createHash } from 'node:crypto'
import { LC_ERR_MESSAGE_EMPTY, LC_ERR_MESSAGE_TOO_LONG } from '../errors.ts'
import { agentOnlyKinds, type AgentScope, type Chat, ChatStatus, type Message, openStatuses, queueGroups, sees } from './types.ts'

/**
 * The chat rules that need no database, each written once: other capabilities (instant
 * messages, comments, the console's lists) use them as the chat service does.
 */

/**
 * The maxMessageLength setting's rule: a message may have at most `max` characters,
 * counted as a person counts them (an emoji is one). Throws LC_ERR_MESSAGE_TOO_LONG.
 */
export function checkMessageLength (body: string, max: number): void {
  const length = [...body].length
  if (length > max) throw new LC_ERR_MESSAGE_TOO_LONG(String(max), String(length))
}

/**
 * What is stored of a typed message: line ends made \n and the ends trimmed. Throws
 * LC_ERR_MESSAGE_EMPTY for nothing left, LC_ERR_MESSAGE_TOO_LONG past `max` characters.
 */
export function messageBody (text: string, max: number): string {
  const body = text.replace(/\r\n/g, '\n').trim()
  if (body.length === 0) throw new LC_ERR_MESSAGE_EMPTY()
  checkMessageLength(body, max)
  return body
}

/** The rule behind chatForAgent, for lists that link only the chats the agent may open. */
export function agentMaySee (chat: Chat, scope: AgentScope): boolean {
  if (chat.agentId === scope.id) return true
  if (scope.supervise && sees(scope, chat.groupId)) return true
  if (chat.status === ChatStatus.queued && (chat.transferredTo === null || chat.transferredTo === scope.id)) {
    const groups = queueGroups(scope)
    return chat.groupId === null || groups === 'all' || groups.includes(chat.groupId)
  }
  return false
}

/** Only this hash of a customer's token is stored: the token itself is told to the customer once. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

/**
 * The cookie that holds a customer's token for one chat: set when the chat starts, read by
 * the chat window, its socket, its files and its survey (chatForCustomer checks it).
 */
export const customerCookie = (chatId: number): string => `lc_chat_${chatId}`

/** The chat a cookie named by customerCookie is for; undefined for any other cookie. */
export function cookieChat (name: string): number | undefined {
  const match = /^lc_chat_(\d{1,12})$/.exec(name)
  return match ? Number(match[1]) : undefined
}

/**
 * A chat its customer is still in: queued, or active and not left by them (a chat they left
 * stays with the agent, who ends it). A second start resumes it (docs/features.md#one-open-chat-per-customer).
 */
export const customerStillIn = (chat: Pick<Chat, 'status' | 'customerLeftAt' | 'deletedAt'>): boolean =>
  openStatuses.includes(chat.status) && chat.customerLeftAt === null && chat.deletedAt === null

/** What a customer's socket, page and transcript show of a chat: every message but the agent-only kinds. */
export function customerSees (message: Pick<Message, 'kind'>): boolean {
  return !agentOnlyKinds.has(message.kind)
}

/**
 * How often an open chat window refreshes customer_seen_at: a quarter of customerGoneSeconds,
 * at most every 30 s, well inside the grace period, so the customer-gone job never takes a
 * window that is open for a closed one.
 */
export function customerSeenEveryMs (customerGoneSeconds: number): number {
  return Math.min(30_000, customerGoneSeconds * 250)
}

/**
 * "Firefox on Windows" from a User-Agent: enough for an agent to picture the customer's
 * screen, without keeping the whole string (which fingerprints people).
 */
export function describeAgent (userAgent: string | null): string | null {
  if (!userAgent) return null
  const ua = userAgent.slice(0, 500)
  // Order matters: Edge and Opera also say Chrome, Chrome also says Safari, Android says Linux.
  const browser = browsers.find(([, pattern]) => pattern.test(ua))?.[0]
  const system = systems.find(([, pattern]) => pattern.test(ua))?.[0]
  if (!browser && !system) return 'an unknown browser'
  return [browser ?? 'a browser', system].filter(Boolean).join(' on ')
}

const browsers: Array<[string, RegExp]> = [['Edge', /Edg\//], ['Opera', /OPR\//], ['Firefox', /Firefox\//], ['Chrome', /Chrome\/|Chromium\//], ['Safari', /Safari\//]]
const systems: Array<[string, RegExp]> = [['Windows', /Windows/], ['Android', /Android/], ['iOS', /iPhone|iPad|iOS/], ['macOS', /Mac OS X|Macintosh/], ['ChromeOS', /CrOS/], ['Linux', /Linux/]]
