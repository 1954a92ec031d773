import type { FastifyPluginAsync } from 'fastify'
import type { Access } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { answer, clearNotice, ok } from '../web/answers.ts'
import { attempt } from '../web/forms.ts'
import { blockBody, blockForm, blockParams } from './schemas.ts'
import type { BlocklistService } from './service.ts'
import type { BlocklistViews } from './view-models.ts'

/** What the block list page uses. */
export interface BlocklistRoutesDeps {
  base: string
  access: Pick<Access, 'agent'>
  blocklist: Pick<BlocklistService, 'add' | 'remove'>
  blocklistViews: Pick<BlocklistViews, 'form' | 'list' | 'history' | 'formFragment' | 'listFragment' | 'historyFragment'>
}

const notices = {
  added: (range: string) => `${range} is blocked`,
  removed: (range: string) => `${range} is no longer blocked`
}

/**
 * The block list page (docs/features.md#block-list, `livechat.admin`). Adding answers with
 * the list, the history and an empty form; a refused form comes back (422) with the reasons
 * beside the fields, nothing stored.
 */
export const blocklistRoutes: FastifyPluginAsync<BlocklistRoutesDeps> = async (fastify, { base, access, blocklist, blocklistViews }) => {
  const post = { preValidation: fastify.csrfProtection }

  fastify.get('/admin/blocklist', async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    return reply.lcView('blocklist/blocklist.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      user: admin.user,
      form: blocklistViews.form(),
      list: await blocklistViews.list(),
      history: await blocklistViews.history()
    })
  })

  fastify.post('/admin/blocklist', { schema: { body: blockBody }, ...post }, async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    const form = blockForm.read(request.body)
    const entry = await attempt(form, async (input) => await blocklist.add(input, admin.by), { LC_ERR_BLOCK_EXISTS: 'range' })
    if (!entry) return await answer(reply, [blocklistViews.formFragment(form), clearNotice()], 422)
    return await answer(reply, [
      await blocklistViews.listFragment(), await blocklistViews.historyFragment(), blocklistViews.formFragment(), ok(notices.added(entry.range))
    ])
  })

  fastify.post<{ Params: { id: number } }>('/admin/blocklist/:id/remove', { schema: { params: blockParams, body: csrfOnlyBody }, ...post }, async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    const entry = await blocklist.remove(request.params.id, admin.by)
    return await answer(reply, [await blocklistViews.listFragment(), await blocklistViews.historyFragment(), ok(notices.removed(entry.range))])
  })
}
