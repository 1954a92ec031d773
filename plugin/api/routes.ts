import swagger from '@fastify/swagger'
import type { FastifyPluginAsync, RouteShorthandOptions } from 'fastify'
import type { CannedService } from '../canned/service.ts'
import type { ChatService } from '../chats/service.ts'
import { ChatStatus } from '../chats/types.ts'
import type { CommentService } from '../comments/service.ts'
import { LC_ERR_API_GROUP_NOT_FOUND, LC_ERR_CHAT_NOT_FOUND, LC_ERR_FORBIDDEN } from '../errors.ts'
import type { HostAdapter } from '../host/adapter.ts'
import type { ItemService } from '../items/service.ts'
import type { ReportQueryString } from '../reports/schemas.ts'
import type { ReportService } from '../reports/service.ts'
import type { RoutingService } from '../routing/service.ts'
import type { SearchService } from '../search/service.ts'
import type { SurveyService } from '../surveys/service.ts'
import { rateLimitError } from '../web/error-handler.ts'
import { createChatPages } from './chat-pages.ts'
import { type ApiCaller, beside, type Guard, installApiErrors } from './guard.ts'
import * as present from './present.ts'
import { referenceModel } from './reference.ts'
import {
  agentList, apiError, cannedList, type ChatQuery, chatPage, chatParams, chatQuery, chatWithTranscript, commentBody, type CommentBody, commentList,
  departmentList, emptyBody, groupList, groupParams, groupQueue, messageBody, type MessageBody, noQuery, oneChat, oneComment, oneMessage, reportAnswer, reportQuery, surveyAnswer,
  ticketList, transferBody, type TransferBody
} from './schemas.ts'
import { apiScopes, type ApiScope } from './scopes.ts'

/** What the JSON API uses: the services it calls, never their stores. */
export interface ApiRoutesDeps {
  base: string
  guard: Guard
  chats: Pick<ChatService, 'list' | 'chatForAgent' | 'deletedChatForAgent' | 'messages' | 'postMessage' | 'transferChat' | 'endChat' | 'deleteChats' | 'undeleteChats'>
  routing: Pick<RoutingService, 'groups' | 'departments' | 'members' | 'presences' | 'availableIn'>
  host: Pick<HostAdapter, 'getUser'>
  search: Pick<SearchService, 'listMatches' | 'listSearchProblem'>
  canned: Pick<CannedService, 'usable'>
  comments: Pick<CommentService, 'list' | 'add'>
  items: Pick<ItemService, 'list'>
  surveys: Pick<SurveyService, 'forAgent'>
  reports: Pick<ReportService, 'report'>
}

type Id = { Params: { id: number } }

/** The document's title and how it says to authenticate. */
const info = {
  title: 'Live chat JSON API',
  version: '1',
  description: 'Chats, messages, routing and what agents keep around a chat, for other systems. Send an API token as `Authorization: Bearer <token>`; each call needs the scope it names. Errors are `{ code, message, field? }` with the LC_ERR_* codes of docs/errors.md.'
}

/** A read's answer when If-None-Match holds its ETag: no body. */
const notModified = { description: 'Not Modified: If-None-Match holds the answer\'s ETag; there is no body', type: 'null' } as const

/** The error answers every call with a token may give. */
const refusals = { 400: apiError, 401: apiError, 403: apiError, 404: apiError, 409: apiError, 422: apiError, 429: apiError }

/**
 * The JSON API under `<prefix>/api/v1` (docs/features.md#json-api), in a scope of its own:
 * bearer tokens only, JSON errors, per-token rate limits, its OpenAPI document written by
 * @fastify/swagger from these routes' schemas, and the reference page made from that document.
 */
export const apiRoutes: FastifyPluginAsync<ApiRoutesDeps> = async (fastify, deps) => {
  await fastify.register(async (api) => {
    await api.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info,
        components: { securitySchemes: { token: { type: 'http', scheme: 'bearer', description: `Scopes: ${Object.entries(apiScopes).map(([s, d]) => `${s} (${d})`).join('; ')}` } } }
      },
      hideUntagged: true
    })
    installApiErrors(api)
    api.addHook('onRequest', deps.guard.authenticate)
    api.addHook('onSend', deps.guard.etag)
    api.addHook('onSend', deps.guard.record)
    await api.register(calls, deps)

    api.get('/openapi.json', { config: { open: true }, schema: { hide: true } }, async () => api.swagger())
    api.get('/reference', { config: { open: true }, schema: { hide: true } }, async (_request, reply) => {
      return reply.lcView('api/reference.page.hbs', { base: deps.base, ...referenceModel(api.swagger() as never) })
    })
  }, { prefix: '/api/v1' })
}

/** The calls themselves. */
const calls: FastifyPluginAsync<ApiRoutesDeps> = async (api, { guard, chats, routing, host, search, canned, comments, items, surveys, reports }) => {
  const chatPages = createChatPages({ chats, routing, search })
  const limited = { rateLimit: { ...guard.rateLimit, errorResponseBuilder: rateLimitError('API calls with this token') } }
  /** A route's options: its scope, schemas, tag and the bearer security the document shows. */
  const route = (scope: ApiScope, tag: string, summary: string, schema: Record<string, unknown>, ok: Record<number, object>): RouteShorthandOptions => ({
    // Reads answer 304 to a matching If-None-Match (guard.etag); writes never do.
    config: { scope, ...limited } as RouteShorthandOptions['config'],
    schema: { tags: [tag], summary: `${summary} (scope ${scope})`, security: [{ token: [scope] }], querystring: noQuery, ...schema, response: { ...ok, ...(ok[200] !== undefined && schema.body === undefined ? { 304: notModified } : {}), ...refusals } }
  })

  /** The chat, when the caller may see it; a deleted one only as Deleted Items would show it to them. */
  async function visibleChat (caller: ApiCaller, id: number) {
    try {
      return await chats.chatForAgent(id, caller.scope)
    } catch (err) {
      if ((err as { code?: string }).code !== 'LC_ERR_CHAT_NOT_FOUND') throw err
      return (await chats.deletedChatForAgent(id, caller.scope)).chat
    }
  }

  // ------------------------------------------------------------ chats

  api.get<{ Querystring: ChatQuery }>('/chats', route('chats:read', 'chats', 'List and search chats, newest first', { querystring: chatQuery }, { 200: chatPage }), async (request) => {
    const { chats: shown, next } = await chatPages(guard.caller(request).scope, request.query)
    return { items: shown.map(present.apiChat), nextCursor: next }
  })

  api.get<Id>('/chats/:id', route('chats:read', 'chats', 'A chat with its transcript', { params: chatParams }, { 200: chatWithTranscript }), async (request) => {
    const chat = await visibleChat(guard.caller(request), request.params.id)
    return { chat: present.apiChat(chat), messages: (await chats.messages(chat.id)).map(present.apiMessage) }
  })

  api.post<Id & { Body: MessageBody }>('/chats/:id/messages', route('messages:write', 'chats', 'Post a message as the token\'s agent, in their own active chat', {
    params: chatParams, body: messageBody
  }, { 201: oneMessage }), async (request, reply) => {
    const caller = guard.agentCaller(request)
    return await guard.once(request, reply, 201, async () => {
      const chat = await chats.chatForAgent(request.params.id, caller.scope)
      const text = { LC_ERR_MESSAGE_EMPTY: 'body/text', LC_ERR_MESSAGE_TOO_LONG: 'body/text' }
      const { message, duplicate } = await beside(text, async () => await chats.postMessage(chat.id, caller.actor, request.body.text, request.body.clientMsgId ?? null))
      return { message: present.apiMessage(message), duplicate }
    })
  })

  api.post<Id & { Body: TransferBody }>('/chats/:id/transfer', route('routing:manage', 'chats', 'Transfer an active chat to a group or one of its agents', {
    params: chatParams, body: transferBody
  }, { 200: oneChat }), async (request, reply) => {
    const caller = guard.caller(request)
    if (!caller.can('livechat.transfer')) throw new LC_ERR_FORBIDDEN('livechat.transfer')
    return await guard.once(request, reply, 200, async () => {
      const before = await chats.chatForAgent(request.params.id, caller.scope)
      const { groupId, agentId = null, auto = false, comment = '' } = request.body
      const target = { LC_ERR_GROUP_NOT_FOUND: 'body/groupId', LC_ERR_TRANSFER_TARGET: 'body/agentId' }
      return { chat: present.apiChat(await beside(target, async () => await chats.transferChat(before.id, caller.scope, { groupId, agentId, auto, comment }))) }
    })
  })

  api.post<Id>('/chats/:id/end', route('messages:write', 'chats', 'End an active chat: the token\'s agent\'s own, or any a supervisor may see', {
    params: chatParams, body: emptyBody
  }, { 200: oneChat }), async (request, reply) => {
    const caller = guard.caller(request)
    return await guard.once(request, reply, 200, async () => {
      const chat = await chats.chatForAgent(request.params.id, caller.scope)
      if (chat.agentId !== caller.agentId && !caller.scope.supervise) throw new LC_ERR_CHAT_NOT_FOUND(String(chat.id))
      return { chat: present.apiChat(await chats.endChat(chat.id, caller.actor)) }
    })
  })

  for (const [action, summary] of [['delete', 'Move a chat that is over to Deleted Items'], ['undelete', 'Bring a chat back from Deleted Items']] as const) {
    api.post<Id>(`/chats/:id/${action}`, route('admin', 'chats', summary, { params: chatParams, body: emptyBody }, { 200: oneChat }), async (request, reply) => {
      const caller = guard.caller(request)
      return await guard.once(request, reply, 200, async () => {
        const [outcome] = action === 'delete' ? await chats.deleteChats([request.params.id], caller.scope) : await chats.undeleteChats([request.params.id], caller.scope)
        if (outcome?.outcome !== 'done' || !outcome.chat) throw outcome?.error ?? new LC_ERR_CHAT_NOT_FOUND(String(request.params.id))
        return { chat: present.apiChat(outcome.chat) }
      })
    })
  }

  // ------------------------------------------------------------ around a chat

  api.get<Id>('/chats/:id/comments', route('chats:read', 'chats', 'A chat\'s comments (agents only)', { params: chatParams }, { 200: commentList }), async (request) => {
    const { comments: found } = await comments.list(request.params.id, guard.caller(request).scope)
    return { items: found.map(present.apiComment) }
  })

  api.post<Id & { Body: CommentBody }>('/chats/:id/comments', route('messages:write', 'chats', 'Add a comment to a chat, as the token\'s agent', {
    params: chatParams, body: commentBody
  }, { 201: oneComment }), async (request, reply) => {
    const caller = guard.agentCaller(request)
    return await guard.once(request, reply, 201, async () => {
      const body = { LC_ERR_COMMENT_EMPTY: 'body/body', LC_ERR_COMMENT_TOO_LONG: 'body/body' }
      const comment = await beside(body, async () => await comments.add(request.params.id, caller.scope, { body: request.body.body, resolution: request.body.resolution ?? false }))
      return { comment: present.apiComment(comment) }
    })
  })

  api.get<Id>('/chats/:id/tickets', route('chats:read', 'chats', 'Help desk tickets related to a chat', { params: chatParams }, { 200: ticketList }), async (request) => {
    const { items: found } = await items.list(request.params.id, guard.caller(request).scope)
    return { items: found.filter((i) => i.kind === 'ticket' && i.ticketRef !== null).map(present.apiTicket) }
  })

  api.get<Id>('/chats/:id/survey', route('chats:read', 'chats', 'The customer\'s answer to the post-chat survey', { params: chatParams }, { 200: surveyAnswer }), async (request) => {
    const { survey } = await surveys.forAgent(request.params.id, guard.caller(request).scope)
    return { survey: present.apiSurvey(survey) }
  })

  // ------------------------------------------------------------ routing

  api.get('/departments', route('chats:read', 'routing', 'Departments', {}, { 200: departmentList }), async () => {
    return { items: (await routing.departments()).map(present.apiDepartment) }
  })

  api.get('/groups', route('chats:read', 'routing', 'Groups', {}, { 200: groupList }), async () => {
    return { items: (await routing.groups()).map(present.apiGroup) }
  })

  api.get('/agents', route('chats:read', 'routing', 'Agents who belong to a group, with their availability', {}, { 200: agentList }), async () => {
    return { items: await agentsOf(await routing.members()) }
  })

  api.get<Id>('/groups/:id/queue', route('chats:read', 'routing', 'A group\'s queue: the chats waiting in line, oldest first', { params: groupParams }, { 200: groupQueue }), async (request) => {
    const caller = guard.caller(request)
    const group = await groupOr404(request.params.id)
    const visible = caller.scope.visible === 'all' || caller.scope.visible.includes(group.id)
    const waiting = visible
      ? await chats.list({ statuses: [ChatStatus.queued], groups: [group.id], ungrouped: false, sort: 'id', dir: 'asc', limit: 500 })
      : []
    return { groupId: group.id, waiting: waiting.length, availableAgents: await routing.availableIn(group.id), chats: waiting.map(present.apiChat) }
  })

  api.get<Id>('/groups/:id/presence', route('chats:read', 'routing', 'A group\'s agents and their availability', { params: groupParams }, { 200: agentList }), async (request) => {
    const group = await groupOr404(request.params.id)
    return { items: await agentsOf(await routing.members([group.id])) }
  })

  api.get('/canned-replies', route('chats:read', 'canned', 'Canned replies the token\'s agent may use (every reply for the integration)', {}, { 200: cannedList }), async (request) => {
    return { items: (await canned.usable(guard.caller(request).scope, '', 500)).map(present.apiCanned) }
  })

  // ------------------------------------------------------------ reports

  api.get<{ Querystring: ReportQueryString }>('/reports', route('chats:read', 'reports', 'A period\'s report beside the period before, within what the token\'s agent may see (an integration: every group); the figures of docs/reports.md, durations in ms', {
    querystring: reportQuery
  }, { 200: reportAnswer }), async (request) => {
    const field = { LC_ERR_REPORT_PERIOD: 'querystring/from' }
    return present.apiReport(await beside(field, async () => await reports.report(guard.caller(request).scope, request.query)))
  })

  async function groupOr404 (id: number) {
    const group = (await routing.groups()).find((g) => g.id === id)
    if (!group) throw new LC_ERR_API_GROUP_NOT_FOUND(String(id))
    return group
  }

  async function agentsOf (members: Awaited<ReturnType<RoutingService['members']>>) {
    const byAgent = new Map<string, Array<{ groupId: number, active: boolean }>>()
    for (const m of members) byAgent.set(m.agentId, [...byAgent.get(m.agentId) ?? [], { groupId: m.groupId, active: m.active }])
    const presences = await routing.presences([...byAgent.keys()])
    return await Promise.all([...byAgent].map(async ([id, groups]) => {
      const user = await host.getUser(id)
      const presence = presences.get(id)!
      return { id, name: user?.name ?? `Agent ${id}`, status: presence.status, maxChats: presence.maxChats, groups }
    }))
  }
}
