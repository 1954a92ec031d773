import type { FastifyPluginAsync } from 'fastify'
import type { ChatService } from '../chats/service.ts'
import { chatParams } from '../chats/schemas.ts'
import { customerCookie } from '../chats/rules.ts'
import type { Access } from '../security/access.ts'
import { answer, clearNotice } from '../web/answers.ts'
import { attempt } from '../web/forms.ts'
import { surveyBody, surveyForm, surveyRefusals } from './schemas.ts'
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
  fastify.post<ChatRoute>('/chat/:id/survey', {
    schema: { params: chatParams, body: surveyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const chatId = request.params.id
    const token = request.cookies[customerCookie(chatId)]
    const user = await access.user(request, 'portal')
    const form = surveyForm.read(request.body)
    const survey = await attempt(form, async (input) => await surveys.submit(chatId, token, user, input), surveyRefusals)
    const chat = await chats.chatForCustomer(chatId, token, user)
    // Fixed in the form itself: it comes back with the choice, the text and the reason beside its field.
    if (!survey) return await answer(reply, [surveyViews.customerBlock(chat, undefined, form)], 422)
    return await answer(reply, [surveyViews.customerBlock(chat, survey), clearNotice()])
  })

  fastify.get<ChatRoute>('/console/chats/:id/tabs/survey', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    return await answer(reply, [await surveyViews.tab(request.params.id, await agent.scope())])
  })
}
