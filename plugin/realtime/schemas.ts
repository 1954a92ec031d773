/** The query of both sockets: `since` lists, per chat, the last seq the client holds ("42.17,43.5"). */
export const sinceQuery = {
  $id: 'lc/realtime/since-query',
  type: 'object',
  additionalProperties: false,
  properties: { since: { type: 'string', maxLength: 4000, pattern: '^([0-9]{1,10}\\.[0-9]{1,10})(,[0-9]{1,10}\\.[0-9]{1,10}){0,199}$' } }
} as const

/**
 * The console socket's `im`: per instant message thread or chat room on the page, the last
 * seq it holds ("7.12,9.3"), like `since` for chats.
 */
export const imQuery = {
  $id: 'lc/realtime/im-query',
  type: 'object',
  additionalProperties: false,
  properties: { im: { type: 'string', maxLength: 4000, pattern: '^([0-9]{1,10}\\.[0-9]{1,10})(,[0-9]{1,10}\\.[0-9]{1,10}){0,199}$' } }
} as const

export const chatSocketParams = {
  $id: 'lc/realtime/chat-params',
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,9}$' } }
} as const

export function parseSince (since: string | undefined): Map<number, number> {
  const out = new Map<number, number>()
  for (const part of (since ?? '').split(',').filter(Boolean)) {
    const [chat, seq] = part.split('.').map(Number)
    if (chat !== undefined && seq !== undefined) out.set(chat, seq)
  }
  return out
}
