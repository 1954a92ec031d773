import type { ChatService } from '../chats/service.ts'
import type { CheckedValues, FieldService } from '../fields/service.ts'
import type { Chat } from '../chats/types.ts'
import { cookieChat, customerStillIn } from '../chats/rules.ts'
import { isCoded, LC_ERR_DEPARTMENT_CLOSED, LC_ERR_DEPARTMENT_OFFLINE, LC_ERR_MESSAGE_NOT_SAVED } from '../errors.ts'
import type { HostAdapter, HostTicket, HostUser, TicketTranscriptEntry } from '../host/adapter.ts'
import type { HoursService, HoursState } from '../routing/hours-service.ts'
import type { RoutingService } from '../routing/service.ts'
import { findRequester } from '../tickets/service.ts'

/** A department as the customer picks it: where its chats start and whether anyone is there. */
export interface DepartmentChoice {
  id: number
  name: string
  /** The entry group a new chat starts in; null when the department has no enabled group. */
  groupId: number | null
  /** Someone could answer a chat there now: it is within its business hours and an agent is available. */
  online: boolean
  /** Outside its business hours (docs/features.md#business-hours): why, and when chat opens; null while open. */
  closed?: Closed | null
}

/** A department outside its business hours, as the customer is told. */
export type Closed = Extract<HoursState, { open: false }>

/**
 * Where a new chat would go: a department (null where none are set up, so chats share one
 * queue) and whether anyone could answer it now.
 */
export interface KnownPlace { department: DepartmentChoice | null, online: boolean }

/** A department a form named: known, or `unknown` for an id that is not in the list. */
export type Place = { unknown: true } | ({ unknown: false } & KnownPlace)

export interface CustomerServiceDeps {
  host: HostAdapter
  chats: ChatService
  routing: RoutingService
  /** Stores the pre-chat form's custom field answers with the chat they started (plugin/fields). */
  fields?: Pick<FieldService, 'saveFromCustomer'>
  /** Business hours per department (plugin/routing); without it every department is always open. */
  hours?: Pick<HoursService, 'state' | 'states'>
  /** When a message is left (its transcript entry's time); default Date.now. */
  clock?: () => number
}

export interface LeftMessage {
  name: string
  email: string
  message: string
  department: DepartmentChoice | null
  customer: HostUser | null
  /** The signed-in customer's id where the user was not read (a queued chat's customer); `customer` wins when both are given. */
  customerUserId?: string | null
  /**
   * The ticket's transcript entries: the queued chat's messages; the message itself, as one entry by the customer,
   * when left out.
   */
  transcript?: TicketTranscriptEntry[]
  /**
   * A chat nobody answered in time (the queue-timeout job, plugin/jobs) whose question
   * becomes this message; the ticket says so and is linked to the chat.
   */
  fromChat?: { id: number, waitedMinutes: number }
}

/** What a new chat starts from: the pre-chat form's answers, where it goes, and where the customer wrote from. */
export interface NewChat {
  name: string
  email: string
  question: string
  customer: HostUser | null
  /** The customer id a verified identity token vouched for (docs/features.md#verified-customer-identity). */
  verifiedId?: string | null
  place: KnownPlace
  /** The custom fields' answers, already checked (plugin/fields). */
  fields?: CheckedValues['values']
  origin?: { ip: string | null, userAgent: string | null }
}

/**
 * The customer's side of routing (docs/design.md §5): departments to pick from, starting a chat
 * in one, leaving a message when nobody is there, and how long a waiting customer may wait.
 */
export interface CustomerService {
  /** Every department, in the administrator's order, with its entry group and whether anyone is available there. */
  departments (): Promise<DepartmentChoice[]>
  /** The department a form posted without choosing goes to: the first one online, else the first one. */
  fallback (list: DepartmentChoice[]): DepartmentChoice | undefined
  /** The department to offer: the one asked for when it is in the list, else the fallback; without departments, the shared queue. */
  preferred (departmentId: number | undefined, list?: DepartmentChoice[]): Promise<KnownPlace>
  /** Whether anyone could answer a chat in some department (or anywhere, without departments): what the portal link shows. */
  online (list?: DepartmentChoice[]): Promise<boolean>
  /** What a group's wait estimates are made from, read once for every waiting customer of the group. */
  waitBasis (groupId: number | null): Promise<WaitBasis>
  /** The department a form posted (`''` for none) against the list shown to the customer; `unknown` for an id not in it. */
  place (departmentId: string, list?: DepartmentChoice[]): Promise<Place>
  /**
   * Starts a chat in the department's entry group, storing its custom field answers; LC_ERR_DEPARTMENT_CLOSED outside
   * its business hours (judged now, whatever the form showed), LC_ERR_DEPARTMENT_OFFLINE when nobody is there.
   */
  startChat (input: NewChat): Promise<{ chat: Chat, token: string }>
  /**
   * The chat a second start resumes instead of queuing another (docs/features.md#one-open-chat-per-customer): a
   * signed-in customer's open chat, else the newest open one whose cookie this browser holds; undefined for none.
   */
  openChat (user: Pick<HostUser, 'id'> | null, cookies: Record<string, string | undefined>): Promise<Chat | undefined>
  /**
   * A returning customer's earlier chats, newest first (docs/features.md#earlier-chats): a signed-in customer's by
   * their account, and those whose cookies this browser holds; only chats they may open.
   */
  earlierChats (user: Pick<HostUser, 'id' | 'email'> | null, cookies: Record<string, string | undefined>): Promise<Chat[]>
  /** Makes a host ticket of a message left (docs/features.md#leave-a-message); LC_ERR_MESSAGE_NOT_SAVED, caused by the host's error, when it fails. */
  leaveMessage (input: LeftMessage): Promise<HostTicket>
}

/** Chat cookies read for an open chat, the newest first: a browser keeps each for a week, so only a few are ever open. */
const maxCookiesRead = 10

/** Earlier chats the pre-chat form lists: enough to find last week's; the desk's agents see them all. */
const earlierShown = 10

export function createCustomerService ({ host, chats, routing, fields: customFields, hours, clock = Date.now }: CustomerServiceDeps): CustomerService {
  /** Every department, in the admin's order, with its entry group and whether anyone is available there, or it is closed. */
  async function departments (): Promise<DepartmentChoice[]> {
    const states = await hours?.states()
    return await Promise.all((await routing.departments()).map(async (d): Promise<DepartmentChoice> => {
      const group = await routing.entryGroup(d.id)
      const state = states?.get(d.id)
      const closed = state && !state.open ? state : null
      const online = group !== undefined && closed === null && await routing.anyoneAvailable([group.id])
      return { id: d.id, name: d.name, groupId: group?.id ?? null, online, closed }
    }))
  }

  /** The department a form posted without choosing goes to: the first one online, else the first one. */
  const fallback = (list: DepartmentChoice[]): DepartmentChoice | undefined => list.find((d) => d.online) ?? list[0]

  /** The department to offer: the one asked for when it is in the list, else the fallback. */
  async function preferred (departmentId: number | undefined, list?: DepartmentChoice[]): Promise<KnownPlace> {
    const all = list ?? await departments()
    if (all.length === 0) return { department: null, online: await routing.anyoneAvailable() }
    const department = all.find((d) => d.id === departmentId) ?? fallback(all)!
    return { department, online: department.online }
  }

  /** What the portal link shows: whether anyone could answer a chat in some department (or anywhere, without departments). */
  async function online (list?: DepartmentChoice[]): Promise<boolean> {
    const all = list ?? await departments()
    return all.length > 0 ? all.some((d) => d.online) : await routing.anyoneAvailable()
  }

  /**
   * The chats whose cookies this browser holds, newest first, each checked against its token. A guest is known only
   * by the chats' own cookies, never by an email anyone could type.
   */
  async function * heldChats (cookies: Record<string, string | undefined>): AsyncGenerator<Chat> {
    const held = Object.entries(cookies).flatMap(([name, token]) => {
      const id = cookieChat(name)
      return id !== undefined && token ? [{ id, token }] : []
    }).sort((a, b) => b.id - a.id).slice(0, maxCookiesRead)
    for (const { id, token } of held) {
      const chat = await chats.chatForCustomer(id, token, null).catch((err: unknown) => {
        if (isCoded(err) && err.code === 'LC_ERR_CHAT_NOT_FOUND') return undefined
        throw err
      })
      // A chat the desk deleted is no longer the customer's to open.
      if (chat && chat.deletedAt == null) yield chat
    }
  }

  /** What a group's estimates are made from, read once for every waiting customer of the group. */
  async function waitBasis (groupId: number | null): Promise<WaitBasis> {
    const recentMs = await chats.recentQueueTime(groupId)
    if (recentMs === null) return { recentMs, available: 0 }
    const available = groupId === null ? (await routing.anyoneAvailable() ? 1 : 0) : await routing.availableIn(groupId)
    return { recentMs, available }
  }

  return {
    departments,
    fallback,
    preferred,
    online,
    waitBasis,

    /**
     * Resolves the department a form posted (`''` when none was) against the list shown to
     * the customer. Without any departments, chats go to the shared queue.
     */
    async place (departmentId: string, list?: DepartmentChoice[]): Promise<Place> {
      const all = list ?? await departments()
      const id = departmentId === '' ? undefined : Number(departmentId)
      if (id !== undefined && all.length > 0 && !all.some((d) => d.id === id)) return { unknown: true }
      return { unknown: false, ...await preferred(id, all) }
    },

    /**
     * Starts a chat in the department's entry group. Refuses with LC_ERR_DEPARTMENT_CLOSED
     * outside its business hours, asked again now: a form opened before closing time is
     * refused after it (docs/features.md#business-hours). Refuses with
     * LC_ERR_DEPARTMENT_OFFLINE when nobody is available there. Either way the customer is
     * offered to leave a message instead.
     */
    async startChat (input: NewChat): Promise<{ chat: Chat, token: string }> {
      const { place, fields: answers, ...fields } = input
      const state = place.department && hours ? await hours.state(place.department.id) : { open: true as const }
      if (!state.open) throw new LC_ERR_DEPARTMENT_CLOSED(place.department!.name, state.opens ? `; chat opens ${state.opens}` : '')
      if (!place.online) throw new LC_ERR_DEPARTMENT_OFFLINE(place.department?.name ?? 'Live chat')
      const started = await chats.startChat({ ...fields, groupId: place.department?.groupId ?? null })
      // Checked before the chat started; stored once it exists, as the customer's answers.
      if (answers && customFields) await customFields.saveFromCustomer(started.chat, answers)
      return started
    },

    async openChat (user, cookies) {
      const own = user ? await chats.openChatOf(user.id) : undefined
      if (own) return own
      for await (const chat of heldChats(cookies)) if (customerStillIn(chat)) return chat
      return undefined
    },

    async earlierChats (user, cookies) {
      const own = user ? (await chats.customerChats({ userId: user.id, email: user.email }, { limit: earlierShown })).chats : []
      const seen = new Set(own.map((c) => c.id))
      const held: Chat[] = []
      for await (const chat of heldChats(cookies)) if (!seen.has(chat.id)) held.push(chat)
      return [...own, ...held].sort((a, b) => b.id - a.id).slice(0, earlierShown)
    },

    /**
     * Turns a message left while chat was unavailable into a host ticket
     * (docs/features.md#leave-a-message). A failing host adapter becomes
     * LC_ERR_MESSAGE_NOT_SAVED, with the adapter's own error as its cause, so the form
     * can come back with the text kept.
     */
    async leaveMessage (input: LeftMessage): Promise<HostTicket> {
      const firstLine = input.message.split('\n')[0]!.trim()
      const summary = `Message from ${input.name}: ${firstLine.length > 120 ? `${firstLine.slice(0, 119)}…` : firstLine}`
      const description = [
        input.fromChat
          ? `Live chat #${input.fromChat.id} waited ${input.fromChat.waitedMinutes} minutes in the queue without an agent, so live chat left this message for the customer.`
          : 'Left with live chat\'s "Leave a message" form.',
        '',
        `Name: ${input.name}`,
        `Email: ${input.email}`,
        `Department: ${input.department?.name ?? '—'}`,
        '',
        input.message
      ].join('\n')
      const transcript = input.transcript ?? [{ author: 'customer' as const, authorName: input.name, at: clock(), body: input.message }]
      try {
        // Signed in, the customer; else the desk's user with the email given, else a guest with a contact.
        const requester = await findRequester(host, { user: input.customer, userId: input.customerUserId, name: input.name, email: input.email })
        return await host.createTicket({
          kind: 'ticket',
          summary,
          description,
          requesterId: requester.id,
          requester: { name: requester.name, email: requester.email },
          assigneeId: null,
          chatId: input.fromChat?.id ?? null,
          department: input.department?.name ?? null,
          channel: 'livechat',
          transcript
        })
      } catch (err) {
        throw Object.assign(new LC_ERR_MESSAGE_NOT_SAVED(), { cause: err })
      }
    }
  }
}

export interface WaitBasis {
  /** Average wait of the group's recent chats (ms), or null without any. */
  recentMs: number | null
  available: number
}

/** estimate = recent × (ahead + 1) / max(1, available agents). */
export function waitFrom (basis: WaitBasis, ahead: number): number | null {
  if (basis.recentMs === null) return null
  return basis.recentMs * (ahead + 1) / Math.max(1, basis.available)
}
