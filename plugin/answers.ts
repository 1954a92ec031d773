import type { FastifyReply } from 'fastify'
import { envelope, type Fragment, fragment } from './realtime/fragments.ts'
import { targets } from './realtime/targets.ts'
import type { Views } from './views.ts'

export type Answers = ReturnType<typeof createAnswers>

/** The pieces every htmx answer is made of: a line in the notice area, and the envelope sent with a status. */
export function createAnswers (views: Views) {
  return {
    /** A success line in the notice area. */
    ok: (message: string): Fragment => fragment(targets.notice(), 'innerHTML', views.render('common/notice', { level: 'ok', code: 'LC_OK', message })),
    /** Empties the notice area: an earlier refusal no longer applies. */
    clearNotice: (): Fragment => fragment(targets.notice(), 'innerHTML', ''),
    async send (reply: FastifyReply, status: number, parts: Fragment[]): Promise<FastifyReply> {
      return await reply.code(status).type('text/html; charset=utf-8').send(envelope(parts))
    }
  }
}
