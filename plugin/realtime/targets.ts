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
  chatTools: (chatId: number) => `lc-chat-tools-${chatId}`,
  tabPanel: (chatId: number) => `lc-tab-panel-${chatId}`,
  conversation: (chatId: number) => `lc-conversation-${chatId}`,
  queue: () => 'lc-queue',
  transferred: () => 'lc-transferred',
  counters: () => 'lc-counters',
  alert: () => 'lc-alert',
  queueCount: () => 'lc-queue-count',
  myActive: () => 'lc-my-active',
  myCompleted: () => 'lc-my-completed',
  availability: () => 'lc-availability',
  panes: () => 'lc-chat-panes',
  notice: () => 'lc-notice',
  // The customer's forms and pages (views/customer/).
  prechat: () => 'lc-prechat',
  leaveMessage: () => 'lc-leave-message',
  messageSent: () => 'lc-message-sent',
  // Live chat administration (views/admin/) and the supervisors' Active Live Chat Groups page.
  adminDepartments: () => 'lc-admin-departments',
  adminNewDepartment: () => 'lc-admin-new-department',
  adminDepartment: (departmentId: number) => `lc-admin-department-${departmentId}`,
  adminDepartmentForm: (departmentId: number) => `lc-admin-department-form-${departmentId}`,
  adminNewGroup: (departmentId: number) => `lc-admin-new-group-${departmentId}`,
  adminGroup: (groupId: number) => `lc-admin-group-${groupId}`,
  adminGroupForm: (groupId: number) => `lc-admin-group-form-${groupId}`,
  adminMembers: (groupId: number) => `lc-admin-members-${groupId}`,
  agentGroups: () => 'lc-agent-groups'
} as const

export type TargetName = keyof typeof targets

export function targetId (name: string, ...args: unknown[]): string {
  const build = (targets as Record<string, (...a: number[]) => string>)[name]
  if (!build) throw new Error(`Unknown target "${name}"`)
  return build(...args.map(Number))
}
