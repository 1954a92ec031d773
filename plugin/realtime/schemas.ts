/** The query of both sockets: `since` lists, per chat, the last seq the client holds ("42.17,43.5"). */
export const sinceQuery = {
  $id: 'lc/realtime/since-query',
  type: 'object',
  additionalProperties: false,
  properties: { since: { type: 'string', maxLength: 4000, pattern: '^([0-9]{1,10}\\.[0-9]{1,10})(,[0-9]{1,10}\\.[0-9]{1,10}){0,199}$' } }
} as const

/** "42.17,43.5" → 42 → 17, 43 → 5: per chat (or conversation), the last seq a client holds. */
export function parseSince (since: string | undefined): Map<number, number> {
  const out = new Map<number, number>()
  for (const part of (since ?? '').split(',').filter(Boolean)) {
    const [chat, seq] = part.split('.').map(Number)
    if (chat !== undefined && seq !== undefined) out.set(chat, seq)
  }
  return out
}
