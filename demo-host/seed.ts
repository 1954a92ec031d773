import type { Knex } from 'knex'
import { hashPassword } from './passwords.ts'
import { kbArticles } from './seed-kb.ts'
import { seedCanned } from './seed-canned.ts'
import { seedCustom } from './seed-custom.ts'
import { seedDepartments } from './seed-departments.ts'
import { seedRouting } from './seed-routing.ts'
import { insertedId } from './db.ts'
import { ticketRef } from './tickets.ts'
import type { TicketKind } from './tickets.ts'

/** Every seeded account signs in with this password. */
export const demoPassword = 'demo'

export const demoUsers = [
  { username: 'alice', name: 'Alice Adams', email: 'alice@helpdesk.example', roles: 'agent' },
  { username: 'bob', name: 'Bob Brown', email: 'bob@helpdesk.example', roles: 'agent' },
  { username: 'carol', name: 'Carol Chen', email: 'carol@helpdesk.example', roles: 'agent' },
  { username: 'sam', name: 'Sam Supervisor', email: 'sam@helpdesk.example', roles: 'supervisor' },
  { username: 'admin', name: 'Ada Admin', email: 'admin@helpdesk.example', roles: 'admin' },
  { username: 'dana', name: 'Dana Doyle', email: 'dana@customer.example', roles: 'customer' },
  { username: 'erin', name: 'Erin Evans', email: 'erin@customer.example', roles: 'customer' }
] as const

/** A field of the desk's ticket form a template sets, or leaves blank for the agent (required ones are asked for before saving). */
interface SeedField { name: string, label: string, required: boolean, value: string, options?: string[] }

const impact: SeedField = { name: 'impact', label: 'Impact', required: true, value: '3-Moderate/Limited', options: ['1-Extensive/Widespread', '2-Significant/Large', '3-Moderate/Limited', '4-Minor/Localized'] }
const urgency: SeedField = { name: 'urgency', label: 'Urgency', required: true, value: '3-Medium', options: ['1-Critical', '2-High', '3-Medium', '4-Low'] }
const priority: SeedField = { name: 'priority', label: 'Priority', required: true, value: 'Medium', options: ['Low', 'Medium', 'High'] }
const service = (value: string): SeedField => ({ name: 'service', label: 'Service', required: false, value })
const assetTag: SeedField = { name: 'asset_tag', label: 'Asset tag', required: true, value: '' }

const templates: Array<{ kind: TicketKind, name: string, summary: string, description: string, fields: SeedField[] }> = [
  {
    kind: 'incident',
    name: 'Cannot sign in',
    summary: 'User cannot sign in',
    description: 'What the user sees (exact error):\nSince when:\nDevices affected:\nMFA working (yes/no):\nSteps already tried:',
    fields: [impact, urgency, service('Identity and sign-in')]
  },
  {
    kind: 'incident',
    name: 'Email or Outlook problem',
    summary: 'Outlook or email not working',
    description: 'Symptom (not syncing / password prompts / crash / other):\nOutlook version and device:\nWorks in Outlook on the web (yes/no):\nSteps already tried:',
    fields: [impact, urgency, service('Email')]
  },
  {
    kind: 'incident',
    name: 'Network or VPN problem',
    summary: 'Cannot connect to the network or VPN',
    description: 'Location (office floor / home / travelling):\nWi-Fi or cable:\nVPN error text:\nOther users affected (yes/no):',
    fields: [impact, urgency, service('Network and VPN'), { name: 'location', label: 'Location', required: false, value: '' }]
  },
  {
    kind: 'incident',
    name: 'Printer problem',
    summary: 'Printing does not work',
    description: 'Printer name or location:\nSymptom (stuck queue / badge not accepted / quality):\nError shown on the printer:',
    fields: [impact, urgency, service('Printing'), assetTag]
  },
  {
    kind: 'work_order',
    name: 'Software installation request',
    summary: 'Install software',
    description: 'Product and version:\nBusiness reason:\nLicence needed (yes/no, cost centre):\nHandles customer data (yes/no):',
    fields: [priority, assetTag]
  },
  {
    kind: 'work_order',
    name: 'Shared mailbox access',
    summary: 'Access to a shared mailbox',
    description: 'Mailbox address:\nAccess needed (read / send as):\nMailbox owner who approves:',
    fields: [priority, { name: 'approver', label: 'Approver', required: false, value: '' }]
  },
  {
    kind: 'work_order',
    name: 'Laptop request',
    summary: 'New or replacement laptop',
    description: 'Model (14-inch standard / 16-inch performance):\nReason:\nCost centre:\nApproving manager:\nDelivery address:',
    fields: [priority, { name: 'cost_centre', label: 'Cost centre', required: true, value: '' }]
  }
]

interface SeedTicket {
  requester: string
  assignee?: string
  kind: TicketKind
  summary: string
  description: string
  status: string
  statusReason?: string
  /** How it was solved: suggested to agents and customers with a similar question. */
  resolution?: string
  ageHours: number
  activity: Array<{ author?: string, text: string }>
}

const tickets: SeedTicket[] = [
  {
    requester: 'dana',
    assignee: 'alice',
    kind: 'incident',
    summary: 'Outlook keeps asking for my password',
    description: 'Since changing my password on Monday, Outlook on my laptop shows a password prompt every few minutes. Outlook on the web works fine.\nI have restarted the laptop twice.',
    status: 'In Progress',
    ageHours: 50,
    activity: [
      { author: 'dana', text: 'Ticket raised from the portal.' },
      { author: 'alice', text: 'Checked sign-in logs: the old password is still used by the Outlook profile. Asked the customer to create a new profile (KB: Repair an Outlook profile).' }
    ]
  },
  {
    requester: 'dana',
    assignee: 'bob',
    kind: 'work_order',
    summary: 'Access to the invoices@ shared mailbox',
    description: 'I have joined the accounts payable team and need to read and send from invoices@customer.example.',
    status: 'Pending',
    statusReason: 'Waiting for mailbox owner approval',
    ageHours: 26,
    activity: [
      { author: 'bob', text: 'Approval requested from the mailbox owner (Finance team lead).' }
    ]
  },
  {
    requester: 'dana',
    assignee: 'carol',
    kind: 'incident',
    summary: 'Printer on floor 3 does not accept my badge',
    description: 'When I tap my badge on the floor 3 printer nothing happens. Colleagues can print.',
    status: 'Resolved',
    statusReason: 'Badge registered',
    resolution: 'The badge had not been registered to the print system after it was replaced. Registered the new badge number under Print management > Users; the floor 3 printer accepts it straight away.',
    ageHours: 120,
    activity: [
      { author: 'carol', text: 'The badge was not registered after its replacement. Registered it and asked the customer to try again.' },
      { author: 'dana', text: 'Works now, thank you!' }
    ]
  },
  {
    requester: 'erin',
    kind: 'incident',
    summary: 'VPN says gateway not reachable from the hotel',
    description: 'Travelling this week. GlobalProtect shows "Gateway not reachable" on the hotel Wi-Fi. Internet browsing works.',
    status: 'New',
    ageHours: 3,
    activity: [
      { author: 'erin', text: 'Ticket raised from the portal.' }
    ]
  },
  {
    requester: 'erin',
    assignee: 'alice',
    kind: 'work_order',
    summary: 'Install Power BI Desktop',
    description: 'I need Power BI Desktop to build the monthly sales report. Our team has licences.',
    status: 'Assigned',
    ageHours: 8,
    activity: [
      { author: 'alice', text: 'Assigned to myself; checking the licence with the team lead.' }
    ]
  },
  {
    requester: 'erin',
    assignee: 'bob',
    kind: 'work_order',
    summary: 'Replacement laptop: battery lasts under an hour',
    description: 'My laptop is four years old and the battery lasts less than an hour.\nCost centre 4410, manager Frank Fischer.',
    status: 'Closed',
    resolution: 'Manager approved the replacement. Ordered a 14-inch standard laptop, moved the files with OneDrive and handed it over at the IT bar; the old laptop was returned for recycling.',
    ageHours: 400,
    activity: [
      { author: 'bob', text: 'Approved by the manager. New 14-inch laptop ordered.' },
      { author: 'bob', text: 'Laptop handed over at the IT bar; old laptop returned.' }
    ]
  },
  {
    requester: 'erin',
    assignee: 'alice',
    kind: 'incident',
    summary: 'Account locked every morning',
    description: 'Every morning my account is locked and I have to wait before I can sign in. I changed my password last week.',
    status: 'Resolved',
    statusReason: 'Old password removed from phone',
    resolution: 'The phone mail app still held the old password and kept retrying overnight, which locked the account. Removed and re-added the work mail account on the phone with the new password; no lockouts since.',
    ageHours: 200,
    activity: [
      { author: 'alice', text: 'Sign-in logs show failed attempts from the customer\'s phone every few minutes.' },
      { author: 'erin', text: 'Re-added the account on my phone, it has stayed unlocked all day.' }
    ]
  },
  {
    requester: 'dana',
    assignee: 'carol',
    kind: 'incident',
    summary: 'Nobody can hear me in Teams meetings',
    description: 'My microphone works in other apps but in Teams meetings people say they cannot hear me. Using a USB headset.',
    status: 'Closed',
    resolution: 'Teams was using the laptop\'s built-in microphone, which Windows had muted. In Teams Settings > Devices chose the USB headset as microphone and speaker and made a test call; the customer is heard fine.',
    ageHours: 300,
    activity: [
      { author: 'carol', text: 'Test call showed no input from the headset microphone.' }
    ]
  },
  {
    requester: 'erin',
    assignee: 'bob',
    kind: 'incident',
    summary: 'VPN connected but the S: drive is missing',
    description: 'Working from home: the VPN says connected, but the team drive S: does not show in File Explorer.',
    status: 'Resolved',
    statusReason: 'Drive mapped',
    resolution: 'Drives are mapped at sign-in, before the VPN was up. Mapped S: by hand to \\\\files.helpdesk.example\\team with "Reconnect at sign-in" ticked; it now appears after the VPN connects.',
    ageHours: 150,
    activity: [
      { author: 'bob', text: 'Remote session: the VPN is fine, the drive mapping ran before it connected.' }
    ]
  },
  {
    requester: 'dana',
    assignee: 'alice',
    kind: 'incident',
    summary: 'Outlook crashes when it starts',
    description: 'Outlook opens for a second and closes again. Restarting the laptop did not help.',
    status: 'Resolved',
    statusReason: 'Add-in disabled',
    resolution: 'Started Outlook in safe mode (outlook.exe /safe): it worked, so an add-in was to blame. Disabled the old PDF add-in under File > Options > Add-ins; Outlook starts normally again.',
    ageHours: 90,
    activity: [
      { author: 'alice', text: 'Outlook starts in safe mode; checking add-ins.' }
    ]
  }
]

/**
 * Inserts the demo users, knowledge base, ticket templates and tickets that are missing
 * (matched by username, title, template name, and requester + summary), so running it
 * again changes nothing and keeps whatever people changed in the demo.
 */
export async function seedDemo (knex: Knex, now: number = Date.now()): Promise<void> {
  const existingUsers = new Set((await knex('users').select('username')).map((r: { username: string }) => r.username))
  const missingUsers = demoUsers.filter((u) => !existingUsers.has(u.username))
  if (missingUsers.length > 0) {
    // One hash for every seeded account keeps start-up fast; each still has a salt and verifies.
    const passwordHash = await hashPassword(demoPassword)
    for (const u of missingUsers) {
      await knex('users').insert({ ...u, password_hash: passwordHash, created_at: now })
    }
  }
  const userIds = new Map<string, number>()
  for (const row of await knex('users').select('id', 'username')) userIds.set(row.username, Number(row.id))

  await seedRouting(knex, userIds)
  await seedDepartments(knex, userIds)
  await seedCanned(knex, userIds)
  await seedCustom(knex)

  const titles = new Set((await knex('kb_articles').select('title')).map((r: { title: string }) => r.title))
  for (const [i, a] of kbArticles.entries()) {
    if (titles.has(a.title)) continue
    const at = now - (kbArticles.length - i) * 86_400_000
    await knex('kb_articles').insert({ title: a.title, body: a.body, category: a.category, status: a.status ?? 'published', visibility: a.visibility ?? 'public', created_at: at, updated_at: at })
  }

  const storedTemplates = new Map((await knex('ticket_templates').select('kind', 'name', 'fields')).map((r: { kind: string, name: string, fields: string | null }) => [`${r.kind}/${r.name}`, r.fields]))
  for (const tpl of templates) {
    const key = `${tpl.kind}/${tpl.name}`
    const fields = JSON.stringify(tpl.fields)
    if (!storedTemplates.has(key)) await knex('ticket_templates').insert({ ...tpl, fields })
    // A desk seeded before templates had fields gets them; fields someone set stay.
    else if (storedTemplates.get(key) === null) await knex('ticket_templates').where({ kind: tpl.kind, name: tpl.name }).update({ fields })
  }

  for (const t of tickets) {
    const requesterId = userIds.get(t.requester) ?? null
    const found = await knex('tickets').where({ requester_id: requesterId, summary: t.summary }).first('id')
    if (found) continue
    const createdAt = now - t.ageHours * 3_600_000
    await knex.transaction(async (trx) => {
      const id = insertedId(await trx('tickets').insert({
        kind: t.kind,
        summary: t.summary,
        description: t.description,
        status: t.status,
        status_reason: t.statusReason ?? null,
        resolution: t.resolution ?? null,
        requester_id: requesterId,
        assignee_id: t.assignee ? userIds.get(t.assignee) ?? null : null,
        created_at: createdAt,
        updated_at: createdAt + t.activity.length * 1_800_000
      }))
      await trx('tickets').where({ id }).update({ ref: ticketRef(t.kind, id) })
      for (const [i, a] of t.activity.entries()) {
        await trx('ticket_activity').insert({
          ticket_id: id,
          text: a.text,
          author_id: a.author ? userIds.get(a.author) ?? null : null,
          created_at: createdAt + (i + 1) * 1_800_000
        })
      }
    })
  }
}
