import type { FromSchema } from 'json-schema-to-ts'

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
