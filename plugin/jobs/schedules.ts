import { validateDetailed } from 'node-cron'
import { LC_ERR_JOB_SCHEDULE_INVALID, LC_ERR_JOB_UNKNOWN } from '../errors.ts'
import type { Manifest } from '../manifest.ts'

/** A job's schedule as it will run: the cron expression and where it came from. */
export interface JobSchedule {
  id: string
  description: string
  cron: string
  /** `settings` when the host's jobSchedules setting overrides the manifest's cron. */
  source: 'manifest' | 'settings'
}

/**
 * Why node-cron refuses an expression, in its own words per field ("minute: 60 is a invalid
 * expression for minute"); null when it accepts it.
 */
export function cronProblem (expression: string): string | null {
  const checked = validateDetailed(expression)
  if (checked.valid) return null
  const reasons = checked.errors.map((e) => e.field === 'expression' ? e.message : `${e.field}: ${e.message}`)
  return reasons.length > 0 ? reasons.join('; ') : 'node-cron does not accept it'
}

/**
 * Every job's schedule: the manifest's cron, or the jobSchedules setting's for that job.
 * Refuses at load, with a coded error naming the job and the expression, a cron expression
 * node-cron does not accept (from either place) and a setting naming a job that does not exist,
 * so a typo never leaves a job silently unscheduled.
 */
export function resolveSchedules (manifest: Manifest, overrides: Record<string, string> = {}): JobSchedule[] {
  const known = manifest.jobs.map((j) => j.id)
  for (const id of Object.keys(overrides)) {
    if (!known.includes(id)) throw new LC_ERR_JOB_UNKNOWN(id, known.join(', '))
  }
  return manifest.jobs.map((job) => {
    const fromSettings = Object.hasOwn(overrides, job.id)
    const cron = fromSettings ? overrides[job.id]! : job.schedule
    const problem = cronProblem(cron)
    if (problem) throw new LC_ERR_JOB_SCHEDULE_INVALID(job.id, `"${cron}" (${fromSettings ? 'the jobSchedules setting' : 'manifest.json\'s jobs section'})`, problem)
    return { id: job.id, description: job.description, cron, source: fromSettings ? 'settings' : 'manifest' }
  })
}

/** What is wrong with `overrides` as the jobSchedules setting (a cron node-cron refuses, an unknown job), in a sentence; null when nothing. */
export function schedulesProblem (manifest: Manifest, overrides: Record<string, string>): string | null {
  try {
    resolveSchedules(manifest, overrides)
    return null
  } catch (err) {
    return (err as Error).message
  }
}
