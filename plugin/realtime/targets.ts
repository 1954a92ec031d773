/**
 * Element ids are the contract between the server and the DOM: every partial's
 * root id and every swap target is built here and nowhere else.
 */
export const targets = {
  chat: (chatId: number) => `lc-chat-${chatId}`,
  chatHeader: (chatId: number) => `lc-chat-header-${chatId}`,
  messages: (chatId: number) => `lc-messages-${chatId}`,
  message: (chatId: number, seq: number) => `lc-msg-${chatId}-${seq}`,
  composer: (chatId: number) => `lc-composer-${chatId}`,
  coaching: (chatId: number) => `lc-coaching-${chatId}`,
  typing: (chatId: number) => `lc-typing-${chatId}`,
  // How far the other side has read the chat (views/chats/read-mark.hbs).
  readMark: (chatId: number) => `lc-read-mark-${chatId}`,
  // How far the other side's open window holds the chat (views/chats/delivered-mark.hbs).
  deliveredMark: (chatId: number) => `lc-delivered-mark-${chatId}`,
  status: (chatId: number) => `lc-status-${chatId}`,
  chatTools: (chatId: number) => `lc-chat-tools-${chatId}`,
  tabPanel: (chatId: number) => `lc-tab-panel-${chatId}`,
  // A chat's Customer tab (views/console/customer-panel.hbs).
  customerPanel: (chatId: number) => `lc-customer-panel-${chatId}`,
  conversation: (chatId: number) => `lc-conversation-${chatId}`,
  // Send file by a chat's composer: what the upload says (Uploading…, or why it was refused).
  fileStatus: (chatId: number) => `lc-file-status-${chatId}`,
  // A chat's Comments tab (views/comments/): the form, the list, and each comment in it.
  commentForm: (chatId: number) => `lc-comment-form-${chatId}`,
  comments: (chatId: number) => `lc-comments-${chatId}`,
  comment: (commentId: number) => `lc-comment-${commentId}`,
  // A chat's Related Items and Time Logs tabs (views/items/), refreshed by the Add forms in its tools slot.
  relatedItems: (chatId: number) => `lc-related-items-${chatId}`,
  timeLogs: (chatId: number) => `lc-time-logs-${chatId}`,
  // A chat's Resources panel beside its conversation (views/resources/): the panel, its pins, search form and results.
  resources: (chatId: number) => `lc-resources-${chatId}`,
  resourcePins: (chatId: number) => `lc-resource-pins-${chatId}`,
  resourceSearch: (chatId: number) => `lc-resource-search-${chatId}`,
  resourceResults: (chatId: number) => `lc-resource-results-${chatId}`,
  // One article's Pin / Unpin in the results; `articleKey` is its id hex-encoded (built in
  // plugin/resources/view-models.ts, so not reachable through the lcId helper).
  resourcePin: (chatId: number, articleKey: string) => `lc-resource-pin-${chatId}-${articleKey}`,
  // The post-chat survey (views/surveys/): the customer's form under the closed composer, and the agent's Survey tab.
  survey: (chatId: number) => `lc-survey-${chatId}`,
  surveyTab: (chatId: number) => `lc-survey-tab-${chatId}`,
  // Custom fields (views/fields/): a chat's Custom Fields tab form and the values line atop its conversation.
  chatFields: (chatId: number) => `lc-chat-fields-${chatId}`,
  fieldValues: (chatId: number) => `lc-field-values-${chatId}`,
  // Custom fields and manual events administration (views/fields/, views/manual-events/).
  adminFields: () => 'lc-admin-fields',
  adminNewField: () => 'lc-admin-new-field',
  // The block list page (views/blocklist/): the entries blocking now, the add form, the history.
  blocklist: () => 'lc-blocklist',
  blocklistForm: () => 'lc-blocklist-form',
  blocklistHistory: () => 'lc-blocklist-history',
  // The Webhooks page (views/webhooks/): the endpoints, the add form, the secret shown once, an endpoint's delivery log.
  webhooks: () => 'lc-webhooks',
  webhookForm: () => 'lc-webhook-form',
  webhookSecret: () => 'lc-webhook-secret',
  webhookLog: (endpointId: number) => `lc-webhook-log-${endpointId}`,
  // The API tokens page (views/admin/api-token*.hbs): the tokens, the create form, a new token shown once.
  apiTokens: () => 'lc-api-tokens',
  apiTokenForm: () => 'lc-api-token-form',
  apiTokenCreated: () => 'lc-api-token-created',
  adminFieldForm: (fieldId: number) => `lc-admin-field-form-${fieldId}`,
  adminEvents: () => 'lc-admin-events',
  adminNewEvent: () => 'lc-admin-new-event',
  adminEventForm: (eventId: number) => `lc-admin-event-form-${eventId}`,
  queue: () => 'lc-queue',
  transferred: () => 'lc-transferred',
  // The console's Queue and Transferred: their rows' lists and each row, pushed one by one as chats come and go.
  queueRows: () => 'lc-queue-rows',
  queueRow: (chatId: number) => `lc-queue-row-${chatId}`,
  transferredRows: () => 'lc-transferred-rows',
  transferredRow: (chatId: number) => `lc-transferred-row-${chatId}`,
  transferredCount: () => 'lc-transferred-count',
  counters: () => 'lc-counters',
  // One live counter each (views/console/counter.hbs), so a queue change replaces only the counts it moved.
  counterQueue: () => 'lc-counter-queue',
  counterTransferred: () => 'lc-counter-transferred',
  counterUnread: () => 'lc-counter-unread',
  counterUnassigned: () => 'lc-counter-unassigned',
  alert: () => 'lc-alert',
  alertPrefs: () => 'lc-alert-prefs',
  queueCount: () => 'lc-queue-count',
  myActive: () => 'lc-my-active',
  // My Active's one Actions menu, moved to the row whose button opened it (views/console/my-active.hbs).
  myActiveMenu: () => 'lc-my-active-menu',
  myCompleted: () => 'lc-my-completed',
  availability: () => 'lc-availability',
  panes: () => 'lc-chat-panes',
  notice: () => 'lc-notice',
  // Where the console's overlays land when first wanted (views/console/overlays.hbs).
  overlays: () => 'lc-overlays',
  // The chat lists (views/lists/*, views/console/list*.hbs): the table and a row of it, its toolbar forms, outcomes and the refresh signal.
  list: () => 'lc-list',
  listRow: (chatId: number) => `lc-list-row-${chatId}`,
  listFields: () => 'lc-list-fields',
  listTransfer: () => 'lc-list-transfer',
  listTransferForm: () => 'lc-list-transfer-form',
  listResults: () => 'lc-list-results',
  // Delete selected (completed lists) and Undelete selected (Deleted Items) in the list toolbar.
  listDelete: () => 'lc-list-delete',
  listUndelete: () => 'lc-list-undelete',
  listStale: () => 'lc-list-stale',
  // Advanced Search (views/search/): its form and the chats it found.
  searchForm: () => 'lc-search-form',
  searchResults: () => 'lc-search-results',
  // The customer's forms and pages (views/customer/).
  prechat: () => 'lc-prechat',
  leaveMessage: () => 'lc-leave-message',
  messageSent: () => 'lc-message-sent',
  // Suggested solutions between the pre-chat form and the queue, and the thanks when one answered.
  suggestions: () => 'lc-suggestions',
  answered: () => 'lc-answered',
  // The administrators' deflection report (views/deflections/).
  deflections: () => 'lc-deflections',
  // Reports (views/reports/): the report, and each of its tables by id (summary, hours, days …).
  reports: () => 'lc-reports',
  reportTable: (id: string) => `lc-report-${id}`,
  // The wallboard (views/reports/wallboard.hbs): replaced whole on each push.
  wallboard: () => 'lc-wallboard',
  // Live chat administration (views/admin/) and the supervisors' Active Live Chat Groups page.
  adminDepartments: () => 'lc-admin-departments',
  adminNewDepartment: () => 'lc-admin-new-department',
  adminDepartment: (departmentId: number) => `lc-admin-department-${departmentId}`,
  adminDepartmentForm: (departmentId: number) => `lc-admin-department-form-${departmentId}`,
  adminNewGroup: (departmentId: number) => `lc-admin-new-group-${departmentId}`,
  adminGroup: (groupId: number) => `lc-admin-group-${groupId}`,
  adminGroupForm: (groupId: number) => `lc-admin-group-form-${groupId}`,
  adminMembers: (groupId: number) => `lc-admin-members-${groupId}`,
  adminImport: () => 'lc-admin-import',
  adminImportForm: () => 'lc-admin-import-form',
  agentGroups: () => 'lc-agent-groups',
  // The Business hours page (views/admin/hours*.hbs): one card per department, with its form.
  adminHours: (departmentId: number) => `lc-admin-hours-${departmentId}`,
  adminHoursForm: (departmentId: number) => `lc-admin-hours-form-${departmentId}`,
  // The Scheduled jobs page (views/jobs/): one card per job, by its manifest id (built in plugin/jobs/view-models.ts).
  adminJobs: () => 'lc-admin-jobs',
  adminJob: (jobId: string) => `lc-admin-job-${jobId}`,
  // The settings screen (views/admin/settings*.hbs): one form per group of settings, and the history of changes.
  adminSettingsGroup: (groupId: string) => `lc-admin-settings-${groupId}`,
  adminSettingsHistory: () => 'lc-admin-settings-history',
  // Canned replies: the suggestions under an agent's composer and the management page (views/canned/).
  canned: (chatId: number) => `lc-canned-${chatId}`,
  cannedOptions: (chatId: number) => `lc-canned-options-${chatId}`,
  cannedListbox: (chatId: number) => `lc-canned-listbox-${chatId}`,
  cannedOption: (chatId: number, replyId: number) => `lc-canned-option-${chatId}-${replyId}`,
  cannedSearch: (chatId: number) => `lc-canned-search-${chatId}`,
  cannedScope: (groupId: number) => groupId === 0 ? 'lc-canned-scope-global' : `lc-canned-scope-${groupId}`,
  cannedNew: () => 'lc-canned-new',
  cannedForm: (replyId: number) => `lc-canned-form-${replyId}`,
  // Instant messages (views/im/), threads and rooms alike: a conversation's panel (what the
  // no-access panel replaces), its scroller with the older-messages loader, the message list
  // the streams append to, one message, the composer, the header, the tab panel and its
  // agent lists; the pop-ups, the topbar's unread badge and New dialog; the Instant Messages
  // list with its toolbar forms, outcomes and refresh signal; the New form's agent picker.
  imConversation: (conversationId: number) => `lc-im-conversation-${conversationId}`,
  imScroll: (conversationId: number) => `lc-im-scroll-${conversationId}`,
  imOlder: (conversationId: number) => `lc-im-older-${conversationId}`,
  imMessages: (conversationId: number) => `lc-im-messages-${conversationId}`,
  imMessage: (conversationId: number, seq: number) => `lc-im-msg-${conversationId}-${seq}`,
  imComposer: (conversationId: number) => `lc-im-composer-${conversationId}`,
  imPopupComposer: (conversationId: number) => `lc-im-popup-composer-${conversationId}`,
  imHeader: (conversationId: number) => `lc-im-header-${conversationId}`,
  imTabPanel: (conversationId: number) => `lc-im-tab-panel-${conversationId}`,
  imAgents: (conversationId: number) => `lc-im-agents-${conversationId}`,
  imInvite: (conversationId: number) => `lc-im-invite-${conversationId}`,
  imPopups: () => 'lc-im-popups',
  imPopup: (conversationId: number) => `lc-im-popup-${conversationId}`,
  imUnread: () => 'lc-im-unread',
  imModal: () => 'lc-im-modal',
  imNew: () => 'lc-im-new',
  imNewAgents: () => 'lc-im-new-agents',
  imList: () => 'lc-im-list',
  imListRow: (conversationId: number) => `lc-im-row-${conversationId}`,
  imListStale: () => 'lc-im-list-stale',
  imListFields: () => 'lc-im-list-fields',
  imListResults: () => 'lc-im-list-results',
  imListJoin: () => 'lc-im-list-join',
  imListTranscript: () => 'lc-im-list-transcript',
  imListDelete: () => 'lc-im-list-delete',
  imListUndelete: () => 'lc-im-list-undelete',
  // Chat rooms (views/im/room*.hbs, rooms*.hbs): the list, the New room dialog and its form,
  // and a room's page: the room, its header, its managers' panel, the tab panel and the
  // Participants and With Access lists in it. Its Chat Room tab is the conversation's own
  // (imConversation and the rest).
  rooms: () => 'lc-rooms',
  roomRow: (conversationId: number) => `lc-room-row-${conversationId}`,
  roomModal: () => 'lc-room-modal',
  roomForm: () => 'lc-room-form',
  room: (conversationId: number) => `lc-room-${conversationId}`,
  roomHeader: (conversationId: number) => `lc-room-header-${conversationId}`,
  roomManage: (conversationId: number) => `lc-room-manage-${conversationId}`,
  roomTabPanel: (conversationId: number) => `lc-room-tab-panel-${conversationId}`,
  roomParticipants: (conversationId: number) => `lc-room-participants-${conversationId}`,
  roomWithAccess: (conversationId: number) => `lc-room-with-access-${conversationId}`
} as const

export type TargetName = keyof typeof targets

export function targetId (name: string, ...args: unknown[]): string {
  // Through unknown: resourcePin takes a string key too, and is never reached from here.
  const build = (targets as unknown as Record<string, (...a: number[]) => string>)[name]
  if (!build) throw new Error(`Unknown target "${name}"`)
  return build(...args.map(Number))
}
