import { type AgentScope, type Chat, ChatStatus, sees, type SharedArticle } from '../chats/types.ts'
import type { TicketKind } from '../host/adapter.ts'
import { type Fragment, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import type { Views } from '../web/views.ts'
import { maxQueryLength, type Pin, type ResourceResults, type ResourceService, type ResourceSource } from './service.ts'

export type ResourceViews = ReturnType<typeof createResourceViews>

/** What the resources routes are given (RouteDeps.resources): the service and its views. */
export interface ResourcesDeps {
  service: ResourceService
  views: ResourceViews
}

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

/** Data for views/resources/*: the panel, its answers, and the Related Items tab's pinned articles. */
export function createResourceViews ({ base, resources, views }: { base: string, resources: ResourceService, views: Views }) {
  const chatUrl = (chatId: number): string => `${base}/console/chats/${chatId}`

  function pinSlot (chatId: number, articleId: string, pinned: boolean) {
    const url = `${chatUrl(chatId)}/resources`
    return { slotId: targets.resourcePin(chatId, articleKey(articleId)), articleId, pinned, pinUrl: `${url}/pins`, unpinUrl: `${url}/unpin` }
  }

  function pinsModel (chatId: number, pins: Pin[]) {
    return { chatId, pins: pins.map((p) => ({ ...p, unpinUrl: `${chatUrl(chatId)}/resources/unpin` })) }
  }

  function formModel (chatId: number, query: string, error: string | null = null) {
    return { chatId, action: `${chatUrl(chatId)}/resources/search`, query, error, maxLength: maxQueryLength }
  }

  function resultsModel (found: ResourceResults, scope: AgentScope, pins: Pin[], searched: boolean) {
    const { chat } = found
    const pinned = new Set(pins.map((p) => p.articleId))
    const canShare = chat.status === ChatStatus.active && chat.agentId === scope.id
    const canCreate = chat.agentId === scope.id || (scope.supervise && sees(scope, chat.groupId))
    const tickets = found.tickets
    return {
      chatId: chat.id,
      query: found.query,
      // Opened with the customer's question, or a search the agent typed.
      searched,
      canShare,
      shareUrl: `${chatUrl(chat.id)}/resources/share`,
      // Why there is no Share: said once, not as a dead button on every article.
      shareNote: canShare ? null : chat.status === ChatStatus.active ? 'Only the chat\'s agent can share articles; pin one to keep it with the chat.' : 'Articles can be shared while the chat is active.',
      articles: found.articles.map((a: SharedArticle) => ({ ...a, pin: pinSlot(chat.id, a.id, pinned.has(a.id)) })),
      canCreate,
      createUrl: `${chatUrl(chat.id)}/tickets`,
      templates: found.templates.map((t) => ({ ...t, kindLabel: kindLabels[t.kind], createLabel: createLabels[t.kind] })),
      tickets: tickets ?? [],
      resolutions: found.resolutions.map((r) => ({ ...r, question: short(r.question), chatUrl: chatUrl(r.chatId) })),
      failed: found.failed.map((f) => failedLabels[f.source]),
      nothing: found.articles.length + found.templates.length + (tickets?.length ?? 0) + found.resolutions.length === 0
    }
  }

  async function panel (chatId: number, scope: AgentScope) {
    const found = await resources.suggestions(chatId, scope)
    const pins = await resources.pins(found.chat.id)
    return {
      found,
      model: { chatId: found.chat.id, pins: pinsModel(found.chat.id, pins), form: formModel(found.chat.id, found.query), results: resultsModel(found, scope, pins, false) }
    }
  }

  return {
    panel,

    /** The pins a chat's Related Items tab lists, with their Unpin (the viewer may see the chat: the tab checked). */
    async relatedPins (chat: Chat): Promise<ReturnType<typeof pinsModel>> {
      return pinsModel(chat.id, await resources.pins(chat.id))
    },

    /** The whole panel, into the slot beside the conversation; what failed is returned for the log. */
    async panelFragment (chatId: number, scope: AgentScope): Promise<{ fragment: Fragment, found: ResourceResults }> {
      const { found, model } = await panel(chatId, scope)
      return { fragment: fragment(targets.resources(found.chat.id), 'innerHTML', views.render('resources/panel', model)), found }
    },

    /** A search's answer: the form as searched (its error gone) and the results in place of the last ones. */
    async resultsFragments (found: ResourceResults, scope: AgentScope): Promise<Fragment[]> {
      const chatId = found.chat.id
      const pins = await resources.pins(chatId)
      return [
        fragment(targets.resourceSearch(chatId), 'outerHTML', views.render('resources/search', formModel(chatId, found.query))),
        fragment(targets.resourceResults(chatId), 'outerHTML', views.render('resources/results', resultsModel(found, scope, pins, true)))
      ]
    },

    /** The search form with what was typed and why it was refused. */
    formFragment (chatId: number, query: string, error: string): Fragment {
      return fragment(targets.resourceSearch(chatId), 'outerHTML', views.render('resources/search', formModel(chatId, query, error)))
    },

    /** After a pin or unpin: the pinned list, and the article's Pin / Unpin where the results show it. */
    async pinFragments (chatId: number, articleId: string): Promise<Fragment[]> {
      const pins = await resources.pins(chatId)
      const slot = pinSlot(chatId, articleId, pins.some((p) => p.articleId === articleId))
      return [
        fragment(targets.resourcePins(chatId), 'outerHTML', views.render('resources/pins', pinsModel(chatId, pins))),
        fragment(slot.slotId, 'outerHTML', views.render('resources/pin', slot))
      ]
    }
  }
}
