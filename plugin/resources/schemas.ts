import type { FromSchema } from 'json-schema-to-ts'
import { csrfField } from '../security/schemas.ts'

/**
 * A search typed in the Resources panel. Its length a person fixes (maxQueryLength) is the
 * service's, so the form comes back with what they typed; maxLength here only bounds the request.
 */
export const resourceSearchQuery = {
  $id: 'lc/resources/search',
  type: 'object',
  additionalProperties: false,
  required: ['q'],
  properties: { q: { type: 'string', maxLength: 2000 } }
} as const
export type ResourceSearchQuery = FromSchema<typeof resourceSearchQuery>

/** Share, Pin or Unpin one knowledge article: the help desk's id of it, as the panel lists it. */
export const articleBody = {
  $id: 'lc/resources/article',
  type: 'object',
  additionalProperties: false,
  required: ['articleId'],
  properties: {
    articleId: { type: 'string', minLength: 1, maxLength: 64, pattern: '\\S' },
    _csrf: csrfField
  }
} as const
export type ArticleBody = FromSchema<typeof articleBody>
