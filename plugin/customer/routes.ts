import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { customerCookie } from '../chats/rules.ts'
import { chatParams } from '../chats/schemas.ts'
import { type BlocklistService, refuseBlocked } from '../blocklist/service.ts'
import type { ChatService } from '../chats/service.ts'
import type { Chat } from '../chats/types.ts'
import { composerFragment, composerModel } from '../chats/view-models.ts'
import type { DeflectionService } from '../deflections/service.ts'
import { isCoded, LC_ERR_DEPARTMENT_OFFLINE } from '../errors.ts'
import { postedValues } from '../fields/schemas.ts'
import type { FieldService } from '../fields/service.ts'
import type { FieldViews } from '../fields/view-models.ts'
import type { HostUser, KnowledgeHit } from '../host/adapter.ts'
import type { Access } from '../security/access.ts'
import { framedCookie, framedPolicy, widgetOrigins } from '../security/framing.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import type { Settings } from '../settings.ts'
import { surveyCustomerFragment, type SurveyViews } from '../surveys/view-models.ts'
import { describeAjvError } from '../validation.ts'
import { answer, clearNotice } from '../web/answers.ts'
import { rateLimitError } from '../web/error-handler.ts'
import { type Form, type FormErrors, fieldError, refuse, valid } from '../web/forms.ts'
import {
  answeredBody, answeredForm, type ContactValues, type DepartmentQuery, departmentQuery, fieldMessages, leaveMessageBody, leaveMessageForm,
  type LeaveMessageState, prechatBody, prechatForm, type PrechatState, type PrechatValues, startQuery, type StartQuery
} from './schemas.ts'
import type { IdentityCheck, IdentityService } from './identity.ts'
import type { CustomerService, DepartmentChoice, KnownPlace } from './service.ts'
import { closedNotice, type CustomerViews, departmentOptions, earlierChatsModel, portalLink, portalLinkModel, statusFragment } from './view-models.ts'

/** What the customer's pages use: the portal link, the pre-chat form, leave a message and the chat window. */
export interface CustomerRoutesDeps {
  base: string
  access: Pick<Access, 'user'>
  chats: Pick<ChatService, 'chatForCustomer' | 'customerMessages' | 'queuePosition' | 'endChat' | 'postMessage'>
  customer: Pick<CustomerService, 'departments' | 'fallback' | 'preferred' | 'place' | 'online' | 'startChat' | 'leaveMessage' | 'openChat' | 'earlierChats'>
  customerViews: Pick<CustomerViews, 'status'>
  /** The pre-chat form's custom fields (plugin/fields): its questions and the checks of their answers. */
  fields: Pick<FieldService, 'checkPrechat'>
  fieldViews: Pick<FieldViews, 'prechat'>
  /** The post-chat survey's block on the chat page (plugin/surveys). */
  surveyViews: Pick<SurveyViews, 'customer'>
  /** Suggested solutions before a chat, and the questions they answered (docs/features.md#suggested-solutions). */
  deflections: Pick<DeflectionService, 'suggestions' | 'record'>
  settings: Pick<Settings, 'chatStartsPerMinute' | 'chatStartsPerCustomerPerMinute' | 'customerTicketUrl' | 'widgetOrigins' | 'portalUrl'>
  /** Addresses customers may not chat from (docs/features.md#block-list). */
  blocklist: Pick<BlocklistService, 'refuse'>
  /** Signed identity tokens from the customer's portal (docs/features.md#verified-customer-identity). */
  identity: Pick<IdentityService, 'check'>
}

/** An identity token as the pre-chat form was opened or posted with, and what checking it said. */
type Identity = IdentityCheck & { token: string }

/** What the pre-chat form shows of an identity token: the token carried while verified, else the refusal. */
function identityModel (identity: Identity | null | undefined) {
  if (!identity) return { identityToken: null, verified: false, identityRefused: null }
  if (identity.verified) return { identityToken: identity.token, verified: true, identityRefused: null }
  return { identityToken: null, verified: false, identityRefused: { message: identity.refused.message, code: identity.refused.code } }
}

/** The chat's cookie: `SameSite=None; Partitioned` inside the widget's frame (security/framing.ts), else `Lax`. */
function withinFrame (request: FastifyRequest) {
  const framed = framedCookie(request)
  return 'sameSite' in framed ? framed : { sameSite: 'lax' as const, secure: request.protocol === 'https' }
}

/** Why the leave-a-message page is shown instead of a chat: the sentence, its code, and a closed department's own message. */
interface Offline { offline?: string, offlineCode?: string, closedMessage?: string | null }

/** Why nobody can chat in a department: closed by its business hours, else nobody available. */
function offlineIn (department: DepartmentChoice | null): Offline {
  if (department?.closed) {
    const notice = closedNotice({ ...department, closed: department.closed })
    return { offline: notice.text, offlineCode: notice.code, closedMessage: notice.message }
  }
  const err = new LC_ERR_DEPARTMENT_OFFLINE(department?.name ?? 'Live chat')
  return { offline: err.message, offlineCode: err.code }
}

/** A customer form as rendered again: the kit's state, and the departments as already read for this request. */
type Shown<S> = Partial<S> & { departments?: DepartmentChoice[] }

/** The customer's side: the portal link, the pre-chat form, leave a message and the chat window. */
export const customerRoutes: FastifyPluginAsync<CustomerRoutesDeps> = async (fastify, deps) => {
  const { base, chats, access, customer, customerViews, fields, fieldViews, surveyViews, settings, deflections, blocklist, identity } = deps
  // Every page and form but the portal link, which only says whether anyone is there.
  const notBlocked = { onRequest: refuseBlocked(blocklist) }

  // The customer's pages, and only they, may be framed by the widget's sites (docs/features.md#embeddable-widget):
  // frame-ancestors names them, and the page names them for public/js/customer.js, which talks to no other parent.
  // Every page but one inside the widget's frame links back to the help desk's portal.
  fastify.addHook('preHandler', async (request, reply) => {
    const sites = widgetOrigins(settings)
    const viewed = reply as FastifyReply & { locals?: Record<string, unknown> | null }
    if (sites.length > 0) viewed.locals = { ...viewed.locals, frameOrigins: sites.join(' ') }
    if (request.headers['sec-fetch-dest'] !== 'iframe') viewed.locals = { ...viewed.locals, portalUrl: settings.portalUrl }
  })
  fastify.addHook('onSend', async (_request, reply, payload) => {
    const csp = reply.getHeader('content-security-policy')
    if (typeof csp === 'string' && widgetOrigins(settings).length > 0) {
      reply.header('content-security-policy', framedPolicy(csp, settings))
      // frame-ancestors decides; helmet's SAMEORIGIN would contradict it in older browsers.
      reply.removeHeader('x-frame-options')
    }
    return payload
  })
  // A signed-in customer is counted on their own, wherever they are; anyone else by address
  // (request.ip: the client's own behind a proxy the host trusts), so one person cannot
  // flood the queue and a company behind one address is not refused as one person.
  const signedInKeys = new WeakSet<FastifyRequest>()
  const whoIsAsking = async (request: FastifyRequest): Promise<string> => {
    const user = await access.user(request, 'portal')
    if (!user) return `address:${request.ip}`
    signedInKeys.add(request)
    return `customer:${user.id}`
  }
  const limited = (what: string) => ({
    rateLimit: {
      keyGenerator: whoIsAsking,
      max: async (_request: FastifyRequest, key: string) => key.startsWith('customer:') ? settings.chatStartsPerCustomerPerMinute : settings.chatStartsPerMinute,
      timeWindow: '1 minute',
      errorResponseBuilder: (request: FastifyRequest) => rateLimitError(signedInKeys.has(request) ? `${what} by you` : `${what} from this address`)()
    }
  })

  /** A signed-in portal customer's name and email stand, whatever the form says; so do a verified identity token's. */
  function signedIn<V extends Partial<ContactValues>> (values: V, user: Pick<HostUser, 'name' | 'email'> | null): V {
    return user ? { ...values, name: user.name, email: user.email } : values
  }

  /**
   * The identity token a form was opened or posted with, checked (docs/features.md#verified-customer-identity);
   * none for a customer signed in to the portal, whose own session says who they are.
   */
  async function identityOf (token: unknown, user: HostUser | null): Promise<Identity | null> {
    if (user !== null || typeof token !== 'string' || token === '') return null
    return { token, ...await identity.check(token) }
  }

  /**
   * What the route's schema refused that no field's own rules did (a field the form has not,
   * a value valid only once trimmed) still stops the form, said above it.
   */
  function formError (request: FastifyRequest, form: { errors: FormErrors }): void {
    const invalid = request.validationError as FastifyError | undefined
    if (invalid && valid(form)) refuse(form, 'form', describeAjvError(invalid.validation![0] as never, 'form'))
  }

  /**
   * A posted form that names a department: its values (name and email from the portal
   * session when signed in), every field's problem, the departments and the place it names.
   */
  async function readPlaced<V extends ContactValues> (request: FastifyRequest, form: Form<V, unknown>) {
    const user = await access.user(request, 'portal')
    const posted = form.read(request.body)
    formError(request, posted)
    // Checked again as posted: a token that expired while the form was open leaves a visitor.
    const verifiedBy = await identityOf((request.body as { identity?: unknown } | undefined)?.identity, user)
    const values = signedIn(posted.values, user ?? verifiedBy?.verified ?? null)
    const list = await customer.departments()
    const place = await customer.place(values.department, list)
    // Widened: the pre-chat form adds its custom fields' problems (`f_<key>`) to these.
    const errors: FormErrors = posted.errors
    if (place.unknown) refuse({ errors }, 'department', fieldMessages.unknownDepartment)
    return { user, values, errors, list, place, identity: verifiedBy }
  }

  async function prechat (request: FastifyRequest, reply: FastifyReply, status: number, state: Shown<PrechatState> & { identity?: Identity | null } = {}) {
    const user = await access.user(request, 'portal')
    const list = state.departments ?? await customer.departments()
    const values = signedIn(state.values ?? {}, user ?? state.identity?.verified ?? null)
    const selected = values.department || customer.fallback(list)?.id
    return reply.code(status).lcView('customer/prechat.page.hbs', {
      base,
      csrf: reply.generateCsrf(framedCookie(reply.request)),
      available: await customer.online(list),
      values,
      locked: user !== null || Boolean(state.identity?.verified),
      ...identityModel(state.identity),
      errors: state.errors ?? {},
      departments: departmentOptions(list, selected, true),
      // A returning customer's earlier chats, each opening its transcript (docs/features.md#earlier-chats).
      earlier: earlierChatsModel(base, await customer.earlierChats(user, reply.request.cookies)),
      // The custom fields the administrator asks here (plugin/fields), with what was typed.
      customFields: await fieldViews.prechat(state.fields ?? {}, state.errors ?? {})
    })
  }

  /**
   * The leave-a-message page; `offline` says why it is shown instead of a chat (with its code, and the
   * administrator's message for a department outside its business hours), `kept` that the pre-chat form's text came along.
   */
  async function leaveMessage (request: FastifyRequest, reply: FastifyReply, status: number, state: Shown<LeaveMessageState> & Offline & { kept?: boolean } = {}) {
    const user = await access.user(request, 'portal')
    const list = state.departments ?? await customer.departments()
    const values = signedIn(state.values ?? {}, user)
    return reply.code(status).lcView('customer/message.page.hbs', {
      base,
      csrf: reply.generateCsrf(framedCookie(reply.request)),
      values,
      locked: user !== null,
      errors: state.errors ?? {},
      offline: state.offline ?? null,
      offlineCode: state.offlineCode ?? null,
      closedMessage: state.closedMessage ?? null,
      kept: state.kept ?? false,
      departments: departmentOptions(list, values.department, false)
    })
  }

  /** The pre-chat form as posted: its values, every problem with them (custom fields too) and where the chat would go. */
  async function readStart<V extends PrechatValues> (request: FastifyRequest, form: Form<V, unknown>) {
    const placed = await readPlaced(request, form)
    const typed = postedValues(request.body)
    const answers = await fields.checkPrechat(typed)
    for (const [key, error] of Object.entries(answers.errors)) refuse(placed, `f_${key}`, error!)
    return { ...placed, fields: typed, answers, valid: !placed.place.unknown && valid(placed) }
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
      csrf: reply.generateCsrf(framedCookie(reply.request)),
      articles,
      error: error ?? null,
      carried: [
        { name: 'name', value: values.name },
        { name: 'email', value: values.email },
        { name: 'department', value: String((form.place as KnownPlace).department?.id ?? '') },
        { name: 'question', value: values.question },
        ...Object.entries(form.fields).map(([key, value]) => ({ name: `f_${key}`, value })),
        // Only a token that still holds: the chat then starts verified, whichever button is pressed.
        ...form.identity?.verified ? [{ name: 'identity', value: form.identity.token }] : []
      ]
    })
  }

  /**
   * A form posted while the customer's chat is still open (a second tab, the back button): no
   * second chat, the customer is taken back to theirs, and a question other than the one it
   * started with is written into it, so nothing typed is lost.
   */
  async function resume (reply: FastifyReply, open: Chat, question: string) {
    if (question.trim() !== open.question.trim()) {
      await chats.postMessage(open.id, { kind: 'customer', id: open.customerUserId, name: open.customerName }, question, null).catch((err: unknown) => {
        // Too long for a message, say: the chat is there all the same, with the question it has.
        if (!isCoded(err)) throw err
      })
    }
    return reply.redirect(`${base}/chat/${open.id}`, 303)
  }

  /** Puts a checked pre-chat form in the queue and sends the customer to the chat, or to leave a message when nobody is there any more. */
  async function queue (request: FastifyRequest, reply: FastifyReply, form: Start) {
    const { user, values, list, answers } = form
    const place = form.place as KnownPlace
    // A verified customer who is the desk's own user is linked to them (their tickets in the customer panel).
    const verified = form.identity?.verified ?? null
    let started
    try {
      started = await customer.startChat({
        name: values.name,
        email: values.email,
        question: values.question,
        customer: user ?? verified?.user ?? null,
        verifiedId: verified?.id ?? null,
        place,
        fields: answers.values,
        origin: { ip: request.ip, userAgent: request.headers['user-agent'] ?? null }
      })
    } catch (err) {
      if (!isCoded(err) || (err.code !== 'LC_ERR_DEPARTMENT_OFFLINE' && err.code !== 'LC_ERR_DEPARTMENT_CLOSED')) throw err
      // Nobody there any more (the last agent left while the form was open), or closing
      // time came (docs/features.md#business-hours): nothing typed is lost, the question
      // becomes the message to leave.
      const kept = { name: values.name, email: values.email, department: String(place.department?.id ?? ''), message: values.question }
      const closedMessage = err.code === 'LC_ERR_DEPARTMENT_CLOSED' ? place.department?.closed?.closedMessage ?? null : null
      return await leaveMessage(request, reply, 422, { values: kept, offline: err.message, offlineCode: err.code, closedMessage, kept: true, departments: list })
    }
    reply.setCookie(customerCookie(started.chat.id), started.token, {
      path: base, httpOnly: true, maxAge: 7 * 24 * 3600, ...withinFrame(request)
    })
    return reply.redirect(`${base}/chat/${started.chat.id}`, 303)
  }

  // The portal's link (docs/features.md#portal-link): for one department with ?department=,
  // else for any; outside business hours it says when chat opens.
  fastify.get<{ Querystring: DepartmentQuery }>('/portal/link', { schema: { querystring: departmentQuery } }, async (request, reply) => {
    const list = await customer.departments()
    const asked = request.query.department
    const department = asked === undefined ? null : list.find((d) => d.id === asked) ?? null
    const available = department ? department.online : await customer.online(list)
    return reply.type('text/html; charset=utf-8').send(portalLink(portalLinkModel(base, list, available, department)))
  })

  // The department picked in the portal (?department=) is preselected; where nobody is
  // available, the customer is offered to leave a message instead of a chat that would wait.
  // ?identity= is a token the customer's portal signed (docs/widget.md): verified, it fills and
  // locks name and email; refused, the form says why and stays open to a visitor.
  fastify.get<{ Querystring: StartQuery }>('/start', { schema: { querystring: startQuery }, ...notBlocked }, async (request, reply) => {
    // One open chat per customer (docs/features.md#one-open-chat-per-customer): the link followed again resumes it.
    const open = await customer.openChat(await access.user(request, 'portal'), request.cookies)
    if (open) return reply.redirect(`${base}/chat/${open.id}`, 303)
    const list = await customer.departments()
    const place = await customer.preferred(request.query.department, list)
    const department = String(place.department?.id ?? '')
    const verifiedBy = await identityOf(request.query.identity, await access.user(request, 'portal'))
    if (!place.online) {
      const known = verifiedBy?.verified
      const values = known ? { department, name: known.name, email: known.email } : { department }
      return await leaveMessage(request, reply, 200, { values, ...offlineIn(place.department), departments: list })
    }
    return await prechat(request, reply, 200, { values: { department }, departments: list, identity: verifiedBy })
  })

  /** A posted customer form: its schema (errors kept for the form), CSRF and the rate limit. */
  const formRoute = (body: object, what: string) => ({ schema: { body }, attachValidation: true, preValidation: fastify.csrfProtection, config: limited(what), ...notBlocked })

  /**
   * The pre-chat form, checked and queued. From the form itself, articles that may answer
   * the question come first; "Continue to chat" on them posts the carried form
   * again without them. With none, or nobody there to chat with, the chat is queued.
   */
  const startChat = (offerArticles: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const form = await readStart(request, prechatForm)
    if (!form.valid) return await prechat(request, reply, 422, { values: form.values, fields: form.fields, errors: form.errors, departments: form.list, identity: form.identity })
    const open = await customer.openChat(form.user, request.cookies)
    if (open) return await resume(reply, open, form.values.question)
    if (offerArticles && !form.place.unknown && form.place.online) {
      const articles = await deflections.suggestions(form.values.question)
      if (articles.length > 0) return await suggestions(reply, 200, form, articles)
    }
    return await queue(request, reply, form)
  }

  fastify.post('/start', formRoute(prechatBody, 'chats started'), startChat(true))
  fastify.post('/start/continue', formRoute(prechatBody, 'chats started'), startChat(false))

  // "This answered my question": no chat is queued; the question and the article are
  // recorded for the administrators' deflection report.
  fastify.post('/start/answered', formRoute(answeredBody, 'questions sent'), async (request, reply) => {
    const form = await readStart(request, answeredForm)
    if (!form.valid) return await prechat(request, reply, 422, { values: form.values, fields: form.fields, errors: form.errors, departments: form.list, identity: form.identity })
    const place = form.place as KnownPlace
    let recorded
    try {
      recorded = await deflections.record({ question: form.values.question, articleId: form.values.article, department: place.department, customer: form.user, email: form.values.email })
    } catch (err) {
      if (!isCoded(err) || err.code !== 'LC_ERR_DEFLECTION_ARTICLE_UNKNOWN') throw err
      return await suggestions(reply, err.statusCode ?? 422, form, await deflections.suggestions(form.values.question), err.message)
    }
    return reply.lcView('customer/answered.page.hbs', { base, article: recorded.article })
  })

  fastify.get<{ Querystring: DepartmentQuery }>('/message', { schema: { querystring: departmentQuery }, ...notBlocked }, async (request, reply) => {
    return await leaveMessage(request, reply, 200, { values: { department: String(request.query.department ?? '') } })
  })

  fastify.post('/message', formRoute(leaveMessageBody, 'messages left'), async (request, reply) => {
    const { user, values, errors, list, place } = await readPlaced(request, leaveMessageForm)
    if (place.unknown || !valid({ errors })) return await leaveMessage(request, reply, 422, { values, errors, departments: list })
    let ticket
    try {
      ticket = await customer.leaveMessage({ name: values.name, email: values.email, message: values.message, department: place.department, customer: user })
    } catch (err) {
      if (!isCoded(err) || err.code !== 'LC_ERR_MESSAGE_NOT_SAVED') throw err
      // The host could not take it: the customer gets the form back with what they wrote.
      request.log.error({ err: err.cause ?? err }, 'live chat could not create a ticket for a message left')
      return await leaveMessage(request, reply, err.statusCode ?? 503, { values, errors: { form: fieldError(err) }, departments: list })
    }
    return reply.lcView('customer/message-sent.page.hbs', {
      base,
      ref: ticket.ref,
      email: values.email,
      // The desk's own page for its customer where it has one (host.tickets.customerUrl), else the setting's.
      ticketUrl: user ? ticket.customerUrl ?? settings.customerTicketUrl.replace('{ref}', encodeURIComponent(ticket.ref)) : null
    })
  })

  fastify.get<{ Params: { id: number } }>('/chat/:id', { schema: { params: chatParams }, ...notBlocked }, async (request, reply) => {
    const user = await access.user(request, 'portal')
    const chat = await chats.chatForCustomer(request.params.id, request.cookies[customerCookie(request.params.id)], user)
    const messages = await chats.customerMessages(chat.id)
    const ahead = await chats.queuePosition(chat)
    const since = messages.at(-1)?.seq ?? 0
    return reply.lcView('customer/chat.page.hbs', {
      base,
      csrf: reply.generateCsrf(framedCookie(reply.request)),
      chat,
      messages,
      status: await customerViews.status(chat, ahead),
      composer: composerModel(base, chat, 'customer', null),
      // The post-chat survey (plugin/surveys): the form on an ended chat not yet rated, else thanks or nothing.
      survey: await surveyViews.customer(chat),
      wsBase: `${base}/ws/chat/${chat.id}`,
      wsUrl: `${base}/ws/chat/${chat.id}?since=${chat.id}.${since}`
    })
  })

  // The customer's End chat: a queued chat is cancelled; one an agent has is
  // left, and stays with the agent, who sees "End user has cancelled chat". Either way the
  // survey is offered at once (docs/features.md#survey).
  fastify.post<{ Params: { id: number } }>('/chat/:id/end', {
    schema: { params: chatParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection,
    ...notBlocked
  }, async (request, reply) => {
    const user = await access.user(request, 'portal')
    const chat = await chats.chatForCustomer(request.params.id, request.cookies[customerCookie(request.params.id)], user)
    const ended = await chats.endChat(chat.id, { kind: 'customer', id: chat.customerUserId, name: chat.customerName })
    if (!request.headers['hx-request']) return reply.redirect(`${base}/chat/${chat.id}`, 303)
    return await answer(reply, [
      statusFragment(await customerViews.status(ended)),
      composerFragment(composerModel(base, ended, 'customer', null)),
      surveyCustomerFragment(await surveyViews.customer(ended)),
      clearNotice()
    ])
  })
}
