import type { FromSchema } from 'json-schema-to-ts'

/** "Search In": every chat but deleted ones, or deleted ones only. */
export const searchInValues = ['active', 'deleted'] as const
/** "Sort Results": best match first (newest without a search string), newest or oldest first. */
export const sortValues = ['best', 'newest', 'oldest'] as const
export const statusValues = ['queued', 'active', 'ended', 'abandoned', 'cancelled'] as const

/**
 * Advanced Search's form, sent as a GET so a search is a link one can keep. Lists (search
 * in, status, sort) are closed sets; what a person types is bounded here only, and checked
 * by the service, so a mistake comes back beside its field with everything kept. A custom
 * field criterion is `cf_<key>`, the key the administrator gave it.
 */
export const searchQuery = {
  $id: 'lc/search/query',
  type: 'object',
  additionalProperties: false,
  properties: {
    in: { enum: searchInValues },
    number: { type: 'string', maxLength: 40 },
    q: { type: 'string', maxLength: 10000 },
    email: { type: 'string', maxLength: 200 },
    name: { type: 'string', maxLength: 120 },
    username: { type: 'string', maxLength: 64 },
    from: { type: 'string', maxLength: 40 },
    to: { type: 'string', maxLength: 40 },
    group: { type: 'string', maxLength: 40 },
    agent: { type: 'string', maxLength: 64 },
    status: { enum: ['', ...statusValues] },
    sort: { enum: sortValues },
    max: { type: 'string', maxLength: 40 }
  },
  patternProperties: {
    '^cf_[A-Za-z0-9_]{1,40}$': { type: 'string', maxLength: 500 }
  }
} as const
export type SearchQuery = FromSchema<typeof searchQuery> & Record<`cf_${string}`, string | undefined>
