import type { FastifyPluginAsync } from 'fastify'
import type { Access } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { answer, notice, ok } from '../web/answers.ts'
import { type JobParams, jobParams, jobsQuery } from './schemas.ts'
import type { JobService } from './service.ts'
import { describeDuration, jobFragment, jobModel, jobsModel } from './view-models.ts'

/** What the Scheduled jobs page and Run now use. */
export interface JobRoutesDeps {
  base: string
  access: Pick<Access, 'agent'>
  jobs: Pick<JobService, 'owner' | 'overview' | 'runNow'>
  clock: () => number
}

/**
 * The Scheduled jobs page (`livechat.admin`, docs/design.md §7): every job with its
 * schedule, next and last run, outcome and recent runs, and Run now, which runs the job
 * under the same lease as its schedule and answers with the outcome in the notice.
 */
export const jobRoutes: FastifyPluginAsync<JobRoutesDeps> = async (fastify, { base, access, jobs, clock }) => {
  fastify.get('/admin/jobs', { schema: { querystring: jobsQuery } }, async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    return reply.lcView('jobs/jobs.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      user: admin.user,
      instance: jobs.owner,
      list: jobsModel(base, await jobs.overview(), clock())
    })
  })

  fastify.post<{ Params: JobParams }>('/admin/jobs/:id/run', {
    schema: { params: jobParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    const outcome = await jobs.runNow(request.params.id, admin.by)
    const job = (await jobs.overview()).find((j) => j.id === outcome.job)!
    const card = jobFragment(jobModel(base, job, clock()))
    if (!outcome.finished) return await answer(reply, [card, ok(`${job.id} is still running; its outcome will show on this page when it finishes`)], 202)
    const { run } = outcome
    const took = describeDuration(run.finishedAt - run.startedAt)
    const what = run.summary ?? `${run.rows ?? 0} rows`
    if (run.error) {
      return await answer(reply, [card, notice('warning', `${job.id} ran in ${took} with an error: ${run.error}${run.summary ? ` (${run.summary})` : ''}`, 'LC_WARN_JOB_RUN')])
    }
    return await answer(reply, [card, ok(`${job.id} ran in ${took}: ${what}`)])
  })
}
