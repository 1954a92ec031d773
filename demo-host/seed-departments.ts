import type { Knex } from 'knex'

/**
 * The desk's own departments (manifest.json host.departments): Support and Sales, which live
 * chat's routing also has, and Billing, which it does not yet, so the administration page's
 * Import from the help desk shows both kinds. Inserted once: a desk's later changes stay.
 */
export async function seedDepartments (knex: Knex, userIds: Map<string, number>): Promise<void> {
  if (await knex('departments').first('id')) return
  const departments: Array<[string, string[]]> = [
    ['Support', ['alice', 'bob', 'carol']],
    ['Sales', ['carol']],
    ['Billing', ['bob']]
  ]
  for (const [name, members] of departments) {
    const [id] = await knex('departments').insert({ name })
    const rows = members.map((username) => userIds.get(username)).filter((u) => u !== undefined).map((userId) => ({ department_id: Number(id), user_id: userId }))
    if (rows.length > 0) await knex('department_members').insert(rows)
  }
}
