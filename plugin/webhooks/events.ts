/**
 * The events a webhook endpoint may want (docs/webhooks.md lists each payload). The labels
 * are what the Webhooks page shows beside each checkbox.
 */
export const webhookEvents = {
  'chat.queued': 'A chat waits in a group\'s queue (started, or put back after a missed offer)',
  'chat.assigned': 'An agent has the chat (accepted, given by round robin, or taken over)',
  'chat.transferred': 'A chat was transferred to another group or agent',
  'message.created': 'A message, file, article or event line both sides see (not agents-only notes)',
  'chat.ended': 'A chat ended (by either side, idle, or closed into a ticket after waiting too long)',
  'chat.abandoned': 'An agent closed a chat as abandoned',
  'ticket.created': 'An agent made a help desk ticket from a chat',
  'survey.submitted': 'A customer answered the survey after a chat',
  'agent.availability': 'An agent became available or unavailable'
} as const

export type WebhookEventType = keyof typeof webhookEvents

/** Sent by Send test event only, to the one endpoint; receivers should accept and ignore it. */
export const testEventType = 'webhook.test'

export const webhookEventTypes = Object.keys(webhookEvents) as WebhookEventType[]

/** An event as a capability records it, inside the transaction of the change it tells of. */
export interface NewWebhookEvent {
  type: WebhookEventType
  /**
   * What orders it: `chat:<id>` or `agent:<id>`. An endpoint gets an event only after every
   * earlier event of the same key was delivered or given up (docs/webhooks.md#ordering).
   */
  key: string | null
  /** The payload's `data`: plain JSON, times as ISO 8601 strings. */
  data: Record<string, unknown>
}

/** An epoch-ms time as the payloads write it (null stays null). */
export function isoTime (ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}
