import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import { composerModel } from '../chats/view-models.ts'
import type { RouteDeps } from '../deps.ts'
import { rateLimitError } from '../error-handler.ts'
import { envelope, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { describeAjvError } from '../validation.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { prechatBody, readPrechat } from './schemas.ts'

export const customerCookie = (chatId: number): string => `lc_chat_${chatId}`

/** The customer's side: the portal link, the pre-chat form and the chat window. */
export const customerRoutes: FastifyPluginAsync<RouteDeps> = async (fastify, deps) => {
  const { base, chats, routing, access, views, customerViews, settings } = deps

  async function prechat (request: FastifyRequest, reply: FastifyReply, status: number, values?: Record<string, string>, errors: Record<string, string> = {}) {
    const user = await access.user(request)
    const locked = user !== null
    const shown = locked ? { ...values, name: user.name, email: user.email } : values ?? {}
    return reply.code(status).lcView('customer/prechat.page.hbs', {
      base, csrf: reply.generateCsrf(), available: await routing.anyoneAvailable(), values: shown, locked, errors
    })
  }

  fastify.get('/portal/link', async (_request, reply) => {
    return reply.type('text/html; charset=utf-8').send(views.render('customer/portal-link', { base, available: await routing.anyoneAvailable() }))
  })

  fastify.get('/start', async (request, reply) => await prechat(request, reply, 200))

  fastify.post('/start', {
    schema: { body: prechatBody },
    attachValidation: true,
    preValidation: fastify.csrfProtection,
    config: { rateLimit: { max: settings.chatStartsPerMinute, timeWindow: '1 minute', errorResponseBuilder: rateLimitError('chats started from this address') } }
  }, async (request, reply) => {
    const user = await access.user(request)
    const { values, errors } = readPrechat(request.body)
    if (user) { values.name = user.name; values.email = user.email }
    // Problems outside the three fields (an unknown field, a non-string) still stop the form.
    if (request.validationError && Object.keys(errors).length === 0) {
      errors.form = describeAjvError((request.validationError as FastifyError).validation![0] as never, 'form')
    }
    if (Object.keys(errors).length > 0) return await prechat(request, reply, 422, values, errors)
    const { chat, token } = await chats.startChat({ ...values, customer: user })
    reply.setCookie(customerCookie(chat.id), token, {
      path: base, httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https', maxAge: 7 * 24 * 3600
    })
    return reply.redirect(`${base}/chat/${chat.id}`, 303)
  })

  fastify.get<{ Params: { id: number } }>('/chat/:id', { schema: { params: chatParams } }, async (request, reply) => {
    const user = await access.user(request)
    const chat = await chats.chatForCustomer(request.params.id, request.cookies[customerCookie(request.params.id)], user)
    const messages = await chats.messages(chat.id)
    const ahead = await chats.queuePosition(chat)
    const since = messages.at(-1)?.seq ?? 0
    return reply.lcView('customer/chat.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      chat,
      messages,
      status: await customerViews.status(chat, ahead),
      composer: composerModel(base, chat, 'customer', null),
      wsBase: `${base}/ws/chat/${chat.id}`,
      wsUrl: `${base}/ws/chat/${chat.id}?since=${chat.id}.${since}`
    })
  })

  fastify.post<{ Params: { id: number } }>('/chat/:id/end', {
    schema: { params: chatParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const user = await access.user(request)
    const chat = await chats.chatForCustomer(request.params.id, request.cookies[customerCookie(request.params.id)], user)
    const ended = await chats.endChat(chat.id, { kind: 'customer', id: chat.customerUserId, name: chat.customerName })
    if (!request.headers['hx-request']) return reply.redirect(`${base}/chat/${chat.id}`, 303)
    return reply.type('text/html; charset=utf-8').send(envelope([
      fragment(targets.status(chat.id), 'outerHTML', views.render('customer/status', await customerViews.status(ended, undefined))),
      fragment(targets.composer(chat.id), 'outerHTML', views.render('chats/composer', composerModel(base, ended, 'customer', null))),
      fragment(targets.notice(), 'innerHTML', '')
    ]))
  })
}
