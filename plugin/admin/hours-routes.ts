import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { HoursService } from '../routing/hours-service.ts'
import type { Department, RoutingService } from '../routing/service.ts'
import type { Access } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { answer, clearNotice, ok } from '../web/answers.ts'
import { attempt } from '../web/forms.ts'
import { departmentOr404 as departmentOr404In, formActor } from './guards.ts'
import { hoursBody, hoursForm } from './hours-schemas.ts'
import { idParams } from './schemas.ts'
import { hoursCardFragment, type HoursViews } from './hours-view-models.ts'

/** What the Business hours page uses. */
export interface HoursRoutesDeps {
  access: Pick<Access, 'agent'>
  routing: Pick<RoutingService, 'department'>
  hours: Pick<HoursService, 'setSchedule'>
  hoursViews: Pick<HoursViews, 'page' | 'card'>
}

type Id = { Params: { id: number } }

const notices = {
  saved: (name: string) => `Business hours of ${name} saved`,
  removed: (name: string) => `${name} has no business hours now: chat is always open`
}

/**
 * Business hours per department (docs/features.md#business-hours), for administrators
 * (`livechat.admin`). A save answers with the department's card re-rendered; a refused one
 * re-renders it with the form open, 422, the reasons beside the fields, nothing stored.
 */
export const hoursRoutes: FastifyPluginAsync<HoursRoutesDeps> = async (fastify, { access, routing, hours, hoursViews }) => {
  const admin = async (request: FastifyRequest) => await formActor(access, request)
  const departmentOr404 = async (id: number): Promise<Department> => await departmentOr404In(routing, id)

  fastify.get('/admin/hours', async (request, reply) => {
    const user = await admin(request)
    return reply.lcView('admin/hours.page.hbs', { csrf: reply.generateCsrf(), user: user.user, ...await hoursViews.page() })
  })

  fastify.post<Id>('/admin/departments/:id/hours', {
    schema: { params: idParams, body: hoursBody }, preValidation: fastify.csrfProtection, attachValidation: true
  }, async (request, reply) => {
    const who = await admin(request)
    const dept = await departmentOr404(request.params.id)
    const form = hoursForm.read(request.body)
    const saved = await attempt(form, async (schedule) => {
      await hours.setSchedule(dept.id, schedule, who.user.id)
      return schedule
    }, { LC_ERR_FORM_INVALID: 'form' })
    if (!saved) return await answer(reply, [hoursCardFragment(await hoursViews.card(dept, form)), clearNotice()], 422)
    return await answer(reply, [hoursCardFragment(await hoursViews.card(dept)), ok(notices.saved(dept.name))])
  })

  fastify.post<Id>('/admin/departments/:id/hours/remove', {
    schema: { params: idParams, body: csrfOnlyBody }, preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const who = await admin(request)
    const dept = await departmentOr404(request.params.id)
    await hours.setSchedule(dept.id, null, who.user.id)
    return await answer(reply, [hoursCardFragment(await hoursViews.card(dept)), ok(notices.removed(dept.name))])
  })
}
