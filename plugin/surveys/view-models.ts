import type { AgentScope, Chat } from '../chats/types.ts'
import { type Fragment, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import type { Views } from '../web/views.ts'
import { maxSurveyCommentLength, ratingLabels, type Survey, type SurveyService, surveyState } from './service.ts'

export type SurveyViews = ReturnType<typeof createSurveyViews>

/** What the survey routes are given (RouteDeps.surveys): the service and its views. */
export interface SurveysDeps {
  service: SurveyService
  views: SurveyViews
}

/** What the customer typed, with why it was refused, so nothing is lost. */
export interface SurveyDraft {
  rating?: string
  comment?: string
  errors?: { rating?: string, comment?: string }
}

const ratingText = (rating: number): string => `${rating} – ${ratingLabels[rating] ?? ''}`

/** Data for views/surveys/*: the customer's form (page, htmx answer, push) and the agent's tab. */
export function createSurveyViews ({ base, surveys, views }: { base: string, surveys: SurveyService, views: Views }) {
  /** The customer's survey block: nothing while the chat is open, the form once it has ended, thanks once sent. */
  function customer (chat: Chat, survey: Survey | undefined, draft: SurveyDraft = {}) {
    const offered = surveyState(chat) === 'offered'
    return {
      chatId: chat.id,
      form: offered && !survey,
      thanks: offered && survey !== undefined,
      action: `${base}/chat/${chat.id}/survey`,
      ratings: [1, 2, 3, 4, 5].map((n) => ({ value: String(n), label: ratingText(n), checked: draft.rating === String(n) })),
      comment: draft.comment ?? '',
      errors: draft.errors ?? {},
      maxLength: maxSurveyCommentLength.toLocaleString('en')
    }
  }

  return {
    /** For the customer's chat page: reads whether a survey was sent. */
    async customer (chat: Chat) {
      return customer(chat, surveyState(chat) === 'offered' ? await surveys.of(chat.id) : undefined)
    },

    /** The customer's block as a fragment: the form (fresh or with a draft), or the thanks once stored. */
    customerFragment (chat: Chat, survey: Survey | undefined, draft?: SurveyDraft): Fragment {
      return fragment(targets.survey(chat.id), 'outerHTML', views.render('surveys/customer', customer(chat, survey, draft)))
    },

    /** The agent's Survey tab. */
    async tab (chatId: number, scope: AgentScope) {
      const { chat, survey } = await surveys.forAgent(chatId, scope)
      const state = surveyState(chat)
      return {
        chatId: chat.id,
        survey: survey ? { ...survey, ratingText: ratingText(survey.rating), stars: '★'.repeat(survey.rating) + '☆'.repeat(5 - survey.rating) } : null,
        // The survey may still come while the chat runs or after it ended; a chat left in the queue or abandoned never gets one.
        pending: !survey && state !== 'not-offered',
        open: state === 'open'
      }
    }
  }
}
