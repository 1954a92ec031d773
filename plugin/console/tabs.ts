/**
 * The tabs of a chat's view (docs/features.md#chat-pane). Conversation is the pane
 * itself and stays in the page, so a draft survives switching; every other tab is loaded
 * into the pane's tab panel by GET /console/chats/:id/tabs/<id>, which its capability's
 * routes serve.
 */
export interface ChatTab {
  id: string
  label: string
}

export const chatTabs: readonly ChatTab[] = [
  { id: 'conversation', label: 'Conversation' },
  { id: 'comments', label: 'Comments' },
  { id: 'customer', label: 'Customer' },
  { id: 'survey', label: 'Survey' },
  { id: 'fields', label: 'Custom Fields' },
  { id: 'timelogs', label: 'Time Logs' },
  { id: 'related', label: 'Related Items' },
  { id: 'history', label: 'History' },
  { id: 'attachments', label: 'Attachments' }
]
