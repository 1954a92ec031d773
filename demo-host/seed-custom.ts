import type { Knex } from 'knex'
import { createChatService } from '../plugin/chats/service.ts'
import { createManualEventService } from '../plugin/manual-events/service.ts'
import { createFieldService } from '../plugin/fields/service.ts'
import { sqlHost } from '../plugin/host/sql-host.ts'
import { loadManifest } from '../plugin/manifest.ts'
import { memoryBus } from '../plugin/realtime/bus.ts'
import { createRoutingService } from '../plugin/routing/service.ts'

/**
 * The demo desk's custom fields and manual events (docs/features.md#custom-fields,
 * docs/features.md#manual-events): an order number asked on the pre-chat form, the product
 * the chat is about, putting a chat on hold (the customer sees it) and asking for an
 * escalation (agents only).
 * Added through the plugin's own services, each list only while it is empty: a desk's later
 * changes stay.
 */
export async function seedCustom (knex: Knex): Promise<void> {
  const bus = memoryBus()
  const routing = createRoutingService({ db: knex, bus, settings: { heartbeatTimeoutSeconds: 60 } })
  const chats = createChatService({ db: knex, bus, host: sqlHost(knex, loadManifest().host), routing, settings: { maxMessageLength: 5000 } })
  const fields = createFieldService({ db: knex, chats })
  const events = createManualEventService({ db: knex, chats })
  if ((await fields.list()).length === 0) {
    await fields.create({ label: 'Order number', key: 'order_number', type: 'number', options: [], required: false, onPrechat: true })
    await fields.create({ label: 'Product', key: 'product', type: 'choice', options: ['Laptop', 'Phone', 'Software', 'Other'], required: false, onPrechat: false })
  }
  if ((await events.list()).length === 0) {
    await events.create({ name: 'Put on hold', body: 'The agent has put the chat on hold; please wait', agentsOnly: false })
    await events.create({ name: 'Escalation requested', body: 'Escalation to level 2 requested for this chat', agentsOnly: true })
  }
}
