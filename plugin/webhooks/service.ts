import type { Auditor, AuditService } from '../audit/service.ts'
import { randomBytes, randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { Knex } from 'knex'
import {
  isCoded, LC_ERR_WEBHOOK_DELIVERY_BUSY, LC_ERR_WEBHOOK_DELIVERY_NOT_FOUND, LC_ERR_WEBHOOK_EVENTS, LC_ERR_WEBHOOK_NOT_FOUND, LC_ERR_WEBHOOK_OFF,
  LC_ERR_WEBHOOK_STATE
} from '../errors.ts'
import type { HostAdapter } from '../host/adapter.ts'
import type { Settings } from '../settings.ts'
import { allowedHosts, type Lookup, parseEndpointUrl, resolveTarget } from './address.ts'
import { createDelivery, type Trigger } from './delivery.ts'
import { testEventType, webhookEventTypes } from './events.ts'
import type { WebhookOutbox } from './outbox.ts'
import type { Attempt } from './send.ts'
import * as store from './store.ts'

export type { WebhookEndpoint, DeliveryLogEntry } from './store.ts'

interface Log {
  info: (obj: object, msg: string) => void
  warn: (obj: object, msg: string) => void
  error: (obj: object, msg: string) => void
}

export interface WebhookServiceDeps {
  db: Knex
  settings: Pick<Settings, 'webhookAllowedHosts' | 'webhookTimeoutSeconds' | 'webhookRetryHours' | 'webhookDisableAfterFailures' | 'rolePermissions'>
  host: Pick<HostAdapter, 'sendMail' | 'usersWithRoles' | 'getUser'>
  outbox: WebhookOutbox
  log: Log
  clock?: () => number
  /** This instance's name in delivery claims and the delivery log (the jobs' instanceName). */
  instanceName?: string
  /** Resolves host names; the system's resolver by default. */
  webhookLookup?: Lookup
  /** The plugin's version, in the User-Agent of every delivery. */
  version?: string
  /** The audit log: endpoints added, turned on or off and removed, in the change's transaction (docs/features.md#audit-log). */
  audit?: Pick<AuditService, 'record'>
}

/** What the audit log keeps of an endpoint: never its secret. */
function endpointState (e: store.WebhookEndpoint) {
  return { url: e.url, description: e.description, events: e.events, enabled: e.enabled }
}

/** An endpoint to register, as the form gives it. */
export interface NewEndpoint {
  url: string
  description: string
  events: string[]
}

/** An endpoint on the page: how many of its deliveries are in each state. */
export interface EndpointOverview extends store.WebhookEndpoint {
  counts: { pending: number, delivered: number, failed: number }
}

/** What Send test event and Redeliver came to. */
export interface SendOutcome {
  deliveryId: number
  attempt: Attempt
}

/**
 * Webhooks (docs/webhooks.md): the endpoints administrators register on the Webhooks page,
 * the job that delivers the outbox to them, and each endpoint's delivery log.
 */
export interface WebhookService {
  /** Every endpoint not removed, oldest first. */
  endpoints (): Promise<EndpointOverview[]>
  /** One endpoint; throws LC_ERR_WEBHOOK_NOT_FOUND. */
  endpoint (id: number): Promise<store.WebhookEndpoint>
  /**
   * Registers an endpoint, turned on, with a new secret: returned here, and never again
   * (the page shows it once). Refuses a URL that is not http(s) (LC_ERR_WEBHOOK_URL), one at
   * an address webhooks may not reach (LC_ERR_WEBHOOK_PRIVATE), and no events (LC_ERR_WEBHOOK_EVENTS).
   */
  create (input: NewEndpoint, by: Auditor & { id: string }): Promise<{ endpoint: store.WebhookEndpoint, secret: string }>
  /** Turns an endpoint on (its failures forgotten) or off; LC_ERR_WEBHOOK_STATE when it already was. */
  setEnabled (id: number, enabled: boolean, by?: Auditor): Promise<store.WebhookEndpoint>
  /** Removes an endpoint: nothing more is sent to it; its log stays in the database. */
  remove (id: number, by?: Auditor): Promise<store.WebhookEndpoint>
  /** The endpoint's latest deliveries with every attempt, newest first. */
  log (id: number, limit?: number): Promise<store.DeliveryLogEntry[]>
  /** Sends one delivery of the endpoint again now; LC_ERR_WEBHOOK_DELIVERY_BUSY naming the instance sending it. */
  redeliver (endpointId: number, deliveryId: number): Promise<SendOutcome>
  /** Sends a webhook.test event to the endpoint now. */
  sendTest (endpointId: number): Promise<SendOutcome>
  /** The `webhooks` job: delivers what is due. */
  deliver (stillOurs: () => Promise<boolean>): Promise<{ rows: number, summary: string, error?: string }>
}

const newSecret = (): string => 'whsec_' + randomBytes(24).toString('base64url')

export function createWebhookService (deps: WebhookServiceDeps): WebhookService {
  const { db, settings, host, outbox, log, clock = Date.now, audit } = deps
  const owner = (deps.instanceName ?? `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(3).toString('hex')}`).slice(0, 64)

  /** Administrators hear of an endpoint turned off: the page shows it, and they get a mail when the help desk sends mail. */
  async function disabled (endpointId: number, reason: string): Promise<void> {
    if (!host.sendMail) return
    try {
      const endpoint = await store.getEndpoint(db, endpointId)
      if (!endpoint) return
      const roles = Object.entries(settings.rolePermissions).filter(([, perms]) => perms.includes('livechat.admin')).map(([role]) => role)
      const admins = host.usersWithRoles ? await host.usersWithRoles(roles, 50) : []
      const creator = await host.getUser(endpoint.createdBy.id)
      const to = new Set([...admins, ...(creator ? [creator] : [])].map((u) => u.email).filter((e) => e !== ''))
      for (const address of to) {
        await host.sendMail({
          to: address,
          subject: `Live chat webhook turned off: ${endpoint.url}`,
          text: `The webhook endpoint ${endpoint.url} (${endpoint.description || 'no description'}) was turned off.\n\n${reason}.\n\n` +
            'Its events are kept and wait for it. Check the receiver, then turn the endpoint on again on the Webhooks page of live chat administration; its delivery log shows every attempt.'
        })
      }
    } catch (err) {
      log.error({ err, endpointId }, 'live chat could not mail administrators about a webhook endpoint turned off')
    }
  }

  const delivery = createDelivery({
    db, settings, clock, log, owner, lookup: deps.webhookLookup, disabled, userAgent: `helpdesk-livechat-webhooks/${deps.version ?? '0'}`
  })

  async function endpoint (id: number): Promise<store.WebhookEndpoint> {
    const found = await store.getEndpoint(db, id)
    if (!found) throw new LC_ERR_WEBHOOK_NOT_FOUND(String(id))
    return found
  }

  async function sendNow (deliveryId: number, trigger: Trigger): Promise<SendOutcome> {
    const d = await store.getDelivery(db, deliveryId)
    if (!d) throw new LC_ERR_WEBHOOK_DELIVERY_NOT_FOUND(String(deliveryId))
    const attempt = await delivery.sendNow(d, trigger)
    if (attempt === null) {
      const now = await store.getDelivery(db, deliveryId)
      throw new LC_ERR_WEBHOOK_DELIVERY_BUSY(String(deliveryId), now?.claimedBy === owner ? `this instance (${owner})` : `instance ${now?.claimedBy ?? 'another instance'}`)
    }
    return { deliveryId, attempt }
  }

  return {
    async endpoints () {
      const [list, counts] = await Promise.all([store.listEndpoints(db), store.deliveryCounts(db)])
      return list.map((e) => {
        const c = counts.get(e.id) ?? {}
        return { ...e, counts: { pending: c.pending ?? 0, delivered: c.delivered ?? 0, failed: c.failed ?? 0 } }
      })
    },

    endpoint,

    async create (input, by) {
      const url = parseEndpointUrl(input.url)
      if (input.events.length === 0 || input.events.some((e) => !(webhookEventTypes as string[]).includes(e))) throw new LC_ERR_WEBHOOK_EVENTS()
      try {
        // Refused now if it resolves to an address webhooks may not reach; a name that does not resolve yet is let be
        // (each delivery resolves it again, and its log says why it failed).
        await resolveTarget(url, allowedHosts(settings.webhookAllowedHosts), deps.webhookLookup)
      } catch (err) {
        if (isCoded(err)) throw err
      }
      const secret = newSecret()
      const events = webhookEventTypes.filter((e) => input.events.includes(e))
      const id = await db.transaction(async (trx) => {
        const id = await store.insertEndpoint(trx, {
          url: url.href,
          description: input.description,
          events: events.join(','),
          secret,
          enabled: true,
          created_by: by.id,
          created_by_name: by.name.slice(0, 120),
          created_at: clock()
        })
        const made = (await store.getEndpoint(trx, id))!
        await audit?.record(trx, by, { action: 'webhook.created', subject: `Webhook ${made.url}`, subjectId: id, after: endpointState(made) })
        return id
      })
      outbox.forget()
      log.info({ endpointId: id, url: url.href, by: by.id }, 'live chat webhook endpoint registered')
      return { endpoint: await endpoint(id), secret }
    },

    async setEnabled (id, enabled, by) {
      const before = await endpoint(id)
      await db.transaction(async (trx) => {
        if (await store.setEnabled(trx, id, enabled, clock()) === 0) throw new LC_ERR_WEBHOOK_STATE(before.enabled ? 'on' : 'off')
        const after = (await store.getEndpoint(trx, id))!
        await audit?.record(trx, by ?? null, { action: 'webhook.updated', subject: `Webhook ${before.url}`, subjectId: id, before: endpointState(before), after: endpointState(after) })
      })
      outbox.forget()
      return await endpoint(id)
    },

    async remove (id, by) {
      const before = await endpoint(id)
      await db.transaction(async (trx) => {
        if (await store.markEndpointDeleted(trx, id, clock()) === 0) throw new LC_ERR_WEBHOOK_NOT_FOUND(String(id))
        await audit?.record(trx, by ?? null, { action: 'webhook.removed', subject: `Webhook ${before.url}`, subjectId: id, before: endpointState(before), after: null })
      })
      outbox.forget()
      return before
    },

    async log (id, limit = 50) {
      await endpoint(id)
      return await store.deliveryLog(db, id, limit)
    },

    async redeliver (endpointId, deliveryId) {
      const e = await endpoint(endpointId)
      const d = await store.getDelivery(db, deliveryId)
      if (!d || d.endpointId !== endpointId) throw new LC_ERR_WEBHOOK_DELIVERY_NOT_FOUND(String(deliveryId))
      if (!e.enabled) throw new LC_ERR_WEBHOOK_OFF()
      return await sendNow(deliveryId, 'redeliver')
    },

    async sendTest (endpointId) {
      const e = await endpoint(endpointId)
      if (!e.enabled) throw new LC_ERR_WEBHOOK_OFF()
      const at = clock()
      const eventId = await db.transaction(async (trx) => {
        const id = await store.insertEvent(trx, {
          uid: randomUUID(),
          type: testEventType,
          data: JSON.stringify({ endpoint: { id: e.id, url: e.url }, message: 'A test event sent from the Webhooks page; nothing happened in live chat' }),
          created_at: at
        })
        await store.insertDeliveries(trx, id, [e.id], null, at)
        return id
      })
      return await sendNow((await store.deliveryOf(db, eventId, e.id))!, 'test')
    },

    async deliver (stillOurs) {
      return await delivery.run(stillOurs)
    }
  }
}
