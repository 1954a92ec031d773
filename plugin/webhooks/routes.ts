import type { FastifyPluginAsync } from 'fastify'
import type { Access } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { answer, clearNotice, notice, ok } from '../web/answers.ts'
import { attempt } from '../web/forms.ts'
import { deliveryParams, endpointBody, endpointForm, endpointParams } from './schemas.ts'
import type { SendOutcome, WebhookService } from './service.ts'
import type { WebhookViews } from './view-models.ts'

/** What the Webhooks page uses. */
export interface WebhookRoutesDeps {
  base: string
  access: Pick<Access, 'agent'>
  webhooks: Pick<WebhookService, 'create' | 'setEnabled' | 'remove' | 'redeliver' | 'sendTest'>
  webhookViews: Pick<WebhookViews, 'form' | 'list' | 'log' | 'formFragment' | 'listFragment' | 'secretFragment' | 'logFragment'>
}

const notices = {
  created: (url: string) => `${url} is registered; copy its secret now, it is not shown again`,
  on: (url: string) => `${url} is on; its waiting events are sent`,
  off: (url: string) => `${url} is off; its events wait until it is turned on`,
  removed: (url: string) => `${url} is removed; nothing more is sent to it`,
  sent: (o: SendOutcome) => `Delivered: the receiver answered ${o.attempt.status ?? ''} in ${o.attempt.durationMs} ms`,
  notSent: (o: SendOutcome) => `Not delivered: ${o.attempt.error ?? 'no answer'}. It is retried; the delivery log has the details`
}

const said = (o: SendOutcome) => o.attempt.ok ? ok(notices.sent(o)) : notice('warning', notices.notSent(o), 'LC_WEBHOOK_NOT_DELIVERED')

/**
 * The Webhooks page (docs/webhooks.md, docs/features.md#webhooks, `livechat.admin`):
 * register an endpoint (its secret shown once), turn it on or off, send a test event,
 * remove it; and each endpoint's delivery log with Redeliver.
 */
export const webhookRoutes: FastifyPluginAsync<WebhookRoutesDeps> = async (fastify, { base, access, webhooks, webhookViews }) => {
  const post = { preValidation: fastify.csrfProtection }

  fastify.get('/admin/webhooks', async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    return reply.lcView('webhooks/webhooks.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      user: admin.user,
      form: webhookViews.form(),
      list: await webhookViews.list(),
      secret: { endpoint: null, secret: null }
    })
  })

  fastify.post('/admin/webhooks', { schema: { body: endpointBody }, ...post }, async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    const form = endpointForm.read(request.body)
    const made = await attempt(form, async (input) => await webhooks.create(input, admin.by),
      { LC_ERR_WEBHOOK_URL: 'url', LC_ERR_WEBHOOK_PRIVATE: 'url', LC_ERR_WEBHOOK_EVENTS: 'events' })
    if (!made) return await answer(reply, [webhookViews.formFragment(form), clearNotice()], 422)
    return await answer(reply, [
      await webhookViews.listFragment(), webhookViews.formFragment(), webhookViews.secretFragment(made), ok(notices.created(made.endpoint.url))
    ])
  })

  for (const [path, on] of [['enable', true], ['disable', false]] as const) {
    fastify.post<{ Params: { id: number } }>(`/admin/webhooks/:id/${path}`, { schema: { params: endpointParams, body: csrfOnlyBody }, ...post }, async (request, reply) => {
      const admin = await access.agent(request, 'livechat.admin')
      const endpoint = await webhooks.setEnabled(request.params.id, on, admin.by)
      return await answer(reply, [await webhookViews.listFragment(), ok(on ? notices.on(endpoint.url) : notices.off(endpoint.url))])
    })
  }

  fastify.post<{ Params: { id: number } }>('/admin/webhooks/:id/remove', { schema: { params: endpointParams, body: csrfOnlyBody }, ...post }, async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    const endpoint = await webhooks.remove(request.params.id, admin.by)
    return await answer(reply, [await webhookViews.listFragment(), ok(notices.removed(endpoint.url))])
  })

  fastify.post<{ Params: { id: number } }>('/admin/webhooks/:id/test', { schema: { params: endpointParams, body: csrfOnlyBody }, ...post }, async (request, reply) => {
    await access.agent(request, 'livechat.admin')
    const outcome = await webhooks.sendTest(request.params.id)
    return await answer(reply, [await webhookViews.listFragment(), said(outcome)])
  })

  fastify.get<{ Params: { id: number } }>('/admin/webhooks/:id', { schema: { params: endpointParams } }, async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    return reply.lcView('webhooks/deliveries.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      user: admin.user,
      log: await webhookViews.log(request.params.id)
    })
  })

  fastify.post<{ Params: { id: number, deliveryId: number } }>('/admin/webhooks/:id/deliveries/:deliveryId/redeliver',
    { schema: { params: deliveryParams, body: csrfOnlyBody }, ...post }, async (request, reply) => {
      await access.agent(request, 'livechat.admin')
      const outcome = await webhooks.redeliver(request.params.id, request.params.deliveryId)
      return await answer(reply, [await webhookViews.logFragment(request.params.id), said(outcome)])
    })
}
