/*
 * What an API token may do (docs/features.md#api-tokens). Each route of the JSON API names the
 * one scope it needs; `admin` holds every other as well.
 */
export const apiScopes = {
  'chats:read': 'Read chats, queues, agents, groups, canned replies, comments, tickets and surveys',
  'messages:write': 'Post messages and comments, and end chats',
  'routing:manage': 'Transfer chats',
  admin: 'Delete and undelete chats, and everything above'
} as const

export type ApiScope = keyof typeof apiScopes
export const scopeIds = Object.keys(apiScopes) as ApiScope[]

/** Whether a token holding `held` may call a route needing `needed`. */
export function allows (held: readonly ApiScope[], needed: ApiScope): boolean {
  return held.includes('admin') || held.includes(needed)
}
