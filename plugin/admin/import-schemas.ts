import type { ImportChoice } from '../routing/import.ts'
import { csrfField as csrf } from '../security/schemas.ts'
import { checkbox, checkboxes, defineForm, type FormState, type FormValues, select } from '../web/forms.ts'

/*
 * Import from the help desk (docs/features.md#import-from-the-help-desk) on the departments
 * and groups page: the desk's ids of what is ticked, whether to bring members, and where
 * groups outside the desk's departments go. Which ids the desk has, and whether a group needs
 * a department, is the import service's to say, beside the field each is about.
 */

const hostId = { type: 'string', minLength: 1, maxLength: 64 } as const
const hostIds = { anyOf: [hostId, { type: 'array', maxItems: 500, items: hostId }] } as const

export const importBody = {
  $id: 'lc/admin/import',
  type: 'object',
  additionalProperties: false,
  properties: {
    department: hostIds,
    group: hostIds,
    members: { enum: ['on'] },
    group_department: { type: 'string', pattern: '^[0-9]{0,10}$' },
    _csrf: csrf
  }
} as const

export const importForm = defineForm({
  department: checkboxes({ label: 'Departments' }),
  group: checkboxes({ label: 'Groups' }),
  members: checkbox(),
  group_department: select(undefined, { label: 'Department for groups outside the desk\'s departments' })
}, {
  schema: { schema: importBody, sample: {} },
  input: (v): ImportChoice => ({
    departments: v.department,
    groups: v.group,
    members: v.members,
    groupDepartmentId: v.group_department ? Number(v.group_department) : null
  })
})
export type ImportFormState = FormState<FormValues<typeof importForm>>

/** Where the service's refusals are shown: above the lists, or beside the department choice. */
export const importRefusals = {
  LC_ERR_IMPORT_NOTHING_CHOSEN: 'form',
  LC_ERR_IMPORT_UNKNOWN: 'form',
  LC_ERR_IMPORT_GROUP_DEPARTMENT: 'group_department',
  LC_ERR_IMPORT_DEPARTMENT_UNKNOWN: 'group_department'
} as const
