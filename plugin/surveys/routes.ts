import type { FastifyPluginAsync } from 'fastify'
import type { ChatService } from '../chats/service.ts'
import { chatParams } from '../chats/schemas.ts'
import { customerCookie } from '../chats/rules.ts'
import { isCoded } from '../errors.ts'
import type { Access } from '../security/access.ts'
import { answer, clearNotice } from '../web/answers.ts'
import { type SurveyBody, surveyBody } from './schemas.ts'
import type { SurveyService } from './service.ts'
import type { SurveyViews } from './view-models.ts'

/** What the survey's two endpoints use: the customer's form and the agent's tab. */
export interface SurveyRoutesDeps {
  access: Pick<Access, 'user' | 'agent'>
  chats: Pick<ChatService, 'chatForCustomer'>
  surveys: Pick<SurveyService, 'submit'>
  surveyViews: SurveyViews
}

type ChatRoute = { Params: { id: number } }

/** The post-chat survey (docs/features.md#survey): the customer sends it from their chat window, agents read it in the Survey tab. */
export const surveyRoutes: FastifyPluginAsync<SurveyRoutesDeps> = async (fastify, { access, chats, surveys, surveyViews }) => {
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
        return await answer(reply, [surveyViews.customerBlock(chat, undefined, { ...draft, errors })], 422)
      }
      throw err
    }
    const chat = await chats.chatForCustomer(chatId, token, user)
    return await answer(reply, [surveyViews.customerBlock(chat, survey), clearNotice()])
  })

  fastify.get<ChatRoute>('/console/chats/:id/tabs/survey', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    return await answer(reply, [await surveyViews.tab(request.params.id, await agent.scope())])
  })
}
