import type { Knex } from 'knex'
import { memoryBus } from '../plugin/realtime/bus.ts'
import { createRoutingService } from '../plugin/routing/service.ts'

/**
 * The demo desk's live chat departments and groups (docs/features.md#groups-and-departments):
 * Support (Support L1, Support L2) and Sales (Sales). alice and bob work L1, carol L2
 * and Sales, sam supervises all three without taking chats himself. Sales hands its
 * chats out by round robin; the support groups let agents pick from the queue.
 * Set up through the plugin's own routing service, once: a desk's later changes stay.
 */
export async function seedRouting (knex: Knex, userIds: Map<string, number>): Promise<void> {
  if (await knex('lc_departments').first('id')) return
  const routing = createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 60 } })
  const id = (username: string): string => String(userIds.get(username))

  const support = await routing.createDepartment({ name: 'Support', sortOrder: 1 })
  const l1 = await routing.createGroup({ departmentId: support, name: 'Support L1', distribution: 'cherry_pick', defaultMaxChats: 4 })
  const l2 = await routing.createGroup({ departmentId: support, name: 'Support L2', distribution: 'cherry_pick', defaultMaxChats: 3 })
  await routing.updateDepartment(support, { defaultGroupId: l1 })

  const sales = await routing.createDepartment({
    name: 'Sales',
    sortOrder: 2,
    queuePositionMessage: 'Thanks for your interest! {ahead} customers are ahead of you',
    queuePositionMessageOne: 'Thanks for your interest! One customer is ahead of you',
    queueNextMessage: 'Thanks for your interest! You are next'
  })
  const salesGroup = await routing.createGroup({ departmentId: sales, name: 'Sales', distribution: 'round_robin', defaultMaxChats: 3 })
  await routing.updateDepartment(sales, { defaultGroupId: salesGroup })

  await routing.setMember(l1, id('alice'))
  await routing.setMember(l1, id('bob'))
  await routing.setMember(l2, id('carol'))
  await routing.setMember(salesGroup, id('carol'))
  for (const g of [l1, l2, salesGroup]) await routing.setMember(g, id('sam'), { active: false })
}
