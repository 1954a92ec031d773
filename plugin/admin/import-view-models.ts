import { targets } from '../realtime/targets.ts'
import type { ImportCandidate, ImportResult, ImportService, ImportStatus } from '../routing/import.ts'
import type { RoutingService } from '../routing/service.ts'
import { bind } from '../web/fragments.ts'
import type { ImportFormState } from './import-schemas.ts'

export type ImportViews = ReturnType<typeof createImportViews>

const statusLabels: Record<ImportStatus, string> = { new: 'New', here: 'Already here', renamed: 'Renamed in the desk' }

/** One department or group of the desk, as its row of the import form shows it. */
export interface ImportRow {
  hostId: string
  name: string
  status: ImportStatus
  statusLabel: string
  /** What is here: "here: Billing", "goes in Support", "will be linked". */
  note: string | null
  members: number
  checked: boolean
  fieldId: string
}

/** views/admin/import.hbs: the "Import from the help desk" section of the departments and groups page. */
export interface ImportModel {
  formId: string
  action: string
  /** Why there is nothing to import, in a sentence; the form is shown only without it. */
  nothing: string | null
  departments: ImportRow[]
  groups: ImportRow[]
  /** Ticked groups may need a department here to go in: the choice is shown when some group could. */
  departmentChoice: boolean
  departmentOptions: Array<{ id: number, name: string, selected: boolean }>
  members: boolean
  errors: ImportFormState['errors']
  result: ImportResultModel | null
}

/** What the last import did, by name. */
export interface ImportResultModel {
  lines: Array<{ label: string, names: string }>
  nothing: boolean
}

export const importFragment = bind('admin/import', 'outerHTML', (_m: ImportModel) => targets.adminImport())

export const importMessages = {
  noDirectory: 'This help desk does not share its departments or groups with live chat. Create them here with the New department form, or map the desk\'s tables (host.departments and host.groups in the manifest) to import them.',
  empty: 'The help desk has no departments or groups to import.'
}

export interface ImportViewsDeps {
  base: string
  imports: Pick<ImportService, 'preview' | 'available'>
  routing: Pick<RoutingService, 'departments'>
}

/** The import section, as the page shows it and as an import's answer replaces it. */
export function createImportViews ({ base, imports, routing }: ImportViewsDeps) {
  const list = (names: string[]): string => names.join(', ')

  function resultModel (r: ImportResult): ImportResultModel {
    const lines = [
      { label: 'Created', names: list(r.created) },
      { label: 'Linked', names: list(r.linked) },
      { label: 'Renamed', names: list(r.renamed) },
      { label: `Members added (${r.membersAdded})`, names: list(r.joined) },
      { label: 'Skipped, already here', names: list(r.skipped) },
      { label: 'Left out, not agents', names: list(r.notAgents) }
    ].filter((l) => l.names !== '')
    return { lines, nothing: r.created.length + r.linked.length + r.renamed.length + r.membersAdded === 0 }
  }

  function row (kind: 'department' | 'group', c: ImportCandidate, ticked: string[] | undefined): ImportRow {
    const note = c.status === 'renamed'
      ? `here: ${c.hereName!}`
      : c.status === 'here' && !c.linked
        ? `here as ${c.hereName!}${c.departmentName ? ` in ${c.departmentName}` : ''}; importing links it`
        : c.status === 'new' && kind === 'group' && c.departmentName
          ? `goes in ${c.departmentName}`
          : c.status === 'here' && c.departmentName ? `in ${c.departmentName}` : null
    return {
      hostId: c.hostId,
      name: c.name,
      status: c.status,
      statusLabel: statusLabels[c.status],
      note,
      members: c.members.length,
      // New ones are ticked until the administrator says otherwise.
      checked: ticked ? ticked.includes(c.hostId) : c.status === 'new',
      fieldId: `${targets.adminImportForm()}-${kind}-${c.hostId.replace(/[^A-Za-z0-9_-]/g, '_')}`
    }
  }

  return {
    /** `state`: a refused form, as ticked; `result`: what the import just did. */
    async section (state?: ImportFormState, result?: ImportResult): Promise<ImportModel> {
      const model: ImportModel = {
        formId: targets.adminImportForm(),
        action: `${base}/admin/departments/import`,
        nothing: null,
        departments: [],
        groups: [],
        departmentChoice: false,
        departmentOptions: [],
        members: state ? state.values.members === true : true,
        errors: state?.errors ?? {},
        result: result ? resultModel(result) : null
      }
      const preview = await imports.preview()
      if (!preview) return { ...model, nothing: imports.available ? importMessages.empty : importMessages.noDirectory }
      model.departments = preview.departments.map((c) => row('department', c, state?.values.department))
      model.groups = preview.groups.map((c) => row('group', c, state?.values.group))
      // A new group goes in its desk department's department here; one with none known needs the choice.
      model.departmentChoice = preview.groups.some((g) => g.status === 'new' && g.departmentName === null) || state?.errors.group_department !== undefined
      const chosen = state?.values.group_department ?? ''
      model.departmentOptions = (await routing.departments()).map((d) => ({ id: d.id, name: d.name, selected: String(d.id) === chosen }))
      return model
    }
  }
}
