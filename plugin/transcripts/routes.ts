import type { FastifyPluginAsync } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import { isCoded } from '../errors.ts'
import type { Access } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { answer, notice } from '../web/answers.ts'
import { type PrintQuery, printQuery } from './schemas.ts'
import type { TranscriptService } from './service.ts'
import { mailFailedFragment } from './view-models.ts'

/** What Email Transcript and Print use. */
export interface TranscriptRoutesDeps {
  base: string
  access: Pick<Access, 'agent'>
  transcripts: Pick<TranscriptService, 'email' | 'print'>
}

type ChatRoute = { Params: { id: number } }

/** A chat's transcript from its header's tools (docs/features.md#email-transcript-and-print): Email Transcript (to the customer) and Print. */
export const transcriptRoutes: FastifyPluginAsync<TranscriptRoutesDeps> = async (fastify, { base, access, transcripts }) => {
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
      return await answer(reply, [mailFailedFragment({ code: err.code, message: err.message, retryUrl: url })], err.statusCode ?? 502)
    }
    return await answer(reply, [notice('info', `Emailed the transcript to ${sent.to}`)])
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
