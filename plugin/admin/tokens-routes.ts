import type { FastifyPluginAsync } from 'fastify'
import type { TokenService } from '../api/tokens-service.ts'
import { LC_ERR_NOT_AN_AGENT, LC_ERR_USER_NOT_FOUND } from '../errors.ts'
import type { HostAdapter } from '../host/adapter.ts'
import type { Access } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { permissionsFor, type Settings } from '../settings.ts'
import { answer, clearNotice, ok } from '../web/answers.ts'
import { attempt, refuse } from '../web/forms.ts'
import { tokenBody, tokenForm, tokenParams } from './tokens-schemas.ts'
import type { TokenViews } from './tokens-view-models.ts'

/** What the API tokens page uses. */
export interface TokenRoutesDeps {
  base: string
  settings: Pick<Settings, 'rolePermissions'>
  access: Pick<Access, 'agent'>
  host: Pick<HostAdapter, 'findUsers'>
  tokens: Pick<TokenService, 'create' | 'revoke'>
  tokenViews: Pick<TokenViews, 'form' | 'list' | 'page' | 'formFragment' | 'listFragment' | 'createdFragment'>
}

const notices = {
  created: (name: string) => `Token "${name}" created; copy it now, it is not shown again`,
  revoked: (name: string) => `Token "${name}" is revoked; calls with it are refused from now on`,
  agentMissing: 'Give the username of the agent the token acts as'
}

/**
 * The API tokens page (docs/features.md#api-tokens, `livechat.admin`). Creating answers with
 * the token, shown this once, the list and an empty form; a refused form comes back (422)
 * with the reasons beside the fields, nothing stored.
 */
export const tokenRoutes: FastifyPluginAsync<TokenRoutesDeps> = async (fastify, { base, settings, access, host, tokens, tokenViews }) => {
  const post = { preValidation: fastify.csrfProtection }

  fastify.get('/admin/api-tokens', async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    return reply.lcView('admin/api-tokens.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      user: admin.user,
      form: tokenViews.form(),
      list: await tokenViews.list(),
      created: {}
    })
  })

  fastify.get<{ Params: { id: number } }>('/admin/api-tokens/:id', { schema: { params: tokenParams } }, async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    return reply.lcView('admin/api-token.page.hbs', { base, csrf: reply.generateCsrf(), user: admin.user, ...await tokenViews.page(request.params.id) })
  })

  fastify.post('/admin/api-tokens', { schema: { body: tokenBody }, ...post }, async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    const form = tokenForm.read(request.body)
    let agent: { id: string, name: string } | null = null
    const username = form.input?.agentUsername
    if (username === '') refuse(form, 'username', notices.agentMissing)
    else if (username) {
      // Usernames are matched whole: findUsers also matches parts of names and emails.
      const user = (await host.findUsers(username, 50)).find((u) => u.username.toLocaleLowerCase() === username.toLocaleLowerCase())
      if (!user) refuse(form, 'username', new LC_ERR_USER_NOT_FOUND(username))
      else if (!permissionsFor(settings, user.roles).has('livechat.agent')) refuse(form, 'username', new LC_ERR_NOT_AN_AGENT(user.name))
      else agent = { id: user.id, name: user.name }
    }
    const created = await attempt(form, async (input) => await tokens.create({ ...input, agent }, admin.by), { LC_ERR_API_RANGE: 'ipAllow' })
    if (!created) return await answer(reply, [tokenViews.formFragment(form), tokenViews.createdFragment(), clearNotice()], 422)
    return await answer(reply, [
      tokenViews.createdFragment(created), await tokenViews.listFragment(), tokenViews.formFragment(), ok(notices.created(created.token.name))
    ])
  })

  fastify.post<{ Params: { id: number } }>('/admin/api-tokens/:id/revoke', { schema: { params: tokenParams, body: csrfOnlyBody }, ...post }, async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    const token = await tokens.revoke(request.params.id, admin.by)
    return await answer(reply, [await tokenViews.listFragment(), tokenViews.createdFragment(), ok(notices.revoked(token.name))])
  })
}
