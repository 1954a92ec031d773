import type { FastifyPluginAsync } from 'fastify'
import type { ImportResult, ImportService } from '../routing/import.ts'
import type { Access } from '../security/access.ts'
import { answer, clearNotice, ok } from '../web/answers.ts'
import { attempt } from '../web/forms.ts'
import { formActor } from './guards.ts'
import { importBody, importForm, importRefusals } from './import-schemas.ts'
import { importFragment, type ImportViews } from './import-view-models.ts'
import { departmentsFragment, type AdminViews } from './view-models.ts'

/** What Import from the help desk uses. */
export interface ImportRoutesDeps {
  access: Pick<Access, 'agent'>
  imports: Pick<ImportService, 'run'>
  importViews: Pick<ImportViews, 'section'>
  adminViews: Pick<AdminViews, 'departments'>
}

function summary (r: ImportResult): string {
  const parts = [
    r.created.length > 0 ? `${r.created.length} created` : '',
    r.linked.length > 0 ? `${r.linked.length} linked` : '',
    r.renamed.length > 0 ? `${r.renamed.length} renamed` : '',
    r.membersAdded > 0 ? `${r.membersAdded} members added` : ''
  ].filter(Boolean)
  return parts.length > 0 ? `Imported from the help desk: ${parts.join(', ')}` : 'Nothing new to import: everything ticked is here already'
}

/**
 * Import from the help desk (docs/features.md#import-from-the-help-desk), for administrators
 * (`livechat.admin`): the departments list and the import section come back re-rendered with
 * what was done; a refused import re-renders the section (422) as ticked, with the reason,
 * nothing stored.
 */
export const importRoutes: FastifyPluginAsync<ImportRoutesDeps> = async (fastify, { access, imports, importViews, adminViews }) => {
  fastify.post('/admin/departments/import', { schema: { body: importBody }, preValidation: fastify.csrfProtection, attachValidation: true }, async (request, reply) => {
    const admin = await formActor(access, request)
    const form = importForm.read(request.body)
    const result = await attempt(form, async (input) => await imports.run(input, admin.by), importRefusals)
    if (!result) return await answer(reply, [importFragment(await importViews.section(form)), clearNotice()], 422)
    return await answer(reply, [
      departmentsFragment(await adminViews.departments()),
      importFragment(await importViews.section(undefined, result)),
      ok(summary(result))
    ])
  })
}
