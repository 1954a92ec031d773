import type { FastifyRequest } from 'fastify'
import { LC_ERR_DEPARTMENT_NOT_FOUND } from '../errors.ts'
import type { Department, RoutingService } from '../routing/service.ts'
import type { Access } from '../security/access.ts'
import type { Permission } from '../settings.ts'
import { bodyRefusal } from '../web/forms.ts'

/**
 * The signed-in holder of `permission` on an administration form's route: the form's own
 * validation errors stay for the form to show beside its fields; a bad id in the path is a 400.
 */
export async function formActor (access: Pick<Access, 'agent'>, request: FastifyRequest, permission: Permission = 'livechat.admin') {
  const agent = await access.agent(request, permission)
  bodyRefusal(request)
  return agent
}

/** The department a path names, or LC_ERR_DEPARTMENT_NOT_FOUND (404): a rule the routing service leaves to its callers. */
export async function departmentOr404 (routing: Pick<RoutingService, 'department'>, id: number): Promise<Department> {
  const dept = await routing.department(id)
  if (!dept) throw new LC_ERR_DEPARTMENT_NOT_FOUND(String(id))
  return dept
}
