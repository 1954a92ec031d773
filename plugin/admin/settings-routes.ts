import type { FastifyPluginAsync } from 'fastify'
import { LC_ERR_REQUEST, LC_ERR_SETTINGS_GROUP_UNKNOWN } from '../errors.ts'
import type { Manifest } from '../manifest.ts'
import type { Access } from '../security/access.ts'
import { answer, notice, ok } from '../web/answers.ts'
import { bodyRefusal, fieldError } from '../web/forms.ts'
import { readSettingsForm, settingsGroupBody, type SettingsGroupParams, settingsGroupParams } from './settings-form.ts'
import type { SettingSchema, SettingsService } from './settings-service.ts'
import { settingsGroupFragment, settingsGroupModel, settingsHistoryFragment, settingsHistoryModel, settingsMessages } from './settings-view-models.ts'

/** What the settings screen uses. */
export interface SettingsRoutesDeps {
  base: string
  manifest: Pick<Manifest, 'permissions' | 'jobs' | 'settingsSchema'>
  access: Pick<Access, 'agent'>
  settingsAdmin: Pick<SettingsService, 'groups' | 'problem' | 'save' | 'history'>
}

/**
 * The settings screen (`livechat.admin`, docs/features.md#settings): every setting of the
 * manifest's settingsSchema, grouped, and one form per group. A refused form comes back 422
 * with the reasons beside the fields, having saved nothing; a saved one applies at once here
 * and, over the bus, on every other instance.
 */
export const settingsRoutes: FastifyPluginAsync<SettingsRoutesDeps> = async (fastify, { base, manifest, access, settingsAdmin }) => {
  const ctx = { base, manifest }
  const schemas = manifest.settingsSchema.properties as Record<string, SettingSchema>

  fastify.get('/admin/settings', async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    const groups = settingsAdmin.groups()
    return reply.lcView('admin/settings.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      user: admin.user,
      groups: groups.map((g) => settingsGroupModel(g, ctx)),
      history: settingsHistoryModel(await settingsAdmin.history(), schemas)
    })
  })

  fastify.post<{ Params: SettingsGroupParams }>('/admin/settings/:group', {
    schema: { params: settingsGroupParams, body: settingsGroupBody },
    preValidation: fastify.csrfProtection,
    attachValidation: true
  }, async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    const invalid = bodyRefusal(request)
    const group = settingsAdmin.groups().find((g) => g.id === request.params.group)
    if (!group) throw new LC_ERR_SETTINGS_GROUP_UNKNOWN(request.params.group)
    const form = readSettingsForm(group.states, request.body, settingsAdmin)
    // A body the route's schema refused (a field far too long, too many fields) is a tampered form.
    if (invalid) form.errors.form ??= fieldError(new LC_ERR_REQUEST(invalid.message))
    if (Object.keys(form.errors).length > 0) {
      const refusal = form.errors.form ?? Object.values(form.errors)[0]!
      return await answer(reply, [settingsGroupFragment(settingsGroupModel(group, ctx, form)), notice('error', settingsMessages.refused, refusal.code)], 422)
    }
    const changed = await settingsAdmin.save(form.values, admin.by)
    const fresh = settingsAdmin.groups().find((g) => g.id === group.id)!
    const titles = changed.map((name) => fresh.states.find((s) => s.name === name)?.title ?? name)
    return await answer(reply, [
      settingsGroupFragment(settingsGroupModel(fresh, ctx)),
      settingsHistoryFragment(settingsHistoryModel(await settingsAdmin.history(), schemas)),
      changed.length > 0 ? ok(settingsMessages.saved(titles)) : notice('info', settingsMessages.nothing)
    ])
  })
}
