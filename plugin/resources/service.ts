import type { Knex } from 'knex'
import type { ChatService } from '../chats/service.ts'
import { type Actor, type AgentScope, type Chat, ChatStatus, type Message, type SharedArticle } from '../chats/types.ts'
import type { CommentService, ResolutionHit } from '../comments/service.ts'
import { searchWords } from '../db/fulltext.ts'
import { isUniqueViolation, transact } from '../db/index.ts'
import {
  LC_ERR_RESOURCES_ARTICLE_INTERNAL, LC_ERR_RESOURCES_ARTICLE_UNKNOWN, LC_ERR_RESOURCES_KB_FAILED, LC_ERR_RESOURCES_PIN_NOT_FOUND, LC_ERR_RESOURCES_PINNED,
  LC_ERR_RESOURCES_QUERY_EMPTY, LC_ERR_RESOURCES_QUERY_TOO_LONG, LC_ERR_RESOURCES_SHARE_NOT_ACTIVE, LC_ERR_RESOURCES_SHARE_NOT_YOURS
} from '../errors.ts'
import type { HostAdapter, KnowledgeHit, ResolvedTicketHit, TicketKind, TicketTemplate } from '../host/adapter.ts'
import type { ChatItem, ItemService } from '../items/service.ts'
import * as store from './store.ts'
import type { Pin } from './store.ts'

export type { Pin } from './store.ts'

/** Longer than a question needs; a pasted page is refused rather than cut. */
export const maxQueryLength = 500
/** How many of each source the panel lists: enough to choose from at a glance. */
export const limits = { articles: 8, templates: 6, tickets: 5, resolutions: 5 }
const maxTitle = 255
const maxExcerpt = 400
const maxUrl = 500

/** The sources the panel searches; a failing one is named so the others still show. */
export type ResourceSource = 'articles' | 'templates' | 'tickets' | 'resolutions'

/** An article the panel found: what a share would carry, and whether it is for agents only (never shared). */
export type FoundArticle = SharedArticle & { internal?: boolean }

export interface ResourceResults {
  chat: Chat
  query: string
  articles: FoundArticle[]
  templates: TicketTemplate[]
  /** null where the help desk keeps no resolutions (HostAdapter.searchResolvedTickets is optional). */
  tickets: ResolvedTicketHit[] | null
  resolutions: ResolutionHit[]
  /** Sources that failed this time, with why, for the log; the panel says which. */
  failed: Array<{ source: ResourceSource, err: unknown }>
}

export interface ShareOutcome {
  chat: Chat
  article: SharedArticle
  message: Message
  /** The chat's tickets whose Activity now carries the link, and those whose help desk refused it. */
  activity: { written: string[], failed: Array<{ ref: string, err: unknown }> }
}

/**
 * The console's Resources panel beside a chat (docs/features.md#resources): the help desk's
 * knowledge base, ticket templates and resolved tickets and the plugin's own past
 * resolutions, searched together; articles shared into the chat or pinned to it.
 */
export interface ResourceService {
  /** The chat's pins, newest first. The caller has already checked the viewer may see the chat. */
  pins (chatId: number): Promise<Pin[]>
  /**
   * What the panel opens with: everything matching the customer's question (a question of no searchable words finds
   * nothing rather than failing). Throws LC_ERR_CHAT_NOT_FOUND unless the agent may see the chat.
   */
  suggestions (chatId: number, scope: AgentScope): Promise<ResourceResults>
  /** A search typed in the panel; throws LC_ERR_RESOURCES_QUERY_EMPTY or _TOO_LONG when there is nothing to search for or too much. */
  search (chatId: number, scope: AgentScope, input: string): Promise<ResourceResults>
  /**
   * The chat's own agent shares an article into the active chat as a card both sides see, then notes the link on the
   * Activity of the chat's tickets; a ticket the help desk refuses is named in the outcome, the share stands.
   * Throws LC_ERR_RESOURCES_SHARE_NOT_ACTIVE, _SHARE_NOT_YOURS, _ARTICLE_UNKNOWN or _KB_FAILED.
   */
  share (chatId: number, scope: AgentScope, articleId: string): Promise<ShareOutcome>
  /** Pins an article to a chat the agent may see; a second pin of it throws LC_ERR_RESOURCES_PINNED naming who pinned it first. */
  pin (chatId: number, scope: AgentScope, articleId: string): Promise<Pin>
  /** Takes a pin off a chat the agent may see (whoever may see the chat may); throws LC_ERR_RESOURCES_PIN_NOT_FOUND. */
  unpin (chatId: number, scope: AgentScope, articleId: string): Promise<Pin>
}

export interface ResourceServiceDeps {
  db: Knex
  chats: Pick<ChatService, 'chatForAgent' | 'shareArticle' | 'recordHistory'>
  comments: Pick<CommentService, 'searchResolutions'>
  items: Pick<ItemService, 'list'>
  host: HostAdapter
  clock?: () => number
}

/**
 * A link the help desk gave, only when it is http(s) or a path on the help desk: anything
 * else (javascript:, data:, //elsewhere) would become a link in both sides' pages. '' for none.
 */
export function safeUrl (url: string): string {
  const value = url.trim()
  if (value.length > maxUrl) return ''
  if (value.startsWith('/')) return value.startsWith('//') || value.includes('\\') ? '' : value
  try {
    const parsed = new URL(value)
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? value : ''
  } catch {
    return ''
  }
}

const cut = (text: string, max: number): string => {
  const chars = [...text.replace(/\s+/g, ' ').trim()]
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('')
}

/** What is stored and shown of a help desk article: bounded, its link checked. */
export function articleOf (hit: KnowledgeHit): SharedArticle {
  return { id: String(hit.id), title: cut(hit.title, maxTitle), excerpt: cut(hit.excerpt, maxExcerpt), url: safeUrl(hit.url) }
}

/** The customer's question as the panel's first search: whole when it fits, else its first words. */
export function prefill (question: string): string {
  const text = question.replace(/\s+/g, ' ').trim()
  if ([...text].length <= maxQueryLength) return text
  const head = [...text].slice(0, maxQueryLength).join('')
  const space = head.lastIndexOf(' ')
  return space > maxQueryLength / 2 ? head.slice(0, space) : head
}

/** Templates whose name, summary or description hold the words, best first: a name hit counts most. Templates are few, so this is done in memory. */
export function matchTemplates (templates: TicketTemplate[], words: string[], limit: number): TicketTemplate[] {
  const scored = templates.map((t) => {
    const name = t.name.toLowerCase()
    const rest = `${t.summary} ${t.description}`.toLowerCase()
    const score = words.reduce((n, w) => n + (name.includes(w) ? 3 : 0) + (rest.includes(w) ? 1 : 0), 0)
    return { t, score }
  })
  return scored.filter((s) => s.score > 0).sort((a, b) => b.score - a.score || a.t.name.localeCompare(b.t.name)).slice(0, limit).map((s) => s.t)
}

/** Whoever may see the chat may search and pin; only the chat's own agent shares, while it is active. */
export function createResourceService ({ db, chats, comments, items, host, clock = Date.now }: ResourceServiceDeps): ResourceService {
  const actorOf = (scope: AgentScope): Actor => ({ kind: 'agent', id: scope.id, name: scope.name })

  /** The search as typed, checked: refused when empty, too long, or holding no word worth searching for. */
  function checkQuery (input: string): string {
    const query = input.replace(/\s+/g, ' ').trim()
    const length = [...query].length
    if (length > maxQueryLength) throw new LC_ERR_RESOURCES_QUERY_TOO_LONG(String(maxQueryLength), length.toLocaleString('en'))
    if (searchWords(query).length === 0) throw new LC_ERR_RESOURCES_QUERY_EMPTY()
    return query
  }

  /**
   * The article as the help desk has it now for agents; a coded refusal when it has none or
   * cannot say. `forCustomer`: it is about to reach the customer, so one for agents only is refused.
   */
  async function article (articleId: string, doing: string, forCustomer = false): Promise<SharedArticle> {
    let hit: KnowledgeHit | null
    let customerMay = true
    try {
      hit = await host.knowledgeArticle(articleId, 'agent')
      if (hit && forCustomer) customerMay = (await host.knowledgeArticle(articleId, 'customer')) !== null
    } catch (err) {
      throw Object.assign(new LC_ERR_RESOURCES_KB_FAILED(doing), { cause: err })
    }
    if (!hit) throw new LC_ERR_RESOURCES_ARTICLE_UNKNOWN(articleId)
    if (!customerMay) throw new LC_ERR_RESOURCES_ARTICLE_INTERNAL(cut(hit.title, maxTitle))
    return articleOf(hit)
  }

  async function templates (words: string[]): Promise<TicketTemplate[]> {
    const kinds: TicketKind[] = host.ticketKinds ?? ['incident', 'work_order']
    const all = (await Promise.all(kinds.map(async (kind) => await host.ticketTemplates(kind)))).flat()
    return matchTemplates(all, words, limits.templates)
  }

  async function results (chat: Chat, scope: AgentScope, query: string): Promise<ResourceResults> {
    const words = searchWords(query)
    const failed: ResourceResults['failed'] = []
    async function attempt<T> (source: ResourceSource, run: () => Promise<T>, none: T): Promise<T> {
      try {
        return await run()
      } catch (err) {
        failed.push({ source, err })
        return none
      }
    }
    const searchTickets = host.searchResolvedTickets
    const [articles, found, tickets, resolutions] = await Promise.all([
      attempt('articles', async () => (await host.searchKnowledge(query, limits.articles, 'agent')).map((hit): FoundArticle => ({ ...articleOf(hit), ...hit.internal ? { internal: true } : {} })), []),
      attempt('templates', async () => await templates(words), []),
      searchTickets
        ? attempt<ResolvedTicketHit[] | null>('tickets', async () => (await searchTickets(query, limits.tickets)).map((t) => ({ ...t, url: safeUrl(t.url) })), [])
        : Promise.resolve(null),
      attempt('resolutions', async () => await comments.searchResolutions(query, scope, limits.resolutions, chat.id), [])
    ])
    return { chat, query, articles, templates: found, tickets, resolutions, failed }
  }

  return {
    async pins (chatId: number): Promise<Pin[]> {
      return (await store.pinsOf(db, chatId)).map(store.toPin)
    },

    async suggestions (chatId: number, scope: AgentScope): Promise<ResourceResults> {
      const chat = await chats.chatForAgent(chatId, scope)
      const query = prefill(chat.question)
      if (searchWords(query).length === 0) return { chat, query, articles: [], templates: [], tickets: host.searchResolvedTickets ? [] : null, resolutions: [], failed: [] }
      return await results(chat, scope, query)
    },

    async search (chatId: number, scope: AgentScope, input: string): Promise<ResourceResults> {
      const chat = await chats.chatForAgent(chatId, scope)
      return await results(chat, scope, checkQuery(input))
    },

    async share (chatId: number, scope: AgentScope, articleId: string): Promise<ShareOutcome> {
      const chat = await chats.chatForAgent(chatId, scope)
      if (chat.status !== ChatStatus.active) throw new LC_ERR_RESOURCES_SHARE_NOT_ACTIVE(chat.status)
      if (chat.agentId !== scope.id) throw new LC_ERR_RESOURCES_SHARE_NOT_YOURS((chat.agentId ? (await host.getUser(chat.agentId))?.name : null) ?? 'the chat\'s agent')
      const shared = await article(articleId, 'shared', true)
      const message = await chats.shareArticle(chat.id, actorOf(scope), shared)
      // From here on the share has happened: nothing may turn it into an error the agent would retry.
      const activity: ShareOutcome['activity'] = { written: [], failed: [] }
      let tickets: ChatItem[] = []
      try {
        tickets = (await items.list(chat.id, scope)).items.filter((i) => i.kind === 'ticket' && i.ticketRef !== null)
      } catch (err) {
        activity.failed.push({ ref: 'the chat\'s tickets', err })
      }
      const text = `Knowledge article shared in live chat #${chat.id} by ${scope.name}: ${shared.title}${shared.url ? ` ${shared.url}` : ''}`
      for (const ticket of tickets) {
        try {
          await host.addTicketActivity(ticket.ticketRef!, text, scope.id)
          activity.written.push(ticket.ticketRef!)
        } catch (err) {
          activity.failed.push({ ref: ticket.ticketRef!, err })
        }
      }
      return { chat, article: shared, message, activity }
    },

    async pin (chatId: number, scope: AgentScope, articleId: string): Promise<Pin> {
      const chat = await chats.chatForAgent(chatId, scope)
      const before = await store.pinRow(db, chat.id, articleId)
      if (before) throw new LC_ERR_RESOURCES_PINNED(before.pinned_by_name)
      const found = await article(articleId, 'pinned')
      try {
        await transact(db, async (trx) => {
          await store.insertPin(trx, {
            chat_id: chat.id, article_id: found.id, title: found.title, url: found.url, pinned_by: scope.id, pinned_by_name: scope.name, pinned_at: clock()
          })
          await chats.recordHistory(chat.id, actorOf(scope), 'article_pinned', { articleId: found.id, title: found.title }, trx)
        })
      } catch (err) {
        // Two agents pinning it at once: the unique index lets one through.
        const winner = isUniqueViolation(err) ? await store.pinRow(db, chat.id, found.id) : undefined
        if (winner) throw new LC_ERR_RESOURCES_PINNED(winner.pinned_by_name)
        throw err
      }
      return store.toPin((await store.pinRow(db, chat.id, found.id))!)
    },

    async unpin (chatId: number, scope: AgentScope, articleId: string): Promise<Pin> {
      const chat = await chats.chatForAgent(chatId, scope)
      const row = await store.pinRow(db, chat.id, articleId)
      if (!row) throw new LC_ERR_RESOURCES_PIN_NOT_FOUND()
      const pin = store.toPin(row)
      await transact(db, async (trx) => {
        if (await store.deletePin(trx, chat.id, pin.articleId) === 0) throw new LC_ERR_RESOURCES_PIN_NOT_FOUND()
        await chats.recordHistory(chat.id, actorOf(scope), 'article_unpinned', { articleId: pin.articleId, title: pin.title, pinnedBy: pin.pinnedByName }, trx)
      })
      return pin
    }
  }
}
