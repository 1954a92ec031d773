import type { Knex } from 'knex'
import type { ChatService } from '../chats/service.ts'
import { LC_ERR_DEFLECTION_ARTICLE_UNKNOWN } from '../errors.ts'
import type { HostAdapter, HostUser, KnowledgeHit } from '../host/adapter.ts'
import * as store from './store.ts'
import type { Deflection } from './store.ts'

export type { Deflection } from './store.ts'

/** How many articles the intermediary page offers: a few to read, not a search page. */
export const suggestionLimit = 3
/** The report lists this many of the latest deflected questions. */
export const reportLength = 100
/** The report's periods, in days. */
export const reportPeriods = [7, 30] as const

const dayMs = 86_400_000

export interface DeflectionInput {
  question: string
  articleId: string
  /** The department the chat would have gone to; null where none are set up. */
  department: { id: number, name: string } | null
  /** The signed-in portal customer, if any. */
  customer: HostUser | null
  email: string
}

export interface DeflectionPeriod {
  days: number
  deflected: number
  chats: number
  /** Deflected questions out of every question asked (deflected plus chats started), in percent; null when none were asked. */
  rate: number | null
}

/**
 * Suggested solutions before a chat (docs/features.md#suggested-solutions): the knowledge
 * articles offered for a customer's question, and the questions one of them answered
 * instead of a chat, counted for the administrators' report.
 */
export interface DeflectionService {
  /** The most relevant articles for a question, best first; none when nothing matches or the knowledge base cannot answer (logged). */
  suggestions (question: string): Promise<KnowledgeHit[]>
  /** Records that an article answered the question, so no chat is queued; throws LC_ERR_DEFLECTION_ARTICLE_UNKNOWN (nothing stored). */
  record (input: DeflectionInput): Promise<{ deflection: Deflection, article: KnowledgeHit }>
  /** How many questions an article answered in [from, to), of `departments` (null: every department and none); docs/reports.md#deflection. */
  deflected (from: number, to: number, departments: number[] | null): Promise<number>
  /** The latest deflected questions, newest first, and per period how many an article answered next to the chats started. */
  report (): Promise<{ recent: Deflection[], periods: DeflectionPeriod[] }>
}

export interface DeflectionServiceDeps {
  db: Knex
  host: Pick<HostAdapter, 'searchKnowledge' | 'knowledgeArticle'>
  chats: Pick<ChatService, 'startedSince'>
  clock?: () => number
  log?: { error: (obj: object, msg: string) => void }
}

export function createDeflectionService ({ db, host, chats, clock = Date.now, log }: DeflectionServiceDeps): DeflectionService {
  return {
    // A knowledge base that cannot answer is treated as having nothing, so the customer still reaches the queue.
    async suggestions (question: string): Promise<KnowledgeHit[]> {
      try {
        return (await host.searchKnowledge(question, suggestionLimit, 'customer')).slice(0, suggestionLimit)
      } catch (err) {
        log?.error({ err }, 'live chat could not search the knowledge base for suggested solutions')
        return []
      }
    },

    async record (input: DeflectionInput): Promise<{ deflection: Deflection, article: KnowledgeHit }> {
      const article = await host.knowledgeArticle(input.articleId, 'customer')
      if (!article) throw new LC_ERR_DEFLECTION_ARTICLE_UNKNOWN(input.articleId)
      const id = await store.insertDeflection(db, {
        question: input.question,
        article_id: article.id.slice(0, 64),
        article_title: article.title.slice(0, 200),
        article_url: article.url.slice(0, 500),
        department_id: input.department?.id ?? null,
        department_name: input.department?.name.slice(0, 120) ?? null,
        customer_user_id: input.customer?.id ?? null,
        customer_email: input.email,
        created_at: clock()
      })
      return { deflection: store.toDeflection((await store.deflectionRow(db, id))!), article }
    },

    async deflected (from, to, departments) {
      if (departments?.length === 0) return 0
      return await store.countBetween(db, from, to, departments)
    },

    async report (): Promise<{ recent: Deflection[], periods: DeflectionPeriod[] }> {
      const now = clock()
      const since = reportPeriods.map((d) => now - d * dayMs)
      const [recent, deflected, started] = await Promise.all([store.recentDeflections(db, reportLength), store.countSince(db, since), chats.startedSince(since)])
      return {
        recent: recent.map(store.toDeflection),
        periods: reportPeriods.map((days, i) => {
          const d = deflected[i]!
          const c = started[i]!
          return { days, deflected: d, chats: c, rate: d + c === 0 ? null : Math.round(1000 * d / (d + c)) / 10 }
        })
      }
    }
  }
}
