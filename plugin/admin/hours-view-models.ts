import { targets } from '../realtime/targets.ts'
import { formatHolidays, formatPeriods, type Holiday, hoursState, timeZones, weekdayNames, weekdays } from '../routing/hours.ts'
import type { HoursService, StoredSchedule } from '../routing/hours-service.ts'
import type { Department, RoutingService } from '../routing/service.ts'
import { bind } from '../web/fragments.ts'
import type { FieldError } from '../web/forms.ts'
import { closedMessageMax, type HoursFormState } from './hours-schemas.ts'

export type HoursViews = ReturnType<typeof createHoursViews>

/** views/admin/hours-department.hbs: one department's business hours, what they mean now, and their form. */
export interface HoursCardModel {
  base: string
  department: Department
  formId: string
  action: string
  removeUrl: string
  hasSchedule: boolean
  open: boolean
  /** "Open now", "Closed for Christmas Day: chat opens …", "Always open: no business hours set". */
  stateText: string
  timeZone: string | null
  week: Array<{ name: string, periods: string }>
  holidays: Holiday[]
  closedMessage: string | null
  /** The form: open after a refusal, so the problems are in sight. */
  editing: boolean
  values: HoursFormState['values']
  errors: HoursFormState['errors']
  days: Array<{ name: string, field: string, value: string, error: FieldError | undefined }>
  closedMessageMax: number
}

/** views/admin/hours.page.hbs's list of departments. */
export interface HoursPageModel { base: string, departments: HoursCardModel[], timeZones: string[] }

export const hoursCardFragment = bind('admin/hours-department', 'outerHTML', (m: HoursCardModel) => targets.adminHours(m.department.id))

export interface HoursViewsDeps {
  base: string
  routing: Pick<RoutingService, 'departments'>
  hours: Pick<HoursService, 'schedules' | 'schedule'>
  clock?: () => number
}

/** Data for the Business hours page (docs/features.md#business-hours), shared by the page and the answers replacing one card. */
export function createHoursViews ({ base, routing, hours, clock = Date.now }: HoursViewsDeps) {
  function values (schedule: StoredSchedule | undefined): HoursFormState['values'] {
    const out: Record<string, string> = {
      time_zone: schedule?.timeZone ?? 'UTC',
      holidays: schedule ? formatHolidays(schedule.holidays) : '',
      closed_message: schedule?.closedMessage ?? ''
    }
    for (const d of weekdays) out[`day_${d}`] = schedule ? formatPeriods(schedule.periods.filter((p) => p.day === d)) : ''
    return out
  }

  function stateText (schedule: StoredSchedule | undefined, at: number): { open: boolean, text: string } {
    if (!schedule) return { open: true, text: 'Always open: no business hours set' }
    const state = hoursState(schedule, at)
    if (state.open) return { open: true, text: 'Open now' }
    const why = state.holiday ? `Closed for ${state.holiday}` : 'Closed now'
    return { open: false, text: state.opens ? `${why}: chat opens ${state.opens}` : `${why}: no opening within a year` }
  }

  function card (department: Department, schedule: StoredSchedule | undefined, state?: HoursFormState): HoursCardModel {
    const shown = state?.values ?? values(schedule)
    const errors = state?.errors ?? {}
    const now = stateText(schedule, clock())
    const errorOf = (field: string): FieldError | undefined => (errors as Record<string, FieldError | undefined>)[field]
    return {
      base,
      department,
      formId: targets.adminHoursForm(department.id),
      action: `${base}/admin/departments/${department.id}/hours`,
      removeUrl: `${base}/admin/departments/${department.id}/hours/remove`,
      hasSchedule: schedule !== undefined,
      open: now.open,
      stateText: now.text,
      timeZone: schedule?.timeZone ?? null,
      week: weekdays.map((d) => {
        const own = schedule?.periods.filter((p) => p.day === d) ?? []
        const allDay = schedule !== undefined && schedule.periods.length === 0
        return { name: weekdayNames[d], periods: allDay ? 'All day' : own.length > 0 ? formatPeriods(own) : 'Closed' }
      }),
      holidays: schedule?.holidays ?? [],
      closedMessage: schedule?.closedMessage ?? null,
      editing: state !== undefined,
      values: shown,
      errors,
      days: weekdays.map((d) => ({ name: weekdayNames[d], field: `day_${d}`, value: (shown as Record<string, string | undefined>)[`day_${d}`] ?? '', error: errorOf(`day_${d}`) })),
      closedMessageMax
    }
  }

  return {
    /** Every department's card, in the administrator's order. */
    async page (): Promise<HoursPageModel> {
      const [departments, schedules] = await Promise.all([routing.departments(), hours.schedules()])
      return { base, departments: departments.map((d) => card(d, schedules.get(d.id))), timeZones: timeZones() }
    },

    /** One department's card, with the form as posted after a refusal. */
    async card (department: Department, state?: HoursFormState): Promise<HoursCardModel> {
      return card(department, await hours.schedule(department.id), state)
    }
  }
}
