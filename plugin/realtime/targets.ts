/**
 * Element ids are the contract between the server and the DOM (STYLE §3): every partial's
 * root id and every swap target is built here and nowhere else.
 */
export const targets = {
  chat: (chatId: number) => `lc-chat-${chatId}`,
  chatHeader: (chatId: number) => `lc-chat-header-${chatId}`,
  messages: (chatId: number) => `lc-messages-${chatId}`,
  message: (chatId: number, seq: number) => `lc-msg-${chatId}-${seq}`,
  composer: (chatId: number) => `lc-composer-${chatId}`,
  status: (chatId: number) => `lc-status-${chatId}`,
  queue: () => 'lc-queue',
  queueCount: () => 'lc-queue-count',
  myActive: () => 'lc-my-active',
  myCompleted: () => 'lc-my-completed',
  availability: () => 'lc-availability',
  panes: () => 'lc-chat-panes',
  notice: () => 'lc-notice'
} as const

export type TargetName = keyof typeof targets

export function targetId (name: string, ...args: unknown[]): string {
  const build = (targets as Record<string, (...a: number[]) => string>)[name]
  if (!build) throw new Error(`Unknown target "${name}"`)
  return build(...args.map(Number))
}
