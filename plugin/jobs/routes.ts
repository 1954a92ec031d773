import type { FastifyPluginAsync } from 'fastify'
import type { RouteDeps } from '../deps.ts'
import { fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { type JobParams, jobParams, jobsQuery } from './schemas.ts'
import type { JobService } from './service.ts'
import { describeDuration, jobModel, jobsModel } from './view-models.ts'

/** The route deps plus the scheduled jobs. */
export type JobRouteDeps = RouteDeps & { jobs: JobService, clock: () => number }

/**
 * The Scheduled jobs page (`livechat.admin`, DESIGN §7): every job with its schedule, next
 * and last run, outcome and recent runs, and Run now, which runs the job under the same
 * lease as its schedule and answers with the outcome in the notice.
 */
export const jobRoutes: FastifyPluginAsync<JobRouteDeps> = async (fastify, deps) => {
  const { base, access, views, jobs, clock, answers } = deps

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
    const outcome = await jobs.runNow(request.params.id, admin.user.name)
    const job = (await jobs.overview()).find((j) => j.id === outcome.job)!
    const card = fragment(targets.adminJob(job.id), 'outerHTML', views.render('jobs/job', jobModel(base, job, clock())))
    if (!outcome.finished) {
      return await answers.send(reply, 202, [card, answers.ok(`${job.id} is still running; its outcome will show on this page when it finishes`)])
    }
    const { run } = outcome
    const took = describeDuration(run.finishedAt - run.startedAt)
    const what = run.summary ?? `${run.rows ?? 0} rows`
    if (run.error) {
      const notice = fragment(targets.notice(), 'innerHTML', views.render('common/notice', { level: 'warn', code: 'LC_WARN_JOB_RUN', message: `${job.id} ran in ${took} with an error: ${run.error}${run.summary ? ` (${run.summary})` : ''}` }))
      return await answers.send(reply, 200, [card, notice])
    }
    return await answers.send(reply, 200, [card, answers.ok(`${job.id} ran in ${took}: ${what}`)])
  })
}
