import { targets } from '../realtime/targets.ts'
import { bind } from '../web/fragments.ts'
import { itemLabel } from './item-failures.ts'
import type { JobOverview } from './service.ts'
import type { JobRun } from './store.ts'

/** A moment as the page shows it: UTC to the second, in a <time> the browser may localise. */
export interface Moment { iso: string, text: string }

const moment = (ms: number): Moment => {
  const iso = new Date(ms).toISOString()
  return { iso, text: `${iso.slice(0, 19).replace('T', ' ')} UTC` }
}

/** "0.4 s", "12 s", "3 min 5 s", "2 h 10 min". */
export function describeDuration (ms: number): string {
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)} s`
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  return `${Math.floor(s / 3600)} h ${Math.floor(s % 3600 / 60)} min`
}

/** How a run ended: ok, with an error, still going, or never finished (its instance stopped mid-run). */
export type Outcome = 'ok' | 'error' | 'running' | 'interrupted'

const outcomeLabels: Record<Outcome, string> = { ok: 'OK', error: 'Error', running: 'Running', interrupted: 'Did not finish' }

function runModel (run: JobRun, job: JobOverview, now: number) {
  const live = run.finishedAt === null && job.running !== null && job.running.owner === run.owner && run === job.runs.find((r) => r.finishedAt === null)
  const outcome: Outcome = run.finishedAt === null ? (live ? 'running' : 'interrupted') : run.error ? 'error' : 'ok'
  return {
    id: run.id,
    started: moment(run.startedAt),
    duration: run.finishedAt === null ? (live ? `${describeDuration(now - run.startedAt)} so far` : '—') : describeDuration(run.finishedAt - run.startedAt),
    trigger: run.trigger === 'manual' ? `Run now${run.startedBy ? ` by ${run.startedBy}` : ''}` : 'Schedule',
    owner: run.owner,
    rows: run.rows,
    summary: run.summary,
    error: run.error ?? (outcome === 'interrupted' ? `${run.owner} stopped before the run finished; its lease expired and the next run picks up what is left` : null),
    outcome,
    outcomeLabel: outcomeLabels[outcome]
  }
}

/** views/jobs/job.hbs: one job's card, re-rendered after Run now. */
export type JobModel = ReturnType<typeof jobModel>

export const jobFragment = bind('jobs/job', 'outerHTML', (m: JobModel) => targets.adminJob(m.id))

/** The jobs/job partial's model: one job's card. */
export function jobModel (base: string, job: JobOverview, now: number) {
  const runs = job.runs.map((r) => runModel(r, job, now))
  return {
    id: job.id,
    rowId: targets.adminJob(job.id),
    description: job.description,
    cron: job.cron,
    fromSettings: job.source === 'settings',
    implemented: job.implemented,
    nextRun: job.nextRun === null ? null : moment(job.nextRun),
    running: job.running ? { owner: job.running.owner, since: job.running.since === null ? null : moment(job.running.since) } : null,
    last: runs[0] ?? null,
    earlier: runs.slice(1),
    // docs/features.md#failing-items: the chats (and the purge's IM conversations) the job skips until their retry.
    failures: job.failures.map((f) => ({
      item: f.item,
      label: itemLabel(f.item),
      error: f.error,
      attempts: f.attempts,
      firstFailed: moment(f.firstFailedAt),
      nextAttempt: moment(f.nextAttemptAt),
      due: f.nextAttemptAt <= now
    })),
    runUrl: `${base}/admin/jobs/${job.id}/run`
  }
}

/** The jobs/list partial: every job, in the manifest's order. */
export function jobsModel (base: string, jobs: JobOverview[], now: number) {
  return { jobs: jobs.map((j) => jobModel(base, j, now)) }
}
