import type { ChatService } from '../chats/service.ts'
import type { Settings } from '../settings.ts'
import { type AgentScope, type Chat, ChatStatus, mayDelete, type Message, sees } from '../chats/types.ts'
import { coachingModel, composerModel, statusLabels } from '../chats/view-models.ts'
import type { HostAdapter } from '../host/adapter.ts'
import { type Fragment, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import type { Presence, RoutingService } from '../routing/service.ts'
import { bind } from '../web/fragments.ts'
import type { Views } from '../web/views.ts'
import { createCustomerPanel } from './customer-panel.ts'
import { idleState, type SinceSignal, sinceSignal } from './list-view-models.ts'
import { chatTabs } from './tabs.ts'

export type ConsoleViews = ReturnType<typeof createConsoleViews>

/** views/console/chat-pane.hbs in place of the chat's pane (undeleted, it is the chat again). */
export const chatPaneFragment = bind('console/chat-pane', 'outerHTML', (m: { chat: Pick<Chat, 'id'> }) => targets.chat(m.chat.id))
/** views/console/deleted-pane.hbs in place of the chat's pane: the deleted chat, read-only, with Undelete. */
export const deletedPaneFragment = bind('console/deleted-pane', 'outerHTML', (m: { chat: Pick<Chat, 'id'> }) => targets.chat(m.chat.id))
/** views/console/chat-pane.hbs after the open panes: a chat the agent has just accepted. */
export const newPaneFragment = bind('console/chat-pane', 'beforeend', (_m: { chat: Pick<Chat, 'id'> }) => targets.panes())
/** views/console/pane-slot.hbs: a chat of the console whose pane is not drawn until it is shown. */
export interface PaneSlotModel { base: string, chat: Pick<Chat, 'id' | 'customerName' | 'lastSeq' | 'customerReadSeq'> }
/** views/console/transfer-form.hbs in the chat's tools slot: the form, or the form again with why a target was refused. */
export const transferFormFragment = bind('console/transfer-form', 'innerHTML', (m: { chatId: number }) => targets.chatTools(m.chatId))
/** views/console/customer-panel.hbs: the Customer tab. */
export const customerTabFragment = bind('console/customer-panel', 'innerHTML', (m: { chatId: number }) => targets.tabPanel(m.chatId))
/** views/console/history-tab.hbs: the History tab. */
export const historyTabFragment = bind('console/history-tab', 'innerHTML', (m: { chatId: number }) => targets.tabPanel(m.chatId))
/** views/console/alert-prefs.hbs: the Alerts form, saved. */
/** The console's overlays, fetched on first use (views/console/overlays.hbs). */
export const overlaysFragment = bind('console/overlays', 'innerHTML', (_m: { base: string }) => targets.overlays())

export const alertPrefsFragment = bind('console/alert-prefs', 'outerHTML', (_m: { saved: boolean }) => targets.alertPrefs())

/** views/console/queue-row.hbs: a chat waiting in the Queue, the same for everyone who works its group. */
export interface QueueRowModel extends Chat { base: string, groupLabel: string | null, now: number, waiting: SinceSignal }
/** views/console/transferred-row.hbs: a transfer waiting, with whom it is for in the viewer's words ("you"). */
export interface TransferredRowModel extends Chat { base: string, now: number, waiting: SinceSignal, fromName: string | null, toName: string | null }
/** A row of views/console/my-active.hbs: the chat, its clocks and its unread badge. */
export interface MyActiveRowModel { id: number, customerName: string, unread: number, customerLeft: boolean, duration: SinceSignal, idle: SinceSignal }
/** views/console/list-count.hbs: the number beside a list's title. */
export interface ListCountModel { id: string, n: number }
/** views/console/counter.hbs: one live counter; without `href` it is a figure, not a link. */
export interface CounterModel { id: string, label: string, n: number, href?: string, alert?: boolean, title?: string }

/** A row pushed into its list: after the rows there, which the browser then puts oldest first (public/js/console.js). */
export const queueRowFragment = bind('console/queue-row', 'beforeend', (_m: QueueRowModel) => targets.queueRows())
export const transferredRowFragment = bind('console/transferred-row', 'beforeend', (_m: TransferredRowModel) => targets.transferredRows())
export const listCountFragment = bind('console/list-count', 'outerHTML', (m: ListCountModel) => m.id)
export const counterFragment = bind('console/counter', 'outerHTML', (m: CounterModel) => m.id)

/** The live counters (views/console/counters.hbs): Queue, Transferred, Unread, and for supervisors Unassigned. */
export function counterItems ({ queue, transferred, unread, supervise }: { queue: number, transferred: number, unread: number, supervise: boolean }): CounterModel[] {
  const items: CounterModel[] = [
    { id: targets.counterQueue(), href: `#${targets.queue()}`, label: 'Queue', n: queue, alert: queue > 0 },
    { id: targets.counterTransferred(), href: `#${targets.transferred()}`, label: 'Transferred', n: transferred, alert: transferred > 0 },
    { id: targets.counterUnread(), href: `#${targets.myActive()}`, label: 'Unread', n: unread, alert: unread > 0 }
  ]
  if (supervise) items.push({ id: targets.counterUnassigned(), label: 'Unassigned', n: queue + transferred, title: 'Unassigned chats across your groups' })
  return items
}

/**
 * What a queue change moves besides its rows: the numbers beside Queue and Transferred and the
 * counters of theirs (Unread is the agent's own, and moves with their chats).
 */
export function queueCountFragments (counts: { queue: number, transferred: number }, supervise: boolean): Fragment[] {
  const items = counterItems({ ...counts, unread: 0, supervise }).filter((c) => c.id !== targets.counterUnread())
  return [
    listCountFragment({ id: targets.queueCount(), n: counts.queue }),
    listCountFragment({ id: targets.transferredCount(), n: counts.transferred }),
    ...items.map(counterFragment)
  ]
}

/** The alerts an agent can turn off (sound and desktop notification together), all on until they do. */
export const alertKinds = [
  { id: 'queued', label: 'A chat joins my queue' },
  { id: 'assigned', label: 'A chat is assigned to me' },
  { id: 'transferred', label: 'A chat is transferred to me' },
  { id: 'message', label: 'A message arrives in a chat not on screen' },
  { id: 'im', label: 'An instant message arrives' }
] as const
export type AlertKind = typeof alertKinds[number]['id']
export type AlertChoices = Record<AlertKind, boolean>
export const notificationsKey = 'notifications'

/** Stored choices, read defensively: anything unknown or missing counts as on. */
export function readAlertChoices (stored: unknown): AlertChoices {
  const saved = (stored && typeof stored === 'object' ? stored : {}) as Record<string, unknown>
  return Object.fromEntries(alertKinds.map((k) => [k.id, saved[k.id] !== false])) as AlertChoices
}

/**
 * What other capabilities add to a chat's pane: the custom field values line atop the
 * conversation (plugin/fields) and the header's Actions menu of manual events (plugin/manual-events,
 * null where the viewer may not perform them).
 */
export interface PaneExtras {
  fieldValues: (chatId: number) => Promise<object>
  actions: (chat: Chat, viewer: AgentScope | string) => Promise<object | null>
  /** The header's Create Ticket menu (plugin/tickets), null where the viewer may not make one. */
  tickets?: (chat: Chat, viewer: AgentScope | string) => object | null
}

/** Data for the console's partials, shared by its page, its htmx answers and its socket pushes. */
export interface ConsoleViewsDeps {
  base: string
  chats: ChatService
  routing: RoutingService
  host: HostAdapter
  views: Views
  clock?: () => number
  paneExtras?: PaneExtras
  minutesLogged?: Parameters<typeof createCustomerPanel>[0]['minutesLogged']
  settings: Pick<Settings, 'purgeAfterDays' | 'idleWarningSeconds' | 'idleHighSeconds'>
}

export function createConsoleViews ({ base, chats, routing, host, views, clock = Date.now, paneExtras, minutesLogged, settings }: ConsoleViewsDeps) {
  const names = new Map<string, string>()
  async function agentName (id: string | null): Promise<string | null> {
    if (!id) return null
    if (!names.has(id)) names.set(id, (await host.getUser(id))?.name ?? 'Unknown agent')
    return names.get(id)!
  }

  async function groupLabel (groupId: number | null): Promise<string | null> {
    if (groupId === null) return null
    try {
      const g = await routing.group(groupId)
      return `${g.departmentName} / ${g.name}`
    } catch {
      return null
    }
  }

  const unread = (chat: Chat): number => Math.max(0, chat.lastSeq - chat.agentReadSeq)
  const customer = createCustomerPanel({ base, chats, host, agentName, clock, minutesLogged })

  async function pane (chat: Chat, viewer: AgentScope | string, messages?: Message[], isNew = false) {
    const viewerId = typeof viewer === 'string' ? viewer : viewer.id
    const supervise = typeof viewer !== 'string' && viewer.supervise && sees(viewer, chat.groupId)
    const active = chat.status === ChatStatus.active
    const mine = chat.agentId === viewerId
    const now = clock()
    // Every read the pane needs at once: on MySQL/MariaDB each is a round trip, and in series
    // they were most of the console page's wait (docs/design.md §9).
    const [agentOf, groupOf, returning, transferBy, fieldValues, manualEvents, shown] = await Promise.all([
      agentName(chat.agentId),
      groupLabel(chat.groupId),
      customer.returning(chat),
      chat.transferredBy && chat.transferredAt && (mine || supervise) ? agentName(chat.transferredBy) : null,
      paneExtras ? paneExtras.fieldValues(chat.id) : null,
      paneExtras ? paneExtras.actions(chat, viewer) : null,
      messages ?? chats.messages(chat.id)
    ])
    return {
      base,
      chat,
      isNew,
      // The header's running clocks; an ended chat says how long it lasted instead.
      signals: chat.endedAt === null
        ? { clock: listClock(now), duration: sinceSignal(chat.createdAt, now), idle: active ? running(chat, now).idle : null }
        : null,
      tabs: chatTabs,
      statusLabel: statusLabels[chat.status],
      agentName: agentOf,
      groupLabel: groupOf,
      // The customer has chatted before: a line at the top of the conversation.
      returning,
      customerLeft: chat.customerLeftAt !== null && active,
      // The customer's window has been closed for the grace period (the customer-gone job).
      customerGone: chat.customerGoneAt !== null && chat.customerLeftAt === null && active,
      transfer: chat.transferredBy && chat.transferredAt && (mine || supervise)
        ? { by: transferBy, at: chat.transferredAt, comment: chat.transferComment }
        : null,
      // Coaching: the supervisor watching, and the agent answering them.
      coaching: active && (mine || supervise) ? coachingModel(chat.id) : null,
      canTransfer: active && (mine || supervise),
      canTake: active && !mine && supervise,
      // End Chat sits in the header, confirmed, for the one whose reply box is open.
      canEnd: active && mine,
      fieldValues,
      manualEvents,
      ticketMenu: paneExtras?.tickets ? paneExtras.tickets(chat, viewer) : null,
      // Email Transcript is offered only where the host can send mail (HostAdapter.sendMail is optional).
      canEmailTranscript: typeof host.sendMail === 'function',
      // Delete: a closed chat of the viewer's own, or any they see with livechat.delete.
      canDelete: typeof viewer !== 'string' && mayDelete(chat, viewer),
      purgeAfterDays: settings.purgeAfterDays,
      messages: shown,
      composer: composerModel(base, chat, 'agent', viewerId)
    }
  }

  /**
   * The console page's panes (docs/features.md#chat-pane): the first of the agent's active
   * chats drawn whole, the one shown on opening; every other one a slot that loads its pane
   * from GET /console/chats/:id/pane when shown, so the page costs one pane and no
   * statement per chat however many the agent holds.
   */
  async function panes (active: Chat[], viewer: AgentScope) {
    const [first, ...rest] = active
    const shown = first ? [{ pane: await pane(first, viewer), slot: null }] : []
    const slots = rest.map((chat) => ({ pane: null, slot: { base, chat } satisfies PaneSlotModel }))
    return [...shown, ...slots]
  }

  // A row carries the server's clock itself: pushed long after the page was drawn, it cannot
  // measure its waiting time against the list's (docs/features.md#queue-and-transferred).
  async function queueRow (c: Chat): Promise<QueueRowModel> {
    const now = clock()
    return { ...c, base, groupLabel: await groupLabel(c.groupId), now, waiting: waiting(c, now) }
  }

  async function transferredRow (c: Chat, viewerId: string): Promise<TransferredRowModel> {
    const now = clock()
    return {
      ...c,
      base,
      now,
      waiting: waiting(c, now),
      fromName: await agentName(c.transferredBy),
      toName: c.transferredTo === null ? await groupLabel(c.groupId) : c.transferredTo === viewerId ? 'you' : await agentName(c.transferredTo)
    }
  }

  /**
   * The sidebar's signals (docs/features.md#queue-and-transferred): how long the customer
   * has waited, from their start and across transfers, coloured by the idle thresholds;
   * for an active chat, how long it has run and how long since its agent last wrote.
   */
  function waiting (chat: Chat, now: number): SinceSignal {
    return sinceSignal(chat.createdAt, now, settings.idleWarningSeconds * 1000, Math.max(settings.idleHighSeconds, settings.idleWarningSeconds) * 1000)
  }
  function running (chat: Chat, now: number): { duration: SinceSignal, idle: SinceSignal } {
    const warn = settings.idleWarningSeconds * 1000
    const high = Math.max(settings.idleHighSeconds, settings.idleWarningSeconds) * 1000
    const idle = idleState(chat, now, warn, high)
    return {
      duration: sinceSignal(chat.createdAt, now),
      idle: sinceSignal(idle.from ?? now, now, warn, high)
    }
  }

  /** What a list's durations are measured against, once on its root: the server's clock and the idle thresholds. */
  function listClock (now: number) {
    return { now, warn: settings.idleWarningSeconds * 1000, high: Math.max(settings.idleHighSeconds, settings.idleWarningSeconds) * 1000 }
  }

  async function queues (scope: AgentScope) {
    const { queue: queued, transferred, counts } = await chats.waiting(scope)
    const clockNow = listClock(clock())
    return {
      queue: { base, chats: await Promise.all(queued.map(queueRow)), count: { id: targets.queueCount(), n: counts.queue }, clock: clockNow },
      transferred: { base, chats: await Promise.all(transferred.map(async (c) => await transferredRow(c, scope.id))), count: { id: targets.transferredCount(), n: counts.transferred }, clock: clockNow },
      counts
    }
  }

  /**
   * My Active and My Completed, one statement each. A row carries only what its partial
   * shows, not a copy of the chat, and My Completed reads no more than that (docs/design.md
   * §9); `active` is the chats as read, which the page's panes are drawn from.
   */
  async function lists (agentId: string) {
    const [active, completed] = await Promise.all([chats.agentChats(agentId, 'active'), chats.completedRows(agentId)])
    const now = clock()
    const rows: MyActiveRowModel[] = active.map((c) => ({ id: c.id, customerName: c.customerName, unread: unread(c), customerLeft: c.customerLeftAt !== null, ...running(c, now) }))
    return {
      active,
      myActive: { base, chats: rows, unread: rows.reduce((n, c) => n + c.unread, 0), clock: listClock(now) },
      myCompleted: { base, chats: completed }
    }
  }

  function counters (scope: AgentScope, counts: { queue: number, transferred: number }, unreadTotal: number) {
    const model = { queue: counts.queue, transferred: counts.transferred, unread: unreadTotal, supervise: scope.supervise }
    return { ...model, unassigned: counts.queue + counts.transferred, items: counterItems(model) }
  }

  /** The availability switch and limit; `limit` where the caller has read the agent's groups already (AgentScope.limit). */
  async function availability (p: Presence, known?: number) {
    const limit = known ?? (await routing.agentGroups(p.agentId)).limit
    const n = p.maxChats > 0 ? Math.min(p.maxChats, limit) : limit
    return {
      base,
      available: p.status === 'available',
      limit,
      options: Array.from({ length: limit }, (_, i) => ({ n: i + 1, selected: i + 1 === n }))
    }
  }

  /** The transfer form: groups by department, and every active member with whether they are taking chats now. */
  async function transferForm (chat: Chat, values: { groupId?: string, agent?: string, comment?: string } = {}, error: string | null = null) {
    const [groups, members] = await Promise.all([routing.groups(), routing.members()])
    const open = groups.filter((g) => g.enabled)
    const departments = [...new Set(open.map((g) => g.departmentName))].map((name) => ({
      name,
      groups: open.filter((g) => g.departmentName === name).map((g) => ({ id: g.id, name: g.name, selected: String(g.id) === (values.groupId ?? String(chat.groupId)) }))
    }))
    const agentIds = [...new Set(members.filter((m) => m.active && m.agentId !== chat.agentId).map((m) => m.agentId))]
    const agents = await Promise.all(agentIds.map(async (id) => {
      const [name, p] = await Promise.all([agentName(id), routing.presence(id)])
      const inGroups = members.filter((m) => m.agentId === id && m.active).map((m) => open.find((g) => g.id === m.groupId)?.name).filter(Boolean)
      return { id, name, groups: inGroups.join(', '), state: p.status === 'available' ? 'available' : 'not available', selected: values.agent === id }
    }))
    agents.sort((a, b) => String(a.name).localeCompare(String(b.name)))
    return {
      base,
      chatId: chat.id,
      departments,
      agents,
      auto: values.agent === 'auto',
      comment: values.comment ?? '',
      error
    }
  }

  /** One history row in words (the History tab: every action with who and when). */
  async function describe (action: string, data: Record<string, unknown>): Promise<string> {
    const name = async (id: unknown): Promise<string> => typeof id === 'string' ? (await agentName(id)) ?? 'an agent' : 'an agent'
    const group = async (id: unknown): Promise<string> => typeof id === 'number' ? (await groupLabel(id)) ?? `group ${id}` : 'the queue'
    const by = (author: unknown): string => typeof author === 'string' ? ` by ${author}` : ''
    const quoted = (text: unknown): string => typeof text === 'string' && text !== '' ? `: “${text}”` : ''
    switch (action) {
      case 'started': return `Started the chat from the ${String(data.source ?? 'portal')}, in ${await group(data.groupId)}`
      case 'accepted': return data.transferredBy ? `Accepted the chat transferred by ${await name(data.transferredBy)}` : 'Accepted the chat from the queue'
      case 'assigned': return 'Was given the chat by round robin'
      case 'transferred': {
        const to = data.toAgent ? await name(data.toAgent) : data.auto ? `the next available agent of ${await group(data.toGroup)}` : await group(data.toGroup)
        return `Transferred the chat to ${to}${data.comment ? `: “${String(data.comment)}”` : ''}`
      }
      case 'taken': return `Took the chat over from ${await name(data.from)}`
      case 'reoffered': {
        // How many offers in a row the agent had missed, and whether that made them unavailable (docs/features.md#re-offer).
        const missed = typeof data.missed === 'number' ? data.missed : 0
        const of = typeof data.limit === 'number' && data.limit > 0 ? ` of ${data.limit}` : ''
        let run = ''
        if (data.madeUnavailable === true) run = `; ${missed} missed in a row, so they were made unavailable`
        else if (missed > 0) run = `; ${missed}${of} missed in a row`
        return `Gave the chat back to distribution: ${await name(data.agent)} did not answer within ${Math.round(Number(data.afterMs ?? 0) / 1000)} seconds${run}`
      }
      case 'customer_left': return 'Left the chat (End user has cancelled chat)'
      case 'customer_gone': return `Closed the chat window: shown as Customer left after ${String(data.afterSeconds ?? '')} seconds without it`
      case 'customer_back': return 'Came back to the chat window'
      case 'cancelled': return 'Left the queue before an agent joined'
      case 'ended': return 'Ended the chat'
      // The scheduled jobs (plugin/jobs): idle end and queue timeout.
      case 'idle_ended': return `Ended the chat automatically: the customer had left ${String(data.leftMinutes ?? '')} minutes before (after ${String(data.afterMinutes ?? '')} minutes gone, chats end)`
      case 'queue_timed_out': return `Closed the chat after ${String(data.waitedMinutes ?? '')} minutes in the queue with no agent, and made ticket ${String(data.ticket ?? '')} from the customer's question`
      // Delete and Undelete (Deleted Items): the Who column names the agent.
      case 'deleted': return 'Deleted the chat: it went to Deleted Items'
      case 'undeleted': return 'Restored the chat from Deleted Items (undeleted)'
      // Tickets from the transcript and Abandon (plugin/tickets).
      case 'ticket_created': return `Created ${String(data.kind ?? 'ticket').replace('_', ' ')} ${String(data.ref ?? '')} from the transcript${typeof data.template === 'string' ? ` with the template “${data.template}”` : ''}`
      case 'abandoned': return `Abandoned the chat${Array.isArray(data.tickets) && data.tickets.length > 0 ? `; set ${data.tickets.join(', ')} to ${String(data.status ?? 'Cancelled')} (${String(data.reason ?? '')})` : ''}`
      // Comments (plugin/comments): whose comment, and the start of its text.
      case 'comment_added': return `Added a comment${data.resolution === true ? ' and marked it as the resolution' : ''}${quoted(data.excerpt)}`
      case 'comment_edited': return `Edited a comment${by(data.author)}${quoted(data.excerpt)}`
      case 'comment_deleted': return `Deleted a comment${by(data.author)}${data.wasResolution === true ? ', the resolution' : ''}${quoted(data.excerpt)}`
      case 'resolution_marked': return `Marked a comment${by(data.author)} as the resolution${typeof data.replaced === 'string' ? `, in place of one by ${data.replaced}` : ''}`
      case 'resolution_unmarked': return `Unmarked a comment${by(data.author)} as the resolution`
      // The Add menu (plugin/items): tasks, time and call logs, related tickets.
      case 'item_added': return `Added ${String(data.label ?? 'a related item')}`
      case 'item_deleted': return `Deleted ${String(data.label ?? 'a related item')}${by(data.author)}`
      case 'task_done': return `Marked task “${String(data.title ?? '')}” done`
      case 'task_reopened': return `Marked task “${String(data.title ?? '')}” not done`
      // Custom fields (plugin/fields) and manual events (plugin/manual-events).
      case 'field_set': return `Set ${String(data.label ?? 'a custom field')} to ${String(data.value ?? '')}`
      case 'field_cleared': return `Cleared ${String(data.label ?? 'a custom field')}`
      case 'manual_event': return `Performed manual event ${String(data.name ?? '')}${data.agentsOnly === true ? ' (agents only)' : ''}`
      // The Resources panel (plugin/resources): knowledge articles shared and pinned.
      case 'article_shared': return `Shared the knowledge article “${String(data.title ?? '')}” with the customer`
      case 'article_pinned': return `Pinned the knowledge article “${String(data.title ?? '')}”`
      case 'article_unpinned': return `Unpinned the knowledge article “${String(data.title ?? '')}”${typeof data.pinnedBy === 'string' ? `, pinned by ${data.pinnedBy}` : ''}`
      // Surveys and transcripts (plugin/surveys, plugin/transcripts).
      case 'survey_received': return `Rated the chat ${String(data.rating)} of 5${quoted(data.excerpt)}`
      case 'transcript_emailed': return `Emailed the transcript to ${String(data.to)}`
      default: return action.replace(/_/g, ' ')
    }
  }

  /** The History tab's data: every recorded action, oldest first. */
  async function history (chatId: number) {
    const rows = await chats.history(chatId)
    const entries = await Promise.all(rows.map(async (r) => ({
      at: r.created_at,
      who: r.actor_name,
      what: await describe(r.action, r.data ? JSON.parse(r.data) as Record<string, unknown> : {})
    })))
    return { chatId, entries }
  }

  /**
   * A deleted chat where its pane was, or its read-only view from Deleted Items: who deleted
   * it and when, and, for a viewer who may undelete it (whose Deleted Items holds it), when
   * it will be purged, the Undelete button, its transcript and History. Anyone else sees
   * only that it was deleted.
   */
  async function deletedPane (chat: Chat, deletedBy: string, viewer: AgentScope) {
    const full = mayDelete(chat, viewer)
    const deletedAt = chat.deletedAt ?? clock()
    return {
      base,
      chat,
      full,
      deletedBy,
      deletedAt,
      purgeAt: deletedAt + settings.purgeAfterDays * 86_400_000,
      statusLabel: statusLabels[chat.status],
      agentName: full ? await agentName(chat.agentId) : null,
      groupLabel: full ? await groupLabel(chat.groupId) : null,
      messages: full ? await chats.messages(chat.id) : [],
      history: full ? await history(chat.id) : null
    }
  }

  return {
    pane,
    panes,
    deletedPane,
    /** The Customer tab (docs/features.md#customer-details). */
    customerPanel: customer.panel,
    transferForm,

    /** The Alerts form and the switches the browser reads before making a sound. */
    alerts (choices: AlertChoices, saved = false) {
      return { base, saved, kinds: alertKinds.map((k) => ({ ...k, on: choices[k.id] })) }
    },

    /** The History tab: every recorded action, oldest first. */
    history,
    lists,
    queues,
    queueRow,
    transferredRow,
    counters,
    availability,

    /** The whole console page's lists for one agent. */
    async page (scope: AgentScope) {
      const [q, l] = await Promise.all([queues(scope), lists(scope.id)])
      return { ...q, ...l, counters: counters(scope, q.counts, l.myActive.unread) }
    },

    /**
     * The console page's lists and its panes (drawn from My Active's own rows, no second
     * read). Each read starts as soon as what it needs is known rather than after the reads
     * before it: the agent's own lists need only their id, so they go beside the read of
     * their groups (`scope`, still under way); the queues follow the groups, and the first
     * pane's reads follow My Active and the groups, beside the queues'. On MySQL/MariaDB,
     * where each read is a round trip, the page waits on four in series, the sign-in
     * check's two included, where it waited on nine (docs/design.md §9).
     */
    async pageWithPanes (agentId: string, scope: Promise<AgentScope>) {
      const mine = lists(agentId)
      const [viewer, q, l, shown] = await Promise.all([
        scope,
        scope.then(queues),
        mine,
        Promise.all([mine, scope]).then(async ([l, viewer]) => await panes(l.active, viewer))
      ])
      return { ...q, ...l, counters: counters(viewer, q.counts, l.myActive.unread), panes: shown }
    },

    async availabilityFragment (p: Presence): Promise<Fragment> {
      return fragment(targets.availability(), 'outerHTML', views.render('console/availability', await availability(p)))
    },

    /** My Active, My Completed and the counters: what changes when the agent's own chats change. */
    async listFragments (scope: AgentScope): Promise<Fragment[]> {
      const [{ myActive, myCompleted }, counts] = await Promise.all([lists(scope.id), chats.counts(scope)])
      return [
        fragment(targets.myActive(), 'outerHTML', views.render('console/my-active', myActive)),
        fragment(targets.myCompleted(), 'outerHTML', views.render('console/my-completed', myCompleted)),
        fragment(targets.counters(), 'outerHTML', views.render('console/counters', counters(scope, counts, myActive.unread)))
      ]
    },

    /** Queue, Transferred and the counters: what changes when a chat joins or leaves a queue the agent works. */
    async queueFragments (scope: AgentScope): Promise<Fragment[]> {
      const [q, l] = await Promise.all([queues(scope), lists(scope.id)])
      return [
        fragment(targets.queue(), 'outerHTML', views.render('console/queue', q.queue)),
        fragment(targets.transferred(), 'outerHTML', views.render('console/transferred', q.transferred)),
        fragment(targets.counters(), 'outerHTML', views.render('console/counters', counters(scope, q.counts, l.myActive.unread)))
      ]
    },

    /**
     * The parts of an open pane that change with the chat's state: header and composer.
     * The composer is replaced only when it opens or closes for this viewer, so a draft
     * being typed is never wiped.
     */
    async paneStateFragments (chat: Chat, viewer: AgentScope | string, composerChanged = false): Promise<Fragment[]> {
      const model = await pane(chat, viewer, [])
      const parts = [fragment(targets.chatHeader(chat.id), 'outerHTML', views.render('console/chat-header', model))]
      if (!model.composer.open || composerChanged) parts.push(fragment(targets.composer(chat.id), 'outerHTML', views.render('chats/composer', model.composer)))
      // Nothing left to coach once the chat is over.
      if (chat.status !== ChatStatus.active) parts.push(fragment(targets.coaching(chat.id), 'outerHTML', ''))
      return parts
    }
  }
}
