import type { FastifyPluginAsync } from 'fastify'
import { isAdmin } from '../auth.ts'
import { guard, messages, renderError, renderPage } from '../context.ts'
import type { HostContext } from '../context.ts'
import { sentMail } from '../mail.ts'

export const adminRoutes: FastifyPluginAsync<{ ctx: HostContext }> = async (app, { ctx }) => {
  app.addHook('preHandler', guard(ctx, isAdmin))

  app.get('/admin/plugins', async (request, reply) => {
    const rows = await ctx.knex('host_plugins').select('id', 'enabled', 'installed_version', 'updated_at')
    const state = new Map(rows.map((r) => [String(r.id), r]))
    const plugins = await Promise.all(ctx.plugins.map(async (p) => ({
      ...p.manifest,
      enabled: await p.switch.isEnabled(),
      installedVersion: state.get(p.manifest.id)?.installed_version ?? null
    })))
    return renderPage(ctx, request, reply, 'admin-plugins', { title: 'Plugins', plugins })
  })

  // The desk's outbox: mail plugins sent through the host (chat transcripts), newest first.
  app.get('/admin/mail', async (request, reply) => {
    return renderPage(ctx, request, reply, 'admin-mail', { title: 'Sent mail', mail: await sentMail(ctx.knex) })
  })

  app.post<{ Params: { id: string, action: string } }>('/admin/plugins/:id/:action', async (request, reply) => {
    const plugin = ctx.plugins.find((p) => p.manifest.id === request.params.id)
    const action = request.params.action
    if (!plugin || (action !== 'enable' && action !== 'disable')) return renderError(ctx, request, reply, 404, messages.notFound)
    await plugin.switch.setEnabled(action === 'enable')
    request.log.info({ plugin: plugin.manifest.id, action, by: request.hdUser?.username }, 'plugin toggled')
    return reply.redirect('/admin/plugins', 303)
  })
}
