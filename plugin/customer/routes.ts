import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { customerCookie } from '../chats/rules.ts'
import { chatParams } from '../chats/schemas.ts'
import { composerModel } from '../chats/view-models.ts'
import type { RouteDeps } from '../deps.ts'
import { rateLimitError } from '../web/error-handler.ts'
import { isCoded, LC_ERR_DEPARTMENT_OFFLINE } from '../errors.ts'
import type { HostUser, KnowledgeHit } from '../host/adapter.ts'
import { envelope, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { describeAjvError } from '../validation.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import {
  answeredBody, type DepartmentQuery, departmentQuery, fieldMessages, type FormValues, leaveMessageBody, type LeaveMessageValues,
  prechatBody, type PrechatValues, readLeaveMessage, readPrechat
} from './schemas.ts'
import type { DepartmentChoice, KnownPlace } from './service.ts'
import { departmentOptions } from './view-models.ts'

interface FormState<V> {
  values?: Partial<V>
  errors?: Record<string, string>
  /** The departments as already read for this request. */
  departments?: DepartmentChoice[]
}

/** The customer's side: the portal link, the pre-chat form, leave a message and the chat window. */
export const customerRoutes: FastifyPluginAsync<RouteDeps> = async (fastify, deps) => {
  const { base, chats, access, views, customerViews, customer, settings, deflections } = deps
  const limited = (what: string) => ({ rateLimit: { max: settings.chatStartsPerMinute, timeWindow: '1 minute', errorResponseBuilder: rateLimitError(what) } })

  /** A signed-in portal customer's name and email stand, whatever the form says. */
  function signedIn<V extends Partial<FormValues>> (values: V, user: HostUser | null): V {
    return user ? { ...values, name: user.name, email: user.email } : values
  }

  /** Problems outside the form's fields (an unknown field, a non-string) still stop the form. */
  function formError (request: FastifyRequest, errors: Record<string, string>): void {
    if (request.validationError && Object.keys(errors).length === 0) {
      errors.form = describeAjvError((request.validationError as FastifyError).validation![0] as never, 'form')
    }
  }

  /**
   * A posted form that names a department: its values (name and email from the portal
   * session when signed in), every field's error, the departments and the place it names.
   */
  async function readPlaced<V extends Partial<FormValues> & { department: string }> (request: FastifyRequest, read: (body: unknown) => { values: V, errors: Record<string, string> }) {
    const user = await access.user(request)
    const { values: raw, errors } = read(request.body)
    const values = signedIn(raw, user)
    formError(request, errors)
    const list = await customer.departments()
    const place = await customer.place(values.department, list)
    if (place.unknown) errors.department ??= fieldMessages.unknownDepartment
    return { user, values, errors, list, place }
  }

  async function prechat (request: FastifyRequest, reply: FastifyReply, status: number, state: FormState<PrechatValues> = {}) {
    const user = await access.user(request)
    const list = state.departments ?? await customer.departments()
    const values = signedIn(state.values ?? {}, user)
    const selected = values.department || customer.fallback(list)?.id
    return reply.code(status).lcView('customer/prechat.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      available: await customer.online(list),
      values,
      locked: user !== null,
      errors: state.errors ?? {},
      departments: departmentOptions(list, selected, true),
      // The custom fields the administrator asks here (plugin/fields), with what was typed.
      customFields: await deps.fieldViews.prechat(values.fields ?? {}, state.errors ?? {})
    })
  }

  /** The leave-a-message page; `offline` says why it is shown instead of a chat, `kept` that the pre-chat form's text came along. */
  async function leaveMessage (request: FastifyRequest, reply: FastifyReply, status: number, state: FormState<LeaveMessageValues> & { offline?: string, kept?: boolean } = {}) {
    const user = await access.user(request)
    const list = state.departments ?? await customer.departments()
    const values = signedIn(state.values ?? {}, user)
    return reply.code(status).lcView('customer/message.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      values,
      locked: user !== null,
      errors: state.errors ?? {},
      offline: state.offline ?? null,
      kept: state.kept ?? false,
      departments: departmentOptions(list, values.department, false)
    })
  }

  /** The pre-chat form as posted: its values, every problem with them (custom fields too) and where the chat would go. */
  async function readStart (request: FastifyRequest) {
    const placed = await readPlaced(request, readPrechat)
    const answers = await deps.fields.checkPrechat(placed.values.fields ?? {})
    for (const [key, error] of Object.entries(answers.errors)) placed.errors[`f_${key}`] = error!.message
    return { ...placed, answers, valid: !placed.place.unknown && Object.keys(placed.errors).length === 0 }
  }
  type Start = Awaited<ReturnType<typeof readStart>>

  /**
   * The suggested solutions page (docs/features.md#suggested-solutions): the articles, and
   * the pre-chat form carried in hidden fields, custom fields included, so either choice
   * loses nothing typed.
   */
  async function suggestions (reply: FastifyReply, status: number, form: Start, articles: KnowledgeHit[], error?: string) {
    const { values } = form
    return reply.code(status).lcView('customer/suggestions.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      articles,
      error: error ?? null,
      carried: [
        { name: 'name', value: values.name },
        { name: 'email', value: values.email },
        { name: 'department', value: String((form.place as KnownPlace).department?.id ?? '') },
        { name: 'question', value: values.question },
        ...Object.entries(values.fields ?? {}).map(([key, value]) => ({ name: `f_${key}`, value }))
      ]
    })
  }

  /** Puts a checked pre-chat form in the queue and sends the customer to the chat, or to leave a message when nobody is there any more. */
  async function queue (request: FastifyRequest, reply: FastifyReply, form: Start) {
    const { user, values, list, answers } = form
    const place = form.place as KnownPlace
    let started
    try {
      started = await customer.startChat({ name: values.name, email: values.email, question: values.question, customer: user, place, fields: answers.values, origin: { ip: request.ip, userAgent: request.headers['user-agent'] ?? null } })
    } catch (err) {
      if (!isCoded(err) || err.code !== 'LC_ERR_DEPARTMENT_OFFLINE') throw err
      // Nobody there any more (the last agent left while the form was open): nothing
      // typed is lost, the question becomes the message to leave.
      const kept = { name: values.name, email: values.email, department: String(place.department?.id ?? ''), message: values.question }
      return await leaveMessage(request, reply, 422, { values: kept, offline: err.message, kept: true, departments: list })
    }
    reply.setCookie(customerCookie(started.chat.id), started.token, {
      path: base, httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https', maxAge: 7 * 24 * 3600
    })
    return reply.redirect(`${base}/chat/${started.chat.id}`, 303)
  }

  fastify.get('/portal/link', async (_request, reply) => {
    return reply.type('text/html; charset=utf-8').send(views.render('customer/portal-link', { base, available: await customer.online() }))
  })

  // The department picked in the portal (?department=) is preselected; where nobody is
  // available, the customer is offered to leave a message instead of a chat that would wait.
  fastify.get<{ Querystring: DepartmentQuery }>('/start', { schema: { querystring: departmentQuery } }, async (request, reply) => {
    const list = await customer.departments()
    const place = await customer.preferred(request.query.department, list)
    const department = String(place.department?.id ?? '')
    if (!place.online) {
      const offline = new LC_ERR_DEPARTMENT_OFFLINE(place.department?.name ?? 'Live chat').message
      return await leaveMessage(request, reply, 200, { values: { department }, offline, departments: list })
    }
    return await prechat(request, reply, 200, { values: { department }, departments: list })
  })

  /** A posted customer form: its schema (errors kept for the form), CSRF and the rate limit. */
  const formRoute = (body: object, what: string) => ({ schema: { body }, attachValidation: true, preValidation: fastify.csrfProtection, config: limited(what) })

  /**
   * The pre-chat form, checked and queued. From the form itself, articles that may answer
   * the question come first; "Continue to chat" on them posts the carried form
   * again without them. With none, or nobody there to chat with, the chat is queued.
   */
  const startChat = (offerArticles: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const form = await readStart(request)
    if (!form.valid) return await prechat(request, reply, 422, { values: form.values, errors: form.errors, departments: form.list })
    if (offerArticles && !form.place.unknown && form.place.online) {
      const articles = await deflections.suggestions(form.values.question)
      if (articles.length > 0) return await suggestions(reply, 200, form, articles)
    }
    return await queue(request, reply, form)
  }

  fastify.post('/start', formRoute(prechatBody, 'chats started from this address'), startChat(true))
  fastify.post('/start/continue', formRoute(prechatBody, 'chats started from this address'), startChat(false))

  // "This answered my question": no chat is queued; the question and the article are
  // recorded for the administrators' deflection report.
  fastify.post('/start/answered', formRoute(answeredBody, 'questions sent from this address'), async (request, reply) => {
    const form = await readStart(request)
    if (!form.valid) return await prechat(request, reply, 422, { values: form.values, errors: form.errors, departments: form.list })
    const { article: articleId } = request.body as { article: string }
    const place = form.place as KnownPlace
    let recorded
    try {
      recorded = await deflections.record({ question: form.values.question, articleId, department: place.department, customer: form.user, email: form.values.email })
    } catch (err) {
      if (!isCoded(err) || err.code !== 'LC_ERR_DEFLECTION_ARTICLE_UNKNOWN') throw err
      return await suggestions(reply, err.statusCode ?? 422, form, await deflections.suggestions(form.values.question), err.message)
    }
    return reply.lcView('customer/answered.page.hbs', { base, article: recorded.article })
  })

  fastify.get<{ Querystring: DepartmentQuery }>('/message', { schema: { querystring: departmentQuery } }, async (request, reply) => {
    return await leaveMessage(request, reply, 200, { values: { department: String(request.query.department ?? '') } })
  })

  fastify.post('/message', formRoute(leaveMessageBody, 'messages left from this address'), async (request, reply) => {
    const { user, values, errors, list, place } = await readPlaced(request, readLeaveMessage)
    if (place.unknown || Object.keys(errors).length > 0) return await leaveMessage(request, reply, 422, { values, errors, departments: list })
    let ticket
    try {
      ticket = await customer.leaveMessage({ name: values.name, email: values.email, message: values.message, department: place.department, customer: user })
    } catch (err) {
      if (!isCoded(err) || err.code !== 'LC_ERR_MESSAGE_NOT_SAVED') throw err
      // The host could not take it: the customer gets the form back with what they wrote.
      request.log.error({ err: err.cause ?? err }, 'live chat could not create a ticket for a message left')
      return await leaveMessage(request, reply, err.statusCode ?? 503, { values, errors: { form: err.message }, departments: list })
    }
    return reply.lcView('customer/message-sent.page.hbs', {
      base,
      ref: ticket.ref,
      email: values.email,
      ticketUrl: user ? settings.customerTicketUrl.replace('{ref}', encodeURIComponent(ticket.ref)) : null
    })
  })

  fastify.get<{ Params: { id: number } }>('/chat/:id', { schema: { params: chatParams } }, async (request, reply) => {
    const user = await access.user(request)
    const chat = await chats.chatForCustomer(request.params.id, request.cookies[customerCookie(request.params.id)], user)
    const messages = await chats.customerMessages(chat.id)
    const ahead = await chats.queuePosition(chat)
    const since = messages.at(-1)?.seq ?? 0
    return reply.lcView('customer/chat.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      chat,
      messages,
      status: await customerViews.status(chat, ahead),
      composer: composerModel(base, chat, 'customer', null),
      // The post-chat survey (plugin/surveys): the form on an ended chat not yet rated, else thanks or nothing.
      survey: await deps.surveyViews.customer(chat),
      wsBase: `${base}/ws/chat/${chat.id}`,
      wsUrl: `${base}/ws/chat/${chat.id}?since=${chat.id}.${since}`
    })
  })

  // The customer's End chat: a queued chat is cancelled; one an agent has is
  // left, and stays with the agent, who sees "End user has cancelled chat".
  fastify.post<{ Params: { id: number } }>('/chat/:id/end', {
    schema: { params: chatParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const user = await access.user(request)
    const chat = await chats.chatForCustomer(request.params.id, request.cookies[customerCookie(request.params.id)], user)
    const ended = await chats.endChat(chat.id, { kind: 'customer', id: chat.customerUserId, name: chat.customerName })
    if (!request.headers['hx-request']) return reply.redirect(`${base}/chat/${chat.id}`, 303)
    return reply.type('text/html; charset=utf-8').send(envelope([
      fragment(targets.status(chat.id), 'outerHTML', views.render('customer/status', await customerViews.status(ended))),
      fragment(targets.composer(chat.id), 'outerHTML', views.render('chats/composer', composerModel(base, ended, 'customer', null))),
      fragment(targets.notice(), 'innerHTML', '')
    ]))
  })
}
