import type { FromSchema } from 'json-schema-to-ts'
import { defineForm, type FormState, type FormValues, select, text } from '../web/forms.ts'
import type { SurveyInput } from './service.ts'

/**
 * The customer's survey form. The rating and the comment's length are checked by the
 * service, so a form without a rating or with an over-long comment comes back with what
 * was typed and the reason; maxLength here only bounds the request.
 */
export const surveyBody = {
  $id: 'lc/surveys/survey',
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    rating: { type: 'string', maxLength: 10 },
    comment: { type: 'string', maxLength: 100000 },
    _csrf: { type: 'string', maxLength: 200 }
  }
} as const
export type SurveyBody = FromSchema<typeof surveyBody>

/**
 * The survey form as read. Whether the rating and the comment will do is the service's to
 * say, once it knows the chat has ended and was not rated yet (docs/features.md#survey), so
 * the comment is kept as typed for the form to hand back; the service trims what it stores.
 */
export const surveyForm = defineForm({
  rating: select(),
  comment: text({ trim: false })
}, {
  input: (v): SurveyInput => ({ rating: v.rating, comment: v.comment })
})
export type SurveyFormState = FormState<FormValues<typeof surveyForm>>

/** The service's refusals the customer fixes in the form itself, beside their field. */
export const surveyRefusals = { LC_ERR_SURVEY_RATING: 'rating', LC_ERR_SURVEY_COMMENT_TOO_LONG: 'comment' } as const
