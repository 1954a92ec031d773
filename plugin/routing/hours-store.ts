import type { Knex } from 'knex'
import { toMs } from '../db/index.ts'
import type { Holiday, Period, Schedule } from './hours.ts'

type Db = Knex | Knex.Transaction

export interface LcDepartmentHoursRow {
  department_id: number
  time_zone: string
  periods: string
  holidays: string
  closed_message: string | null
  updated_at: number | string
  updated_by: string | null
}

/** A department's schedule as stored, with who saved it last. */
export interface StoredSchedule extends Schedule {
  departmentId: number
  updatedAt: number
  updatedBy: string | null
}

function toSchedule (row: LcDepartmentHoursRow): StoredSchedule {
  return {
    departmentId: Number(row.department_id),
    timeZone: row.time_zone,
    periods: JSON.parse(row.periods) as Period[],
    holidays: JSON.parse(row.holidays) as Holiday[],
    closedMessage: row.closed_message,
    updatedAt: toMs(row.updated_at)!,
    updatedBy: row.updated_by
  }
}

export async function scheduleOf (db: Db, departmentId: number): Promise<StoredSchedule | undefined> {
  const row = await db<LcDepartmentHoursRow>('lc_department_hours').where({ department_id: departmentId }).first()
  return row ? toSchedule(row) : undefined
}

export async function schedules (db: Db): Promise<StoredSchedule[]> {
  return (await db<LcDepartmentHoursRow>('lc_department_hours').select('*')).map(toSchedule)
}

/** Replaces the department's schedule whole (inserts the first one). */
export async function putSchedule (db: Db, departmentId: number, schedule: Schedule, at: number, by: string | null): Promise<void> {
  const row = {
    department_id: departmentId,
    time_zone: schedule.timeZone,
    periods: JSON.stringify(schedule.periods.map(({ day, opens, closes }) => ({ day, opens, closes }))),
    holidays: JSON.stringify(schedule.holidays.map(({ date, name }) => ({ date, name }))),
    closed_message: schedule.closedMessage,
    updated_at: at,
    updated_by: by
  }
  await db('lc_department_hours').insert(row).onConflict('department_id').merge()
}

/** Removes the schedule: the department is always open again. Returns whether there was one. */
export async function deleteSchedule (db: Db, departmentId: number): Promise<boolean> {
  return await db('lc_department_hours').where({ department_id: departmentId }).delete() > 0
}
