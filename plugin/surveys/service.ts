import type { Knex } from 'knex'
import type { ChatService } from '../chats/service.ts'
import { type AgentScope, type Chat, openStatuses } from '../chats/types.ts'
import { isUniqueViolation, transact } from '../db/index.ts'
import {
  LC_ERR_SURVEY_CHAT_OPEN, LC_ERR_SURVEY_COMMENT_TOO_LONG, LC_ERR_SURVEY_DONE, LC_ERR_SURVEY_NOT_OFFERED, LC_ERR_SURVEY_RATING
} from '../errors.ts'
import { createFactService, type FactService } from '../facts/service.ts'
import type { HostUser } from '../host/adapter.ts'
import type { WebhookOutbox } from '../webhooks/outbox.ts'
import * as store from './store.ts'
import type { Survey, SurveyComment } from './store.ts'

export type { Survey, SurveyComment } from './store.ts'

/** A few sentences of feedback, not a letter: longer text belongs in a ticket. */
export const maxSurveyCommentLength = 2000

/** The five answers, in the words the form and the Survey tab use. */
export const ratingLabels: Readonly<Record<number, string>> = { 1: 'very poor', 2: 'poor', 3: 'fair', 4: 'good', 5: 'excellent' }

export interface SurveyInput {
  rating: string | undefined
  comment: string | undefined
}

export interface SurveyServiceDeps {
  db: Knex
  chats: Pick<ChatService, 'chatForCustomer' | 'chatForAgent' | 'recordHistory'>
  clock?: () => number
  /** The webhook outbox: survey.submitted is recorded with the answer (docs/webhooks.md#events). */
  webhooks?: Pick<WebhookOutbox, 'record'>
  /** The reports' per-chat facts: the rating counts in satisfaction (docs/reports.md#satisfaction); made over `db` when not given. */
  facts?: Pick<FactService, 'rated'>
}

/**
 * The post-chat survey (docs/features.md#survey): the customer who owns an ended chat rates
 * it once, 1 to 5, with an optional comment; agents who may see the chat read it.
 */
export interface SurveyService {
  /** The chat's survey, if the customer sent one. */
  of (chatId: number): Promise<Survey | undefined>
  /**
   * Stores the customer's survey: only the chat's customer (its token or their portal session), once it has ended, and
   * once. Throws LC_ERR_SURVEY_CHAT_OPEN, _NOT_OFFERED, _DONE, and _RATING or _COMMENT_TOO_LONG for the form to show.
   */
  submit (chatId: number, token: string | undefined, user: HostUser | null, input: SurveyInput): Promise<Survey>
  /** The Survey tab: the chat (LC_ERR_CHAT_NOT_FOUND unless the agent may see it) and its survey, if any. */
  forAgent (chatId: number, scope: AgentScope): Promise<{ chat: Chat, survey: Survey | undefined }>
  /** The Reports page's latest comments (docs/reports.md): chats started in [from, to), already narrowed to the reader's scope. */
  comments (filter: { from: number, to: number, groupIds: number[] | null, agentId: string | null }, limit: number): Promise<SurveyComment[]>
}

/** Where a chat stands with its survey: offered (and answered or not), not yet, or never. */
export type SurveyState = 'open' | 'offered' | 'not-offered'

/**
 * A survey is offered on every ending, whoever ended it (docs/features.md#survey): the agent, the customer leaving
 * the queue or an agent's chat (which stays open with the agent), a job, an abandon. Only a chat the desk deleted
 * has none: its customer is no longer shown it.
 */
export function surveyState (chat: Chat): SurveyState {
  if (chat.deletedAt != null) return 'not-offered'
  if (openStatuses.includes(chat.status) && chat.customerLeftAt === null) return 'open'
  return 'offered'
}

const excerpt = (text: string): string => {
  const chars = [...text.replace(/\s+/g, ' ')]
  return chars.length > 80 ? `${chars.slice(0, 79).join('')}…` : chars.join('')
}

export function createSurveyService ({ db, chats, clock = Date.now, webhooks, facts = createFactService({ db }) }: SurveyServiceDeps): SurveyService {
  /** The comment as stored (null when left empty), or the reason it is refused. */
  function cleanComment (text: string | undefined): string | null {
    const body = (text ?? '').replace(/\r\n/g, '\n').trim()
    const length = [...body].length
    if (length > maxSurveyCommentLength) throw new LC_ERR_SURVEY_COMMENT_TOO_LONG(maxSurveyCommentLength.toLocaleString('en'), length.toLocaleString('en'))
    return body === '' ? null : body
  }

  async function of (chatId: number): Promise<Survey | undefined> {
    const row = await store.surveyRow(db, chatId)
    return row ? store.toSurvey(row) : undefined
  }

  return {
    of,

    // The chat id is the table's key, so of two racing submissions (a double click) one is refused.
    async submit (chatId: number, token: string | undefined, user: HostUser | null, input: SurveyInput): Promise<Survey> {
      const chat = await chats.chatForCustomer(chatId, token, user)
      const state = surveyState(chat)
      if (state === 'open') throw new LC_ERR_SURVEY_CHAT_OPEN()
      if (state === 'not-offered') throw new LC_ERR_SURVEY_NOT_OFFERED()
      if (await of(chat.id)) throw new LC_ERR_SURVEY_DONE()
      if (!input.rating || !/^[1-5]$/.test(input.rating)) throw new LC_ERR_SURVEY_RATING()
      const survey: Survey = { chatId: chat.id, rating: Number(input.rating), comment: cleanComment(input.comment), createdAt: clock() }
      try {
        await transact(db, async (trx) => {
          await store.insertSurvey(trx, { chat_id: survey.chatId, rating: survey.rating, comment: survey.comment, created_at: survey.createdAt })
          await facts.rated(trx, survey.chatId, survey.rating)
          await chats.recordHistory(chat.id, { kind: 'customer', id: chat.customerUserId, name: chat.customerName }, 'survey_received',
            { rating: survey.rating, excerpt: survey.comment === null ? null : excerpt(survey.comment) }, trx)
          await webhooks?.record(trx, {
            type: 'survey.submitted',
            key: `chat:${chat.id}`,
            data: { chat: { id: chat.id, agentId: chat.agentId }, survey: { rating: survey.rating, comment: survey.comment, createdAt: new Date(survey.createdAt).toISOString() } }
          })
        })
      } catch (err) {
        if (isUniqueViolation(err)) throw new LC_ERR_SURVEY_DONE()
        throw err
      }
      return survey
    },

    async forAgent (chatId: number, scope: AgentScope): Promise<{ chat: Chat, survey: Survey | undefined }> {
      const chat = await chats.chatForAgent(chatId, scope)
      return { chat, survey: await of(chat.id) }
    },

    async comments (filter, limit) { return await store.latestComments(db, filter, limit) }
  }
}
