import { type AgentScope, type Chat, ChatStatus, sees } from '../chats/types.ts'
import type { ResolutionHit } from '../comments/service.ts'
import type { ResolvedTicketHit, TicketKind, TicketTemplate } from '../host/adapter.ts'
import { targets } from '../realtime/targets.ts'
import { bind, type Fragment } from '../web/fragments.ts'
import { type FoundArticle, maxQueryLength, type Pin, type ResourceResults, type ResourceService, type ResourceSource } from './service.ts'

const createLabels: Record<TicketKind, string> = { incident: 'Create Incident', work_order: 'Create Work Order', ticket: 'Create Ticket' }
const kindLabels: Record<TicketKind, string> = { incident: 'Incident', work_order: 'Work order', ticket: 'Ticket' }
const failedLabels: Record<ResourceSource, string> = {
  articles: 'The knowledge base',
  templates: 'The ticket templates',
  tickets: 'Resolved tickets',
  resolutions: 'Past chat resolutions'
}

/** A past chat's question as a reminder of what it was about, not the whole of it. */
const short = (text: string, max = 160): string => {
  const chars = [...text.replace(/\s+/g, ' ').trim()]
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('')
}

/** An article id as a piece of an element id: any characters the help desk uses become hex. */
const articleKey = (articleId: string): string => Buffer.from(articleId, 'utf8').toString('hex')

/** views/resources/pin.hbs: one article's Pin or Unpin, where the results list it. */
export interface ResourcePinModel {
  chatId: number
  /** Its root id: targets.resourcePin with the article id hex-encoded. */
  slotId: string
  articleId: string
  pinned: boolean
  pinUrl: string
  unpinUrl: string
}

/** views/resources/pins.hbs (and pinned-items.hbs, which the Related Items tab shows too): the articles pinned to a chat. */
export interface ResourcePinsModel {
  chatId: number
  pins: Array<Pin & { unpinUrl: string }>
}

/** views/resources/search.hbs: the search box, with what was typed and why it was refused. */
export interface ResourceSearchModel {
  chatId: number
  action: string
  query: string
  error: string | null
  maxLength: number
}

/** views/resources/results.hbs: what the sources found, with what this agent may do with it. */
export interface ResourceResultsModel {
  chatId: number
  query: string
  /** Opened with the customer's question (false), or a search the agent typed. */
  searched: boolean
  canShare: boolean
  shareUrl: string
  shareNote: string | null
  /** `internal`: for agents only, so pinned but never shared. */
  articles: Array<FoundArticle & { pin: ResourcePinModel }>
  canCreate: boolean
  createUrl: string
  templates: Array<TicketTemplate & { kindLabel: string, createLabel: string }>
  tickets: ResolvedTicketHit[]
  resolutions: Array<ResolutionHit & { chatUrl: string }>
  failed: string[]
  nothing: boolean
}

/** views/resources/panel.hbs: the pins, the search box and the results. */
export interface ResourcePanelModel {
  chatId: number
  pins: ResourcePinsModel
  form: ResourceSearchModel
  results: ResourceResultsModel
}

export const resourcePanelFragment = bind('resources/panel', 'innerHTML', (m: ResourcePanelModel) => targets.resources(m.chatId))
export const resourceSearchFragment = bind('resources/search', 'outerHTML', (m: ResourceSearchModel) => targets.resourceSearch(m.chatId))
export const resourceResultsFragment = bind('resources/results', 'outerHTML', (m: ResourceResultsModel) => targets.resourceResults(m.chatId))
export const resourcePinsFragment = bind('resources/pins', 'outerHTML', (m: ResourcePinsModel) => targets.resourcePins(m.chatId))
export const resourcePinFragment = bind('resources/pin', 'outerHTML', (m: ResourcePinModel) => targets.resourcePin(m.chatId, articleKey(m.articleId)))

export interface ResourceViewsDeps {
  base: string
  resources: Pick<ResourceService, 'suggestions' | 'pins'>
}

export type ResourceViews = ReturnType<typeof createResourceViews>

/** The models of views/resources/*: the panel, its answers, and the Related Items tab's pinned articles. */
export function createResourceViews ({ base, resources }: ResourceViewsDeps) {
  const chatUrl = (chatId: number): string => `${base}/console/chats/${chatId}`

  function pinSlot (chatId: number, articleId: string, pinned: boolean): ResourcePinModel {
    const url = `${chatUrl(chatId)}/resources`
    return { chatId, slotId: targets.resourcePin(chatId, articleKey(articleId)), articleId, pinned, pinUrl: `${url}/pins`, unpinUrl: `${url}/unpin` }
  }

  function pinsModel (chatId: number, pins: Pin[]): ResourcePinsModel {
    return { chatId, pins: pins.map((p) => ({ ...p, unpinUrl: `${chatUrl(chatId)}/resources/unpin` })) }
  }

  function formModel (chatId: number, query: string, error: string | null = null): ResourceSearchModel {
    return { chatId, action: `${chatUrl(chatId)}/resources/search`, query, error, maxLength: maxQueryLength }
  }

  function resultsModel (found: ResourceResults, scope: AgentScope, pins: Pin[], searched: boolean): ResourceResultsModel {
    const { chat } = found
    const pinned = new Set(pins.map((p) => p.articleId))
    const canShare = chat.status === ChatStatus.active && chat.agentId === scope.id
    const canCreate = chat.agentId === scope.id || (scope.supervise && sees(scope, chat.groupId))
    const tickets = found.tickets
    return {
      chatId: chat.id,
      query: found.query,
      searched,
      canShare,
      shareUrl: `${chatUrl(chat.id)}/resources/share`,
      // Why there is no Share: said once, not as a dead button on every article.
      shareNote: canShare ? null : chat.status === ChatStatus.active ? 'Only the chat\'s agent can share articles; pin one to keep it with the chat.' : 'Articles can be shared while the chat is active.',
      articles: found.articles.map((a) => ({ ...a, pin: pinSlot(chat.id, a.id, pinned.has(a.id)) })),
      canCreate,
      createUrl: `${chatUrl(chat.id)}/tickets`,
      templates: found.templates.map((t) => ({ ...t, kindLabel: kindLabels[t.kind], createLabel: createLabels[t.kind] })),
      tickets: tickets ?? [],
      resolutions: found.resolutions.map((r) => ({ ...r, question: short(r.question), chatUrl: chatUrl(r.chatId) })),
      failed: found.failed.map((f) => failedLabels[f.source]),
      nothing: found.articles.length + found.templates.length + (tickets?.length ?? 0) + found.resolutions.length === 0
    }
  }

  return {
    /** The pins a chat's Related Items tab lists, with their Unpin (the viewer may see the chat: the tab checked). */
    async relatedPins (chat: Chat): Promise<ResourcePinsModel> {
      return pinsModel(chat.id, await resources.pins(chat.id))
    },

    /** The whole panel, into the slot beside the conversation; what failed is returned for the log. */
    async panel (chatId: number, scope: AgentScope): Promise<{ fragment: Fragment, found: ResourceResults }> {
      const found = await resources.suggestions(chatId, scope)
      const id = found.chat.id
      const pins = await resources.pins(id)
      return { fragment: resourcePanelFragment({ chatId: id, pins: pinsModel(id, pins), form: formModel(id, found.query), results: resultsModel(found, scope, pins, false) }), found }
    },

    /** A search's answer: the form as searched (its error gone) and the results in place of the last ones. */
    async results (found: ResourceResults, scope: AgentScope): Promise<Fragment[]> {
      const chatId = found.chat.id
      const pins = await resources.pins(chatId)
      return [resourceSearchFragment(formModel(chatId, found.query)), resourceResultsFragment(resultsModel(found, scope, pins, true))]
    },

    /** The search form with what was typed and why it was refused. */
    searchForm (chatId: number, query: string, error: string): Fragment {
      return resourceSearchFragment(formModel(chatId, query, error))
    },

    /** After a pin or unpin: the pinned list, and the article's Pin / Unpin where the results show it. */
    async pinChanged (chatId: number, articleId: string): Promise<Fragment[]> {
      const pins = await resources.pins(chatId)
      return [resourcePinsFragment(pinsModel(chatId, pins)), resourcePinFragment(pinSlot(chatId, articleId, pins.some((p) => p.articleId === articleId)))]
    }
  }
}
