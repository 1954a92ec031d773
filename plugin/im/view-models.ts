/*
 * Data for views/im/*: the New form, a thread's page and the pop-up
 * (docs/features.md#instant-messages); the Instant Messages list is list-view-models.ts's.
 *
 * The conversation partials are shared with chat rooms (plugin/im/room-*), so their
 * models are the contract between the two; build them with the functions named here:
 *
 * - `im/message`        MessageModel = ImMessage (plugin/im/types.ts) as the service returns it.
 *                       Root `<li id="lc-im-msg-<conversationId>-<seq>" data-seq>`; the same for
 *                       every viewer (streams render it once), so "mine" is marked in the browser
 *                       from `data-author` and the scroller's `data-lc-im-me`.
 * - `im/older`          OlderModel { conversationId, url: string | null }: the loader above the
 *                       messages (`hx-trigger="intersect"` GET url), or the start of the
 *                       conversation when url is null. Root id imOlder.
 * - `im/messages`       MessagesModel { conversationId, viewerId, messages: MessageModel[], older: OlderModel }
 *                       from messagesModel(). Root: the scroller (imScroll) holding im/older and the
 *                       `<ol id="lc-im-messages-<id>" data-lc-im-seq="<id>">` the streams append to.
 * - `im/composer`       ComposerModel from composerModel(): { conversationId, domId, action,
 *                       clientMsgId, place: 'page' | 'popup', open, body, error, closedText,
 *                       maxLength }. Posts to POST /console/im/:id/messages (threads and rooms).
 *                       Root id imComposer (page) or imPopupComposer (pop-up).
 * - `im/conversation`   ConversationModel { conversationId, label, messages: MessagesModel,
 *                       composer: ComposerModel }: the Conversation (or Chat Room) tab panel, root
 *                       id imConversation, class lc-conversation (the tab switching of
 *                       public/js/console.js shows and hides it).
 * - `im/no-access`      NoAccessModel { conversationId, title, message }: replaces im/conversation
 *                       (same root id) when the viewer may no longer see the conversation
 *                       (`noAccessFragment`, which the console's socket sends too).
 * - `im/topbar`         TopbarModel { base, unread: number, counted: true } from imViews.topbar():
 *                       New ▾, Instant Messages with its unread badge, Chat Rooms, and the New
 *                       dialog and pop-up area. Any console page's topbar may include it as
 *                       `{{> im/topbar base=base}}` (not counted: the badge asks for its count).
 * - `im/header-bar`     HeaderBarModel { base, agent, links, availability, topbar }: the whole
 *                       topbar of the instant messages (and chat rooms) pages.
 * - `im/nav`            NavModel { base, current: ImListView | 'new' | 'thread', supervise, agents:
 *                       Array<AgentCard & { selected }> }: the left navigation (By agent for supervisors).
 * - `im/popup`          PopupModel from imViews.popup(): sender, the last few messages, Reply
 *                       (im/composer, place 'popup') and Open; root imPopup, pushed into imPopups.
 *
 * Each partial sent on its own is bound once below (`composerFragment`, `headerFragment`, …);
 * routes, projections and the console's socket call those.
 */
import { newClientMsgId } from '../chats/view-models.ts'
import type { Settings } from '../settings.ts'
import type { Client } from '../realtime/hub.ts'
import type { ChatService } from '../chats/service.ts'
import type { AgentScope } from '../chats/types.ts'
import { isCoded } from '../errors.ts'
import type { HostAdapter } from '../host/adapter.ts'
import type { Presence } from '../routing/service.ts'
import { fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { bind, type Fragment } from '../web/fragments.ts'
import { render } from '../web/views.ts'
import type { InviteFormState, NewImFormState } from './schemas.ts'
import type { ImService } from './service.ts'
import type { AgentCard, ConversationSummary, ImMessage, ImViewer, Participant, RelatedKind } from './types.ts'

export type { ImListView } from './lists.ts'
export type MessageModel = ImMessage

/** Messages a page shows at first, and per older page. */
export const pageOfMessages = 100
/** Messages a pop-up shows: enough to see what is being answered. */
const popupMessages = 3

export interface OlderModel { conversationId: number, url: string | null }
export interface MessagesModel { conversationId: number, viewerId: string, messages: MessageModel[], older: OlderModel }
export interface ComposerModel {
  conversationId: number
  domId: string
  action: string
  clientMsgId: string
  place: 'page' | 'popup'
  open: boolean
  body: string
  error: string | null
  closedText: string
  maxLength: string
}
export interface ConversationModel { conversationId: number, label: string, messages: MessagesModel, composer: ComposerModel }
export interface NoAccessModel { conversationId: number, title: string, message: string }
export interface Draft { body: string, error: string }

/** views/im/unread.hbs: the topbar's Instant Messages link with its badge. */
export interface UnreadModel { base: string, count: number }

/** views/im/topbar.hbs, as a page's topbar includes it (counted: the badge needs no request of its own). */
export interface TopbarModel { base: string, unread: number, counted: true }

/**
 * The console's part of the instant messages and chat rooms pages' topbar (im/header-bar):
 * the agent's availability switch. The console provides it; named here by its shape, so
 * this module needs nothing from there.
 */
export interface ConsoleFrame {
  availability (presence: Presence): Promise<object>
}

/** views/im/header.hbs: a thread's header. */
export interface HeaderModel {
  base: string
  id: number
  title: string
  status: ConversationSummary['status']
  statusLabel: string
  deleted: boolean
  related: ConversationSummary['related']
  startedByName: string
  createdAt: number
  participantCount: number
  participants: string
  note: string | null
  canJoin: boolean
  canLeave: boolean
  joinUrl: string
  leaveUrl: string
  transcriptUrl: string
}

/** views/im/popup.hbs */
export interface PopupModel {
  base: string
  conversationId: number
  title: string
  related: ConversationSummary['related']
  from: string | null
  others: string | null
  messages: Array<ImMessage & { mine: boolean }>
  openUrl: string
  composer: ComposerModel
  alert: { key: string, text: string } | null
}

type PickedAgent = AgentCard & { checked: boolean }

/** views/im/agents.hbs: the New form's agents, online and offline apart. */
export interface AgentPickerModel {
  base: string
  q: string
  chosen: PickedAgent[]
  online: PickedAgent[]
  offline: PickedAgent[]
  error: string | null
  searchError: string | null
}

/** What the New form's Related tag names, as it shows it. */
export interface RelatedTag { value: string, kind: RelatedKind, label: string, url: string }

/** views/im/new.hbs: the New form, in its dialog or on its own page. */
export interface NewImFormModel {
  base: string
  modal: boolean
  action: string
  clientMsgId: string
  related: RelatedTag | null
  relatedError: string | null
  agents: AgentPickerModel
  body: string
  bodyError: string | null
  maxLength: string
}

/** views/im/agents-tab.hbs: Active Agents. */
export interface AgentsTabModel { conversationId: number, joined: Participant[], invited: Participant[], left: Participant[] }

/** views/im/online-tab.hbs: Online Agents, with Invite. */
export interface OnlineTabModel {
  base: string
  conversationId: number
  action: string
  agents: PickedAgent[]
  canInvite: boolean
  error: string | null
}

export const composerFragment = bind('im/composer', 'outerHTML', (m: ComposerModel) => m.domId)
export const conversationFragment = bind('im/conversation', 'outerHTML', (m: ConversationModel) => targets.imConversation(m.conversationId))
/** In place of the conversation (same root id), when the viewer may no longer see it. */
export const noAccessFragment = bind('im/no-access', 'outerHTML', (m: NoAccessModel) => targets.imConversation(m.conversationId))
export const olderFragment = bind('im/older', 'outerHTML', (m: OlderModel) => targets.imOlder(m.conversationId))
export const headerFragment = bind('im/header', 'outerHTML', (m: HeaderModel) => targets.imHeader(m.id))
export const unreadFragment = bind('im/unread', 'outerHTML', (_m: UnreadModel) => targets.imUnread())
/** A new pop-up goes at the end of the pop-up area (the browser drops an older one of the same thread). */
export const newPopupFragment = bind('im/popup', 'beforeend', (_m: PopupModel) => targets.imPopups())
/** A reply's answer replaces its own pop-up. */
export const popupFragment = bind('im/popup', 'outerHTML', (m: PopupModel) => targets.imPopup(m.conversationId))
/** The New form opened in the console's dialog. */
export const newImDialogFragment = bind('im/new', 'innerHTML', (_m: NewImFormModel) => targets.imModal())
/** The New form again, after a refusal. */
export const newImFormFragment = bind('im/new', 'outerHTML', (_m: NewImFormModel) => targets.imNew())
export const agentPickerFragment = bind('im/agents', 'outerHTML', (_m: AgentPickerModel) => targets.imNewAgents())
export const agentsTabFragment = bind('im/agents-tab', 'innerHTML', (m: AgentsTabModel) => targets.imTabPanel(m.conversationId))
export const onlineTabFragment = bind('im/online-tab', 'innerHTML', (m: OnlineTabModel) => targets.imTabPanel(m.conversationId))
/** Online Agents' form alone, after Invite. */
export const inviteFragment = bind('im/online-tab', 'outerHTML', (m: OnlineTabModel) => targets.imInvite(m.conversationId))

/**
 * A run of messages, each the one message partial, added to a conversation's list wherever
 * it is shown: appended by the streams, put before the first by the older-messages loader.
 */
export function messagesFragment (conversationId: number, messages: ImMessage[], swap: 'beforeend' | 'afterbegin' = 'beforeend'): Fragment {
  return fragment(targets.imMessages(conversationId), swap, messages.map((m) => render('im/message', m)).join(''))
}

/** The loader above a conversation's first message shown: older ones load when it scrolls into view. */
export function olderModel (base: string, conversationId: number, first: ImMessage | undefined): OlderModel {
  return { conversationId, url: first && first.seq > 1 ? `${base}/console/im/${conversationId}/messages?before=${first.seq}` : null }
}

export function messagesModel (base: string, conversationId: number, viewerId: string, messages: ImMessage[]): MessagesModel {
  return { conversationId, viewerId, messages, older: olderModel(base, conversationId, messages[0]) }
}

/**
 * A conversation's reply box. `open` false shows `closedText` instead (read-only viewers,
 * deleted threads, inactive rooms). A draft re-renders it with what was typed and why it
 * was refused; a fresh one gets a new client id, so a resend of the same text is stored once.
 */
export function composerModel (base: string, conversationId: number, opts: { open: boolean, closedText?: string, place?: 'page' | 'popup', draft?: Draft, maxLength: number, clientMsgId?: string }): ComposerModel {
  const place = opts.place ?? 'page'
  return {
    conversationId,
    domId: place === 'popup' ? targets.imPopupComposer(conversationId) : targets.imComposer(conversationId),
    action: `${base}/console/im/${conversationId}/messages`,
    clientMsgId: opts.clientMsgId ?? newClientMsgId(),
    place,
    open: opts.open,
    body: opts.draft?.body ?? '',
    error: opts.draft?.error ?? null,
    closedText: opts.closedText ?? '',
    maxLength: opts.maxLength.toLocaleString('en')
  }
}

const statusLabels = { active: 'Active', inactive: 'Inactive' } as const

/** Where the viewer stands in a thread: joined now, invited and never joined, gone (joined and left), or not a participant at all. */
export function standing (s: ConversationSummary): { joined: boolean, invited: boolean, left: boolean, participant: boolean } {
  const mine = s.mine
  return {
    joined: mine !== null && mine.joinedAt !== null && mine.leftAt === null,
    invited: mine !== null && mine.joinedAt === null && mine.leftAt === null,
    left: mine !== null && mine.leftAt !== null,
    participant: mine !== null
  }
}

/** A thread's header: Related tag, who and when, Join / Leave / Transcript, and why it is read-only. */
export function headerModel (base: string, c: ConversationSummary): HeaderModel {
  const { joined, invited, left, participant } = standing(c)
  const deleted = c.deletedAt !== null
  const active = c.status === 'active'
  const note = deleted
    ? `Deleted by ${c.deletedByName ?? 'an agent'}; it waits in Deleted Items until it is purged.`
    : !participant
        ? 'You are reading this conversation as a supervisor; only its participants write in it.'
        : !active
            ? 'This conversation is inactive. Send a message to restart it.'
            : invited
              ? `${c.startedByName} invited you. Join to take part, or simply reply.`
              : left ? 'You left this conversation. Join it again, or simply reply.' : null
  const url = `${base}/console/im/${c.id}`
  return {
    base,
    id: c.id,
    title: c.title,
    status: c.status,
    statusLabel: statusLabels[c.status],
    deleted,
    related: c.related,
    startedByName: c.startedByName,
    createdAt: c.createdAt,
    participantCount: c.participantCount,
    participants: c.participants.map((p) => p.name).join(', '),
    note,
    canJoin: (invited || left) && active && !deleted,
    canLeave: joined && !deleted,
    joinUrl: `${url}/join`,
    leaveUrl: `${url}/leave`,
    transcriptUrl: `${url}/transcript`
  }
}

/** A thread's reply box: open to participants (even invited or gone: posting (re)joins) of a thread not deleted. */
export function threadComposer (base: string, c: ConversationSummary, maxLength: number, place: 'page' | 'popup' = 'page', draft?: Draft): ComposerModel {
  const deleted = c.deletedAt !== null
  const closedText = deleted
    ? `This conversation was deleted by ${c.deletedByName ?? 'an agent'}; undelete it from Deleted Items to continue it.`
    : 'Only the participants of this conversation write in it.'
  return composerModel(base, c.id, { open: standing(c).participant && !deleted, closedText, place, draft, maxLength })
}

/** An excerpt for a list row or a pop-up: the start of the text, on one line. */
export function excerpt (body: string, max = 80): string {
  const chars = [...body.replace(/\s+/g, ' ').trim()]
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('')
}

/**
 * The viewer of an agent's socket: as read when it opened, or, for a socket opened without
 * one, a minimal one from its scope (threads are visible to their participants whatever
 * else the viewer may do).
 */
export function socketViewer (client: Client): ImViewer {
  if (client.imViewer) return client.imViewer
  const scope = client.scope!
  return { id: scope.id, name: scope.name, roles: [], supervise: scope.supervise, delete: scope.delete === true, manageRooms: false, scope }
}

export interface ImViewsDeps {
  base: string
  im: Pick<ImService, 'agentDirectory' | 'unreadTotal' | 'messages' | 'messagesBetween' | 'get' | 'onlineAgents'>
  host: Pick<HostAdapter, 'getUser' | 'getTicket'>
  chats: Pick<ChatService, 'chatForAgent'>
  settings: Pick<Settings, 'maxMessageLength'>
}

export interface ImViews {
  threadUrl (id: number): string
  /**
   * The New form's agent picker: online and offline agents apart, ticked ones kept ticked
   * and shown even when the search no longer finds them.
   */
  picker (viewer: ImViewer, q: string, ticked: string[], error?: string | null): Promise<AgentPickerModel>
  /**
   * What `related` names, for the New form's Related tag before the thread exists: a chat
   * the viewer may see, or a ticket the help desk has. The service checks again on Send.
   */
  relatedTag (raw: string | undefined, scope: AgentScope): Promise<RelatedTag | { error: string } | null>
  /** The New form (modal or page): everything typed is kept, each refusal beside its field. */
  newForm (viewer: ImViewer, state: NewImFormState): Promise<NewImFormModel>
  /** The topbar badge: the viewer's unread messages in threads and rooms they joined. */
  unread (agentId: string): Promise<UnreadModel>
  topbar (agentId: string): Promise<TopbarModel>
  /** The Conversation tab: the last page of messages, older ones on scroll, and the reply box. */
  conversation (viewer: ImViewer, c: ConversationSummary, draft?: Draft): Promise<ConversationModel>
  /** A thread's reply box on its page, open or closed as the viewer stands. */
  composer (c: ConversationSummary, place?: 'page' | 'popup', draft?: Draft): ComposerModel
  /** The pop-up a recipient gets: who wrote, the last few messages up to `upToSeq`, Reply and Open. */
  popup (viewer: ImViewer, conversationId: number, upToSeq: number, draft?: Draft): Promise<PopupModel>
  /** Active Agents: who is in the thread now, who was invited and has not joined, who left. */
  agentsTab (c: ConversationSummary, all: Participant[]): AgentsTabModel
  /** Online Agents: agents with the console open now who are not in the thread, to invite; after a refused Invite, the ticks and the reason. */
  onlineTab (viewer: ImViewer, c: ConversationSummary, state?: InviteFormState): Promise<OnlineTabModel>
}

export function createImViews ({ base, im, host, chats, settings }: ImViewsDeps): ImViews {
  const threadUrl = (id: number): string => `${base}/console/im/${id}`

  /** The names of agents by id, for ticks whose agents a search no longer lists. */
  async function cards (ids: string[], known: AgentCard[]): Promise<AgentCard[]> {
    const byId = new Map(known.map((a) => [a.agentId, a]))
    return await Promise.all(ids.map(async (id) => byId.get(id) ?? { agentId: id, name: (await host.getUser(id))?.name ?? id, online: false }))
  }

  async function picker (viewer: ImViewer, q: string, ticked: string[], error: string | null = null): Promise<AgentPickerModel> {
    const typed = q.trim()
    let searchError: string | null = null
    let found: { online: AgentCard[], offline: AgentCard[] }
    try {
      found = await im.agentDirectory(viewer, typed === '' ? undefined : typed)
    } catch (err) {
      // A search that cannot be run: every agent, and the reason beside the box.
      if (!isCoded(err) || err.code !== 'LC_ERR_SEARCH_TEXT_LONG') throw err
      searchError = err.message
      found = await im.agentDirectory(viewer)
    }
    const listed = new Set([...found.online, ...found.offline].map((a) => a.agentId))
    const missing = ticked.filter((id) => !listed.has(id))
    const all = missing.length > 0 ? await im.agentDirectory(viewer) : { online: [], offline: [] }
    const chosen = await cards(missing, [...all.online, ...all.offline])
    const mark = (a: AgentCard): PickedAgent => ({ ...a, checked: ticked.includes(a.agentId) })
    return {
      base,
      q,
      chosen: chosen.map(mark),
      online: found.online.map(mark),
      offline: found.offline.map(mark),
      error,
      searchError
    }
  }

  async function relatedTag (raw: string | undefined, scope: AgentScope): Promise<RelatedTag | { error: string } | null> {
    if (raw === undefined || raw === '') return null
    const [kind, ref] = raw.split(/:(.*)/s) as [RelatedKind, string]
    if (kind === 'chat') {
      try {
        const chat = await chats.chatForAgent(Number(ref), scope)
        return { value: raw, kind, label: `Chat #${chat.id} · ${chat.customerName}`, url: `${base}/console/chats/${chat.id}` }
      } catch (err) {
        if (isCoded(err) && err.statusCode === 404) return { error: `Chat #${ref} does not exist, or you may not see it; start the message from the chat itself` }
        throw err
      }
    }
    const ticket = await host.getTicket(ref)
    if (!ticket) return { error: `There is no ticket ${ref}; start the message from the ticket's page` }
    return { value: raw, kind, label: ticket.summary ? `${ticket.ref} · ${ticket.summary}` : ticket.ref, url: ticket.url }
  }

  function composer (c: ConversationSummary, place: 'page' | 'popup' = 'page', draft?: Draft): ComposerModel {
    return threadComposer(base, c, settings.maxMessageLength, place, draft)
  }

  return {
    threadUrl,
    picker,
    relatedTag,
    composer,

    async newForm (viewer, { values, errors }) {
      // A refused Related tag is left out of the form again: the reason stands in its place.
      const related = await relatedTag(errors.related ? undefined : values.related, viewer.scope)
      return {
        base,
        modal: values.modal ?? false,
        action: `${base}/console/im`,
        clientMsgId: values.client_msg_id || newClientMsgId(),
        related: related && 'label' in related ? related : null,
        relatedError: errors.related?.message ?? (related && 'error' in related ? related.error : null),
        agents: await picker(viewer, values.q ?? '', values.agent_ids ?? [], errors.agent_ids?.message ?? null),
        body: values.body ?? '',
        bodyError: errors.body?.message ?? null,
        maxLength: settings.maxMessageLength.toLocaleString('en')
      }
    },

    async unread (agentId) {
      return { base, count: await im.unreadTotal(agentId) }
    },

    async topbar (agentId) {
      return { base, unread: await im.unreadTotal(agentId), counted: true }
    },

    async conversation (viewer, c, draft) {
      const messages = await im.messages(viewer, c.id, { limit: pageOfMessages })
      return {
        conversationId: c.id,
        label: `Conversation with ${c.title}`,
        messages: messagesModel(base, c.id, viewer.id, messages),
        composer: composer(c, 'page', draft)
      }
    },

    async popup (viewer, conversationId, upToSeq, draft) {
      const c = await im.get(viewer, conversationId)
      const recent = await im.messagesBetween(conversationId, Math.max(0, upToSeq - popupMessages), upToSeq)
      const last = recent.at(-1)
      const from = last && last.kind === 'text' && last.authorId !== viewer.id ? last.authorName : null
      return {
        base,
        conversationId,
        title: c.title,
        related: c.related,
        from,
        // "with …" only where it says more than the sender's name (a thread of three or more).
        others: from !== null && from !== c.title ? c.title : null,
        messages: recent.map((m) => ({ ...m, mine: m.authorId === viewer.id })),
        openUrl: `${base}/console/im/${conversationId}`,
        composer: composer(c, 'popup', draft),
        // The sound and desktop notification of a message from someone else (the Alerts choice "An instant message arrives").
        alert: from !== null && last ? { key: `${conversationId}.${last.seq}`, text: `${from}: ${excerpt(last.body)}` } : null
      }
    },

    agentsTab (c, all) {
      const byName = (a: Participant, b: Participant) => a.name.localeCompare(b.name)
      return {
        conversationId: c.id,
        joined: all.filter((p) => p.joinedAt !== null && p.leftAt === null).sort(byName),
        invited: all.filter((p) => p.joinedAt === null && p.leftAt === null).sort(byName),
        left: all.filter((p) => p.leftAt !== null).sort(byName)
      }
    },

    async onlineTab (viewer, c, state) {
      const online = await im.onlineAgents(viewer, c.id)
      const { participant } = standing(c)
      const ticked = state?.values.agent_ids ?? []
      return {
        base,
        conversationId: c.id,
        action: `${threadUrl(c.id)}/invite`,
        agents: online.map((a) => ({ ...a, checked: ticked.includes(a.agentId) })),
        canInvite: participant && c.status === 'active' && c.deletedAt === null,
        error: state?.errors.agent_ids?.message ?? null
      }
    }
  }
}
