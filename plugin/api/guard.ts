import { createHash } from 'node:crypto'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Actor, AgentScope } from '../chats/types.ts'
import { isUnavailable } from '../db/index.ts'
import {
  isCoded, LC_ERR_API_AGENT, LC_ERR_API_IDEMPOTENCY_KEY, LC_ERR_API_SCOPE, LC_ERR_INTERNAL, LC_ERR_NOT_FOUND, LC_ERR_UNAVAILABLE
} from '../errors.ts'
import type { HostAdapter } from '../host/adapter.ts'
import type { Access } from '../security/access.ts'
import { type Permission, permissionsFor, type Settings } from '../settings.ts'
import { describeAjvError } from '../validation.ts'
import { allows, type ApiScope } from './scopes.ts'
import type { ApiToken, TokenService } from './tokens-service.ts'

/*
 * What every call of the JSON API passes through (docs/features.md#json-api): the bearer token
 * and its scope, the caller it acts as, the record of the call, ETags on reads, idempotency
 * keys on writes, and errors as JSON. The host's session never authenticates here: only the
 * Authorization header is read, so there is no cookie a page elsewhere could ride on.
 */

/** Who is calling: the token and the agent (or the integration) it acts as. */
export interface ApiCaller {
  token: ApiToken
  /** What the caller sees and takes, as the chat services judge agents. */
  scope: AgentScope
  /** In History and on messages. */
  actor: Actor
  /** Null for the integration itself. */
  agentId: string | null
  can (permission: Permission): boolean
}

/** What a route declares in its config: the scope it needs, or that it is open (the document and its page). */
export interface ApiRouteConfig { scope?: ApiScope, open?: boolean }

export interface GuardDeps {
  tokens: Pick<TokenService, 'authenticate' | 'record' | 'beginKeyed' | 'finishKeyed' | 'abandonKeyed'>
  host: Pick<HostAdapter, 'getUser'>
  access: Pick<Access, 'scopeOf'>
  settings: Pick<Settings, 'rolePermissions' | 'apiCallsPerMinute'>
  clock: () => number
}

const messages = {
  agentGone: (name: string) => `${name}, the agent this token acts as, is no longer a live chat agent of the help desk; ask an administrator for a new token`,
  agentOnly: 'Only a token acting as a named agent can do this; ask an administrator for one',
  internal: 'Something went wrong on our side; try again in a moment'
}

const keyPattern = /^[\x21-\x7e]{1,200}$/

export function createGuard ({ tokens, host, access, settings, clock }: GuardDeps) {
  const callers = new WeakMap<FastifyRequest, ApiCaller>()
  const tokenOf = new WeakMap<FastifyRequest, ApiToken>()
  const started = new WeakMap<FastifyRequest, number>()
  /** Calls recorded with their Idempotency-Key (or replayed): not recorded again when answered. */
  const recorded = new WeakSet<FastifyRequest>()

  /** The permissions a token gives the integration: what its scopes name. */
  function integrationPermissions (token: ApiToken): Set<Permission> {
    const out = new Set<Permission>(['livechat.agent', 'livechat.supervise'])
    if (allows(token.scopes, 'routing:manage')) out.add('livechat.transfer')
    if (allows(token.scopes, 'admin')) out.add('livechat.delete')
    return out
  }

  async function callerOf (token: ApiToken): Promise<ApiCaller> {
    if (token.agent === null) {
      const permissions = integrationPermissions(token)
      const name = `${token.name} (API)`
      const id = `api:${token.id}`
      return {
        token,
        agentId: null,
        scope: { id, name, activeIn: [], visible: 'all', supervise: true, delete: permissions.has('livechat.delete') },
        actor: { kind: 'agent', id, name },
        can: (p) => permissions.has(p)
      }
    }
    // The agent as the help desk knows them now: a role taken away takes the token's reach with it.
    const user = await host.getUser(token.agent.id)
    const permissions = user ? permissionsFor(settings, user.roles) : new Set<Permission>()
    if (!user || !permissions.has('livechat.agent')) throw new LC_ERR_API_AGENT(messages.agentGone(token.agent.name))
    const scope = await access.scopeOf(user, permissions)
    return { token, agentId: user.id, scope, actor: { kind: 'agent', id: user.id, name: user.name }, can: (p) => permissions.has(p) }
  }

  /** onRequest: the token, its address and scope, and whom it acts as; the document and its page are open. */
  async function authenticate (request: FastifyRequest): Promise<void> {
    started.set(request, clock())
    const config = request.routeOptions.config as ApiRouteConfig
    if (config.open === true || request.is404) return
    const auth = await tokens.authenticate(request.headers.authorization, request.ip)
    if (auth.token) tokenOf.set(request, auth.token)
    if ('error' in auth) throw auth.error
    const needed = config.scope ?? 'admin'
    if (!allows(auth.token.scopes, needed)) throw new LC_ERR_API_SCOPE(needed)
    callers.set(request, await callerOf(auth.token))
  }

  /**
   * onSend, after etag: every call made with a token is recorded, refused ones too, before
   * its answer goes out, so a client (or the token's page) that has the answer finds the
   * call in the record.
   */
  async function record (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const token = tokenOf.get(request)
    if (!token || recorded.has(request)) return payload
    recorded.add(request)
    const at = started.get(request) ?? clock()
    await tokens.record({ tokenId: token.id, method: request.method, route: routeOf(request), ip: request.ip, at, status: reply.statusCode, durationMs: Math.max(0, clock() - at) })
      .catch((err: unknown) => { request.log.warn({ err }, 'live chat API call not recorded') })
    return payload
  }

  /**
   * onSend: a read answers with an ETag, the hash of its JSON, and with 304 and nothing
   * when the client's If-None-Match has it already.
   */
  async function etag (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    if (request.method !== 'GET' || reply.statusCode !== 200 || typeof payload !== 'string') return payload
    const tag = `"${createHash('sha256').update(payload).digest('base64url').slice(0, 32)}"`
    void reply.header('etag', tag)
    void reply.header('cache-control', 'private, no-cache')
    const wanted = String(request.headers['if-none-match'] ?? '').split(',').map((s) => s.trim().replace(/^W\//, ''))
    if (!wanted.includes(tag)) return payload
    void reply.code(304)
    void reply.removeHeader('content-type')
    void reply.removeHeader('content-length')
    return ''
  }

  /**
   * A write, done once per Idempotency-Key (docs/features.md#json-api): the first call's
   * answer is kept with the key, and a repeat with the same request gets it again with
   * Idempotent-Replayed: true. A refusal (4xx) is kept too; a failure on our side (5xx) is
   * forgotten, so the same key may try again.
   */
  async function once<T> (request: FastifyRequest, reply: FastifyReply, status: number, write: () => Promise<T>): Promise<T | FastifyReply> {
    const key = request.headers['idempotency-key']
    const caller = callers.get(request)!
    if (key === undefined) { void reply.code(status); return await write() }
    if (typeof key !== 'string' || !keyPattern.test(key)) throw new LC_ERR_API_IDEMPOTENCY_KEY()
    const at = started.get(request) ?? clock()
    const hash = createHash('sha256').update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`).digest('hex')
    const call = { tokenId: caller.token.id, method: request.method, route: routeOf(request), ip: request.ip, at }
    const begun = await tokens.beginKeyed(call, key, hash)
    if ('replay' in begun) {
      recorded.add(request)
      await tokens.record({ ...call, status: begun.replay.status, durationMs: Math.max(0, clock() - at), replayed: true })
      return reply.code(begun.replay.status).header('idempotent-replayed', 'true').type('application/json; charset=utf-8').send(begun.replay.body)
    }
    recorded.add(request)
    try {
      const result = await write()
      await tokens.finishKeyed(begun.callId, status, JSON.stringify(result), Math.max(0, clock() - at))
      void reply.code(status)
      return result
    } catch (err) {
      const answer = errorAnswer(err as FastifyError)
      if (answer.status >= 500) await tokens.abandonKeyed(begun.callId)
      else await tokens.finishKeyed(begun.callId, answer.status, JSON.stringify(answer.body), Math.max(0, clock() - at))
      throw err
    }
  }

  /** The caller of a route that needs a token (authenticate has run). */
  function caller (request: FastifyRequest): ApiCaller {
    const found = callers.get(request)
    if (!found) throw new LC_ERR_INTERNAL()
    return found
  }

  /** The caller, when it is a named agent: posting a message is always someone's. */
  function agentCaller (request: FastifyRequest): ApiCaller & { agentId: string } {
    const found = caller(request)
    if (found.agentId === null) throw new LC_ERR_API_AGENT(messages.agentOnly)
    return found as ApiCaller & { agentId: string }
  }

  /** Per token, counted together on every instance that shares Redis (docs/features.md#api-tokens). */
  const rateLimit = {
    max: async () => settings.apiCallsPerMinute,
    timeWindow: '1 minute',
    // By the token's own hash, not its row id: ids start again at 1 in another database
    // sharing the Redis, and its counts would mix with this one's.
    keyGenerator: (request: FastifyRequest) => `api-token:${createHash('sha256').update(request.headers.authorization ?? request.ip).digest('base64url').slice(0, 24)}`
  }

  return { authenticate, record, etag, once, caller, agentCaller, rateLimit }
}

export type Guard = ReturnType<typeof createGuard>

/** The route as declared (`/livechat/api/v1/chats/:id`), never the address with its values. */
function routeOf (request: FastifyRequest): string {
  return request.routeOptions.url ?? request.url.split('?')[0]!
}

const fieldOf = new WeakMap<object, string>()

/**
 * Runs `fn`; a coded refusal it throws that is about one field of the request (`fields`, by
 * code: LC_ERR_MESSAGE_EMPTY → body/text) is answered with that field named.
 */
export async function beside<T> (fields: Readonly<Record<string, string>>, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    const field = isCoded(err) ? fields[err.code] : undefined
    if (field !== undefined) fieldOf.set(err as object, field)
    throw err
  }
}

/** What an error answers: its status and the JSON body, `field` naming the part of the request at fault. */
export function errorAnswer (err: FastifyError): { status: number, body: { code: string, message: string, field?: string } } {
  if (err.validation) {
    const first = err.validation[0]!
    const missing = (first.params as { missingProperty?: string }).missingProperty
    const field = `${err.validationContext ?? 'body'}${first.instancePath}${missing === undefined ? '' : `/${missing}`}`
    return { status: 400, body: { code: 'LC_ERR_VALIDATION', message: describeAjvError(first as never, err.validationContext ?? 'request'), field } }
  }
  if (!isCoded(err) && isUnavailable(err)) {
    const e = new LC_ERR_UNAVAILABLE()
    return { status: e.statusCode!, body: { code: e.code, message: e.message } }
  }
  const status = err.statusCode ?? 500
  if (status >= 500) return { status: 500, body: { code: 'LC_ERR_INTERNAL', message: messages.internal } }
  const field = fieldOf.get(err)
  if (isCoded(err) || status === 429) return { status, body: { code: err.code, message: err.message, ...(field === undefined ? {} : { field }) } }
  return { status, body: { code: 'LC_ERR_REQUEST', message: (err as Error).message } }
}

/** The API's own error and not-found handlers: JSON always, whatever the client accepts. */
export function installApiErrors (api: FastifyInstance): void {
  api.setErrorHandler((err: FastifyError, request, reply) => {
    const { status, body } = errorAnswer(err)
    if (status >= 500) request.log.error({ err, request: { method: request.method, url: request.url, params: request.params } }, 'live chat API call failed')
    if (status === 503) void reply.header('retry-after', '5')
    return reply.code(status).type('application/json; charset=utf-8').send(body)
  })
  api.setNotFoundHandler((_request, reply) => {
    const e = new LC_ERR_NOT_FOUND()
    return reply.code(404).type('application/json; charset=utf-8').send({ code: e.code, message: 'There is no such API call; see /api/v1/openapi.json for the list' })
  })
}
