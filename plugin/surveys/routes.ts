import type { FastifyPluginAsync } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import { customerCookie } from '../chats/rules.ts'
import type { RouteDeps } from '../deps.ts'
import { isCoded } from '../errors.ts'
import { envelope, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { type SurveyBody, surveyBody } from './schemas.ts'

type ChatRoute = { Params: { id: number } }
const html = 'text/html; charset=utf-8'
const noticeCleared = fragment(targets.notice(), 'innerHTML', '')

/** The post-chat survey: the customer sends it from their chat window, agents read it in the Survey tab. */
export const surveyRoutes: FastifyPluginAsync<RouteDeps> = async (fastify, deps) => {
  const { access, chats, views } = deps
  const { service: surveys, views: surveyViews } = deps.surveys

  fastify.post<ChatRoute & { Body: SurveyBody }>('/chat/:id/survey', {
    schema: { params: chatParams, body: surveyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const chatId = request.params.id
    const token = request.cookies[customerCookie(chatId)]
    const user = await access.user(request)
    const draft = { rating: request.body?.rating, comment: request.body?.comment }
    let survey
    try {
      survey = await surveys.submit(chatId, token, user, draft)
    } catch (err) {
      // Fixed in the form itself: it comes back with the choice, the text and the reason beside its field.
      if (isCoded(err) && (err.code === 'LC_ERR_SURVEY_RATING' || err.code === 'LC_ERR_SURVEY_COMMENT_TOO_LONG')) {
        const chat = await chats.chatForCustomer(chatId, token, user)
        const errors = err.code === 'LC_ERR_SURVEY_RATING' ? { rating: err.message } : { comment: err.message }
        return reply.code(422).type(html).send(envelope([surveyViews.customerFragment(chat, undefined, { ...draft, errors })]))
      }
      throw err
    }
    const chat = await chats.chatForCustomer(chatId, token, user)
    return reply.type(html).send(envelope([surveyViews.customerFragment(chat, survey), noticeCleared]))
  })

  fastify.get<ChatRoute>('/console/chats/:id/tabs/survey', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const tab = await surveyViews.tab(request.params.id, await agent.scope())
    return reply.type(html).send(envelope([fragment(targets.tabPanel(tab.chatId), 'innerHTML', views.render('surveys/tab', tab))]))
  })
}
