import type { FastifyError, FastifyInstance } from 'fastify'
import { isUnavailable } from '../db/index.ts'
import { isCoded, LC_ERR_CSRF, LC_ERR_RATE_LIMITED, LC_ERR_UNAVAILABLE } from '../errors.ts'
import { describeAjvError } from '../validation.ts'
import { answer, notice } from './answers.ts'
import { render } from './views.ts'

const messages = {
  internal: 'Something went wrong on our side; try again in a moment',
  notFound: 'There is no live chat page here; check the address'
}

/**
 * One error handler for our scope (docs/design.md §8). htmx requests get the notice swapped into
 * the page's notice area; browsers get an error page; API clients get JSON. 5xx details
 * are logged, never shown.
 */
export function installErrorHandler (fastify: FastifyInstance, base: string): void {
  function send (request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply, status: number, code: string, message: string) {
    const wantsJson = !request.headers['hx-request'] && /application\/json/.test(String(request.headers.accept ?? ''))
    if (wantsJson) return reply.code(status).send({ code, message })
    if (request.headers['hx-request']) return answer(reply, [notice('error', message, code)], status)
    // What the route's scope gave every page (the widget sites a customer's page names, say) goes on its error page too.
    const locals = (reply as { locals?: Record<string, unknown> | null }).locals ?? {}
    return reply.code(status).type('text/html; charset=utf-8').send(render('common/error-page', { ...locals, base, status, code, message }))
  }

  fastify.setErrorHandler((err: FastifyError, request, reply) => {
    let status = err.statusCode ?? 500
    let code = err.code ?? 'LC_ERR_INTERNAL'
    let message = err.message
    if (err.validation) {
      status = 400
      code = 'LC_ERR_VALIDATION'
      message = describeAjvError(err.validation[0] as never, err.validationContext ?? 'request')
    } else if (code === 'FST_CSRF_INVALID_TOKEN' || code === 'FST_CSRF_MISSING_SECRET') {
      const e = new LC_ERR_CSRF()
      status = e.statusCode!
      code = e.code
      message = e.message
    } else if (!isCoded(err) && status < 500 && status !== 429) {
      code = 'LC_ERR_REQUEST'
    }
    if (!isCoded(err) && isUnavailable(err)) {
      // The database is away: not a fault in the request, nor a bug. Said so, with when to
      // come back, and logged without a stack (an outage would print thousands).
      const e = new LC_ERR_UNAVAILABLE()
      request.log.warn({ code: e.code, reason: (err as Error).message }, 'live chat database unavailable')
      void reply.header('retry-after', '5')
      return send(request, reply, e.statusCode!, e.code, e.message)
    }
    if (status >= 500) {
      request.log.error({ err, request: { method: request.method, url: request.url, params: request.params } }, 'live chat request failed')
      code = 'LC_ERR_INTERNAL'
      message = messages.internal
    } else {
      request.log.info({ code, status }, message)
    }
    return send(request, reply, status, code, message)
  })

  fastify.setNotFoundHandler((request, reply) => send(request, reply, 404, 'LC_ERR_NOT_FOUND', messages.notFound))
}

/** What @fastify/rate-limit answers with: our coded error, so it renders like every other. */
export function rateLimitError (what: string) {
  return () => new LC_ERR_RATE_LIMITED(what)
}
