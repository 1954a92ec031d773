import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { formClients } from './build.ts'

export interface TokenForm {
  name?: string
  scopes?: string | string[]
  actsAs?: 'integration' | 'agent'
  username?: string
  ipAllow?: string
  expires?: string
}

/**
 * The administrator's API tokens page, as a browser posts it: `create` returns the token
 * shown once, read from the answer; `api` calls the JSON API with a token.
 */
export async function tokenAdmin (app: FastifyInstance) {
  const { client } = await formClients(app, '/livechat/admin/api-tokens')
  const admin = await client('admin')
  async function create (form: TokenForm = {}): Promise<{ secret: string, id: number, res: LightMyRequestResponse }> {
    const res = await admin.post('/livechat/admin/api-tokens', { name: 'CRM sync', scopes: ['chats:read'], actsAs: 'integration', expires: 'never', ...form })
    const m = /<code class="lc-secret" data-token-id="(\d+)">([^<]+)<\/code>/.exec(res.body)
    if (!m) throw new Error(`no token in the answer: ${res.statusCode} ${res.body.slice(0, 800)}`)
    return { secret: m[2]!, id: Number(m[1]), res }
  }
  return { admin, client, create }
}

/** A JSON API call with a bearer token (or none). */
export function apiClient (app: FastifyInstance, secret: string | null, defaults: { remoteAddress?: string } = {}) {
  return async (method: 'GET' | 'POST', path: string, opts: { body?: unknown, headers?: Record<string, string>, remoteAddress?: string } = {}): Promise<LightMyRequestResponse> => await app.inject({
    method,
    url: `/livechat/api/v1${path}`,
    remoteAddress: opts.remoteAddress ?? defaults.remoteAddress ?? '127.0.0.1',
    headers: { ...(secret === null ? {} : { authorization: `Bearer ${secret}` }), ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers },
    ...(opts.body === undefined ? {} : { payload: JSON.stringify(opts.body) })
  })
}
