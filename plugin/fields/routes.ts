import type { FastifyPluginAsync } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import type { RouteDeps } from '../deps.ts'
import { isCoded } from '../errors.ts'
import { fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { type DeleteBody, deleteBody, fieldBody, fieldParams, type MoveBody, moveBody, postedValues, valuesBody } from './schemas.ts'
import { type FormState, readDefinition, refusalField } from './service.ts'

type Id = { Params: { id: number } }
/** Refusals of the field form that belong beside one of its fields. */
const formRefusals = new Set(['LC_ERR_FIELD_KEY_TAKEN', 'LC_ERR_FORM_INVALID'])

const notices = {
  created: (label: string) => `Field ${label} created`,
  saved: (label: string) => `Field ${label} saved`,
  deleted: (label: string, values: number) => `Field ${label} deleted${values > 0 ? `, with its values in ${values} ${values === 1 ? 'chat' : 'chats'}` : ''}`,
  chatSaved: 'Custom fields saved'
}

/**
 * Custom fields (docs/features.md#custom-fields): the administration page (`livechat.admin`),
 * and a chat's tab, where any agent who may see the chat fills them in.
 */
export const fieldRoutes: FastifyPluginAsync<RouteDeps> = async (fastify, deps) => {
  const { base, access, views } = deps
  const { service: fields, views: fieldViews } = deps.fields
  const post = { preValidation: fastify.csrfProtection }

  const { ok, clearNotice, send } = deps.answers

  /** A service refusal that belongs in the form: set beside its field; anything else is thrown on. */
  function refused (err: unknown, form: FormState): boolean {
    if (!isCoded(err) || !formRefusals.has(err.code)) return false
    form.errors[refusalField(err)] = { code: err.code, message: err.message }
    return true
  }

  fastify.get('/admin/fields', async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    return reply.lcView('fields/fields.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      user: admin.user,
      fields: await fieldViews.list(),
      newField: fieldViews.newForm(),
      events: await deps.manualEvents.views.list(),
      newEvent: deps.manualEvents.views.newForm()
    })
  })

  fastify.post('/admin/fields', { schema: { body: fieldBody }, ...post }, async (request, reply) => {
    await access.agent(request, 'livechat.admin')
    const form = readDefinition(request.body)
    if (form.input) {
      try {
        const field = await fields.create(form.input)
        return await send(reply, 200, [await fieldViews.listFragment(), fieldViews.newFormFragment(), ok(notices.created(field.label))])
      } catch (err) {
        if (!refused(err, form)) throw err
      }
    }
    return await send(reply, 422, [fieldViews.newFormFragment(form), clearNotice()])
  })

  fastify.post<Id>('/admin/fields/:id', { schema: { params: fieldParams, body: fieldBody }, ...post }, async (request, reply) => {
    await access.agent(request, 'livechat.admin')
    const field = await fields.get(request.params.id)
    const form = readDefinition(request.body)
    if (form.input) {
      try {
        const saved = await fields.update(field.id, form.input)
        return await send(reply, 200, [await fieldViews.listFragment(), ok(notices.saved(saved.label))])
      } catch (err) {
        if (!refused(err, form)) throw err
      }
    }
    return await send(reply, 422, [fieldViews.editFormFragment(field, form), clearNotice()])
  })

  fastify.post<Id & { Body: MoveBody }>('/admin/fields/:id/move', { schema: { params: fieldParams, body: moveBody }, ...post }, async (request, reply) => {
    await access.agent(request, 'livechat.admin')
    await fields.move(request.params.id, request.body.direction)
    return await send(reply, 200, [await fieldViews.listFragment(), clearNotice()])
  })

  fastify.post<Id & { Body: DeleteBody }>('/admin/fields/:id/delete', { schema: { params: fieldParams, body: deleteBody }, ...post }, async (request, reply) => {
    await access.agent(request, 'livechat.admin')
    const { field, values } = await fields.remove(request.params.id, request.body?.confirm === 'yes')
    return await send(reply, 200, [await fieldViews.listFragment(), ok(notices.deleted(field.label, values))])
  })

  fastify.get<Id>('/console/chats/:id/tabs/fields', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const tab = await fieldViews.tab(request.params.id, await agent.scope(), agent.can('livechat.admin'))
    return await send(reply, 200, [fragment(targets.tabPanel(request.params.id), 'innerHTML', views.render('fields/tab', tab))])
  })

  fastify.post<Id>('/console/chats/:id/fields', { schema: { params: chatParams, body: valuesBody }, ...post }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const chatId = request.params.id
    const posted = postedValues(request.body)
    const { errors, changed } = await fields.save(chatId, scope, posted)
    if (Object.keys(errors).length > 0) {
      return await send(reply, 422, [await fieldViews.chatFormFragment(chatId, scope, { posted, errors }), clearNotice()])
    }
    return await send(reply, 200, [
      await fieldViews.chatFormFragment(chatId, scope, undefined, true),
      await fieldViews.valuesLineFragment(chatId),
      changed > 0 ? ok(notices.chatSaved) : clearNotice()
    ])
  })
}
