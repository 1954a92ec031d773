import type { Knex } from 'knex'
import { createCannedService } from '../plugin/canned/service.ts'
import { memoryBus } from '../plugin/realtime/bus.ts'
import { createRoutingService } from '../plugin/routing/service.ts'

const replies: Array<{ group: string | null, title: string, shortcut: string, body: string }> = [
  { group: null, title: 'Greeting', shortcut: 'hello', body: 'Hi {{customer.name}}, I am {{agent.name}} from IT support. How can I help?' },
  { group: null, title: 'One moment', shortcut: 'moment', body: 'Thanks, {{customer.name}}. Give me a moment while I look into this.' },
  {
    group: null,
    title: 'Goodbye',
    shortcut: 'bye',
    body: 'Is there anything else I can help you with? If not, thanks for contacting IT support, {{customer.name}}. Your chat number is {{chat.number}} if you need to refer to it.'
  },
  {
    group: 'Support L1',
    title: 'Reinstall the VPN profile',
    shortcut: 'vpn',
    body: 'Let us reinstall your VPN profile: open GlobalProtect, choose Settings > Remove profile, then sign in again at vpn.helpdesk.example with your usual account. Tell me what you see after that.'
  },
  {
    group: 'Support L1',
    title: 'Password reset',
    shortcut: 'password',
    body: 'You can reset your password yourself at https://passwords.helpdesk.example. The new password works everywhere within 5 minutes; sign out of Outlook and Teams and back in afterwards. The confirmation goes to {{customer.email}}.'
  }
]

/**
 * The demo desk's canned replies (docs/features.md#canned-replies): greetings and a goodbye
 * for everyone, and Support L1's VPN and password answers. Added through the plugin's own
 * service, once, while there are none: a desk's later changes stay.
 */
export async function seedCanned (knex: Knex, userIds: Map<string, number>): Promise<void> {
  const routing = createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 60 } })
  const canned = createCannedService({ db: knex, routing })
  if (!await canned.isEmpty()) return
  const groups = await routing.groups()
  // The seed writes as the demo administrator, who may manage every scope.
  const manager = { admin: true, scope: { id: String(userIds.get('admin')), name: 'Ada Admin', activeIn: [], visible: 'all' as const, supervise: true } }
  for (const r of replies) {
    const groupId = r.group === null ? null : groups.find((g) => g.name === r.group)?.id
    if (groupId === undefined) continue
    const saved = await canned.create(manager, groupId, r)
    if (saved.errors) throw new Error(`demo canned reply /${r.shortcut} refused: ${JSON.stringify(saved.errors)}`)
  }
}
