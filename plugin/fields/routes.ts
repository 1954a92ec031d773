import type { FastifyPluginAsync } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import type { CodedError } from '../errors.ts'
import type { ManualEventViews } from '../manual-events/view-models.ts'
import type { Access } from '../security/access.ts'
import { answer, clearNotice, ok } from '../web/answers.ts'
import { attempt, valid } from '../web/forms.ts'
import { type DeleteBody, deleteBody, fieldBody, fieldForm, fieldParams, type MoveBody, moveBody, postedValues, valuesBody } from './schemas.ts'
import { type FieldService, refusalField } from './service.ts'
import type { FieldViews } from './view-models.ts'

/** What the custom fields' endpoints use; the administration page lists the manual events too. */
export interface FieldRoutesDeps {
  base: string
  access: Pick<Access, 'agent'>
  fields: Pick<FieldService, 'create' | 'get' | 'update' | 'move' | 'remove' | 'save'>
  fieldViews: Pick<FieldViews, 'list' | 'newForm' | 'listFragment' | 'newFormFragment' | 'editFormFragment' | 'tab' | 'chatForm' | 'valuesLineFragment'>
  manualEventViews: Pick<ManualEventViews, 'list' | 'newForm'>
}

type Id = { Params: { id: number } }
/** Refusals of the field form that belong beside one of its fields. */
const formRefusals = new Set(['LC_ERR_FIELD_KEY_TAKEN', 'LC_ERR_FORM_INVALID'])
const beside = (err: CodedError): string | undefined => formRefusals.has(err.code) ? refusalField(err) : undefined

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
export const fieldRoutes: FastifyPluginAsync<FieldRoutesDeps> = async (fastify, { base, access, fields, fieldViews, manualEventViews }) => {
  const post = { preValidation: fastify.csrfProtection }

  fastify.get('/admin/fields', async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    return reply.lcView('fields/fields.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      user: admin.user,
      fields: await fieldViews.list(),
      newField: fieldViews.newForm(),
      events: await manualEventViews.list(),
      newEvent: manualEventViews.newForm()
    })
  })

  fastify.post('/admin/fields', { schema: { body: fieldBody }, ...post }, async (request, reply) => {
    await access.agent(request, 'livechat.admin')
    const form = fieldForm.read(request.body)
    const field = await attempt(form, async (input) => await fields.create(input), beside)
    if (!field) return await answer(reply, [fieldViews.newFormFragment(form), clearNotice()], 422)
    return await answer(reply, [await fieldViews.listFragment(), fieldViews.newFormFragment(), ok(notices.created(field.label))])
  })

  fastify.post<Id>('/admin/fields/:id', { schema: { params: fieldParams, body: fieldBody }, ...post }, async (request, reply) => {
    await access.agent(request, 'livechat.admin')
    const field = await fields.get(request.params.id)
    const form = fieldForm.read(request.body)
    const saved = await attempt(form, async (input) => await fields.update(field.id, input), beside)
    if (!saved) return await answer(reply, [fieldViews.editFormFragment(field, form), clearNotice()], 422)
    return await answer(reply, [await fieldViews.listFragment(), ok(notices.saved(saved.label))])
  })

  fastify.post<Id & { Body: MoveBody }>('/admin/fields/:id/move', { schema: { params: fieldParams, body: moveBody }, ...post }, async (request, reply) => {
    await access.agent(request, 'livechat.admin')
    await fields.move(request.params.id, request.body.direction)
    return await answer(reply, [await fieldViews.listFragment(), clearNotice()])
  })

  fastify.post<Id & { Body: DeleteBody }>('/admin/fields/:id/delete', { schema: { params: fieldParams, body: deleteBody }, ...post }, async (request, reply) => {
    await access.agent(request, 'livechat.admin')
    const { field, values } = await fields.remove(request.params.id, request.body?.confirm === 'yes')
    return await answer(reply, [await fieldViews.listFragment(), ok(notices.deleted(field.label, values))])
  })

  fastify.get<Id>('/console/chats/:id/tabs/fields', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    return await answer(reply, [await fieldViews.tab(request.params.id, await agent.scope(), agent.can('livechat.admin'))])
  })

  fastify.post<Id>('/console/chats/:id/fields', { schema: { params: chatParams, body: valuesBody }, ...post }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const chatId = request.params.id
    const posted = postedValues(request.body)
    const saved = await fields.save(chatId, scope, posted)
    if (!valid(saved)) return await answer(reply, [await fieldViews.chatForm(chatId, scope, { posted, errors: saved.errors }), clearNotice()], 422)
    return await answer(reply, [
      await fieldViews.chatForm(chatId, scope, undefined, true),
      await fieldViews.valuesLineFragment(chatId),
      saved.changed > 0 ? ok(notices.chatSaved) : clearNotice()
    ])
  })
}
