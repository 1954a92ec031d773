import type { Knex } from 'knex'
import { LC_ERR_DEPARTMENT_NOT_FOUND, LC_ERR_FORM_INVALID } from '../errors.ts'
import { canonicalTimeZone, hoursState, type HoursState, type Schedule, scheduleProblem } from './hours.ts'
import * as store from './hours-store.ts'
import { getDepartment } from './store.ts'
import type { StoredSchedule } from './hours-store.ts'

export type { StoredSchedule } from './hours-store.ts'
export type { HoursState, Schedule } from './hours.ts'

export interface HoursServiceDeps {
  db: Knex
  /** The plugin's clock: tests set the time, so opening and closing are tested at any hour. */
  clock?: () => number
}

/**
 * Business hours per department (docs/features.md#business-hours). A department without a
 * schedule is always open. Closing ends nothing: chats already queued or active are served;
 * only new chats are refused (customer's startChat asks `state`).
 */
export interface HoursService {
  /** The department's schedule, or undefined when it has none (always open). */
  schedule (departmentId: number): Promise<StoredSchedule | undefined>
  /** Every schedule, by department id. */
  schedules (): Promise<Map<number, StoredSchedule>>
  /** Whether the department is open now (or at `at`), and when closed, why and when it opens next. */
  state (departmentId: number, at?: number): Promise<HoursState>
  /** Each schedule's state now, by department id; departments without one are not in it (always open). */
  states (at?: number): Promise<Map<number, HoursState>>
  /**
   * Replaces the department's schedule, or removes it with null. Throws LC_ERR_DEPARTMENT_NOT_FOUND,
   * and LC_ERR_FORM_INVALID for a schedule the form should have refused.
   */
  setSchedule (departmentId: number, schedule: Schedule | null, by: string | null): Promise<void>
}

export function createHoursService ({ db, clock = Date.now }: HoursServiceDeps): HoursService {
  async function schedules (): Promise<Map<number, StoredSchedule>> {
    return new Map((await store.schedules(db)).map((s) => [s.departmentId, s]))
  }

  return {
    schedule: async (departmentId) => await store.scheduleOf(db, departmentId),
    schedules,

    async state (departmentId, at = clock()) {
      const schedule = await store.scheduleOf(db, departmentId)
      return schedule ? hoursState(schedule, at) : { open: true }
    },

    async states (at = clock()) {
      return new Map([...(await schedules())].map(([id, s]) => [id, hoursState(s, at)]))
    },

    async setSchedule (departmentId, schedule, by) {
      if (!await getDepartment(db, departmentId)) throw new LC_ERR_DEPARTMENT_NOT_FOUND(String(departmentId))
      if (schedule === null) {
        await store.deleteSchedule(db, departmentId)
        return
      }
      const problem = scheduleProblem(schedule)
      if (problem) throw new LC_ERR_FORM_INVALID(problem)
      await store.putSchedule(db, departmentId, { ...schedule, timeZone: canonicalTimeZone(schedule.timeZone)! }, clock(), by)
    }
  }
}
