import type { FastifyPluginAsync } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import type { RouteDeps } from '../deps.ts'
import { isCoded } from '../errors.ts'
import { envelope, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { type PrintQuery, printQuery } from './schemas.ts'

type ChatRoute = { Params: { id: number } }
const html = 'text/html; charset=utf-8'

/** A chat's transcript from its header's tools: Email Transcript (to the customer) and Print. */
export const transcriptRoutes: FastifyPluginAsync<RouteDeps> = async (fastify, deps) => {
  const { base, access, views, transcripts } = deps

  fastify.post<ChatRoute>('/console/chats/:id/transcript/email', {
    schema: { params: chatParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const url = `${base}/console/chats/${request.params.id}/transcript/email`
    let sent
    try {
      sent = await transcripts.email(request.params.id, await agent.scope())
    } catch (err) {
      if (!isCoded(err) || err.code !== 'LC_ERR_MAIL_FAILED') throw err
      request.log.error({ err: (err as { cause?: unknown }).cause ?? err, chatId: request.params.id }, 'the help desk failed to send a chat transcript')
      // The notice offers the same request again; nothing was recorded, so a retry is a clean first try.
      return reply.code(err.statusCode ?? 502).type(html).send(envelope([
        fragment(targets.notice(), 'innerHTML', views.render('transcripts/mail-failed', { code: err.code, message: err.message, retryUrl: url }))
      ]))
    }
    return reply.type(html).send(envelope([
      fragment(targets.notice(), 'innerHTML', views.render('common/notice', { level: 'info', message: `Emailed the transcript to ${sent.to}` }))
    ]))
  })

  fastify.get<ChatRoute & { Querystring: PrintQuery }>('/console/chats/:id/print', {
    schema: { params: chatParams, querystring: printQuery }
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const transcript = await transcripts.print(request.params.id, await agent.scope())
    return reply.lcView('transcripts/print.page.hbs', {
      base,
      title: `Chat #${transcript.chatId} transcript`,
      autoPrint: request.query.print === '1',
      backUrl: `${base}/console/chats/${transcript.chatId}`,
      ...transcript
    })
  })
}
