import type { AgentScope, Chat } from '../chats/types.ts'
import { targets } from '../realtime/targets.ts'
import { bind, type Fragment } from '../web/fragments.ts'
import type { SurveyFormState } from './schemas.ts'
import { maxSurveyCommentLength, ratingLabels, type Survey, type SurveyService, surveyState } from './service.ts'

/**
 * views/surveys/customer.hbs: nothing while the chat is open, the form once it has ended
 * (empty, or what the customer typed with why it was refused, so nothing is lost), thanks once sent.
 */
export interface SurveyCustomerModel extends SurveyFormState {
  chatId: number
  form: boolean
  thanks: boolean
  action: string
  ratings: Array<{ value: string, label: string, checked: boolean }>
  maxLength: string
}

/** views/surveys/tab.hbs: the agent's Survey tab. */
export interface SurveyTabModel {
  chatId: number
  survey: (Survey & { ratingText: string, stars: string }) | null
  /** The survey may still come while the chat runs or after it ended; a deleted chat never gets one. */
  pending: boolean
  open: boolean
}

export const surveyCustomerFragment = bind('surveys/customer', 'outerHTML', (m: SurveyCustomerModel) => targets.survey(m.chatId))
export const surveyTabFragment = bind('surveys/tab', 'innerHTML', (m: SurveyTabModel) => targets.tabPanel(m.chatId))

const ratingText = (rating: number): string => `${rating} – ${ratingLabels[rating] ?? ''}`

export interface SurveyViewsDeps {
  base: string
  surveys: Pick<SurveyService, 'of' | 'forAgent'>
}

export type SurveyViews = ReturnType<typeof createSurveyViews>

/** The models of views/surveys/*: the customer's block (page, htmx answer, push) and the agent's tab. */
export function createSurveyViews ({ base, surveys }: SurveyViewsDeps) {
  function customer (chat: Chat, survey: Survey | undefined, state: SurveyFormState = { values: {}, errors: {} }): SurveyCustomerModel {
    const offered = surveyState(chat) === 'offered'
    return {
      chatId: chat.id,
      form: offered && !survey,
      thanks: offered && survey !== undefined,
      action: `${base}/chat/${chat.id}/survey`,
      ratings: [1, 2, 3, 4, 5].map((n) => ({ value: String(n), label: ratingText(n), checked: state.values.rating === String(n) })),
      ...state,
      maxLength: maxSurveyCommentLength.toLocaleString('en')
    }
  }

  return {
    /** For the customer's chat page: reads whether a survey was sent. */
    async customer (chat: Chat): Promise<SurveyCustomerModel> {
      return customer(chat, surveyState(chat) === 'offered' ? await surveys.of(chat.id) : undefined)
    },

    /** The customer's block as sent: the form (fresh or as refused), or the thanks once stored. */
    customerBlock (chat: Chat, survey: Survey | undefined, state?: SurveyFormState): Fragment {
      return surveyCustomerFragment(customer(chat, survey, state))
    },

    /** The agent's Survey tab. */
    async tab (chatId: number, scope: AgentScope): Promise<Fragment> {
      const { chat, survey } = await surveys.forAgent(chatId, scope)
      const state = surveyState(chat)
      return surveyTabFragment({
        chatId: chat.id,
        survey: survey ? { ...survey, ratingText: ratingText(survey.rating), stars: '★'.repeat(survey.rating) + '☆'.repeat(5 - survey.rating) } : null,
        pending: !survey && state !== 'not-offered',
        open: state === 'open'
      })
    }
  }
}
