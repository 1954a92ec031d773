import type { FastifyPluginAsync } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import type { RouteDeps } from '../deps.ts'
import { isCoded } from '../errors.ts'
import { envelope, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { type CommentBody, commentBody, commentParams, resolutionBody, type ResolutionBody } from './schemas.ts'

type ChatRoute = { Params: { id: number } }
type CommentRoute = { Params: { id: number, commentId: number } }
const html = 'text/html; charset=utf-8'
const noticeCleared = fragment(targets.notice(), 'innerHTML', '')
/** Refusals a person fixes in the form itself: it comes back with their text and the reason. */
const formErrors = new Set(['LC_ERR_COMMENT_EMPTY', 'LC_ERR_COMMENT_TOO_LONG'])

/** A chat's Comments tab (docs/features.md#comments): agents only, never the customer. */
export const commentRoutes: FastifyPluginAsync<RouteDeps> = async (fastify, deps) => {
  const { access, views } = deps
  const { service: comments, views: commentViews } = deps.comments

  fastify.get<ChatRoute>('/console/chats/:id/tabs/comments', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const tab = await commentViews.tab(request.params.id, await agent.scope())
    return reply.type(html).send(envelope([fragment(targets.tabPanel(request.params.id), 'innerHTML', views.render('comments/tab', tab))]))
  })

  fastify.post<ChatRoute & { Body: CommentBody }>('/console/chats/:id/comments', {
    schema: { params: chatParams, body: commentBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const chatId = request.params.id
    const input = { body: request.body.body, resolution: request.body.resolution === 'on' }
    try {
      await comments.add(chatId, scope, input)
    } catch (err) {
      if (isCoded(err) && formErrors.has(err.code)) {
        return reply.code(422).type(html).send(envelope([commentViews.formFragment(chatId, { ...input, error: err.message })]))
      }
      throw err
    }
    return reply.type(html).send(envelope([commentViews.formFragment(chatId), await commentViews.listFragment(chatId, scope), noticeCleared]))
  })

  fastify.get<CommentRoute>('/console/chats/:id/comments/:commentId/edit', { schema: { params: commentParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const { id: chatId, commentId } = request.params
    const comment = await comments.forEdit(chatId, commentId, await agent.scope())
    return reply.type(html).send(envelope([
      commentViews.formFragment(chatId, { commentId, body: comment.body, resolution: comment.isResolution }),
      noticeCleared
    ]))
  })

  fastify.post<CommentRoute & { Body: CommentBody }>('/console/chats/:id/comments/:commentId', {
    schema: { params: commentParams, body: commentBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const { id: chatId, commentId } = request.params
    const input = { body: request.body.body, resolution: request.body.resolution === 'on' }
    try {
      await comments.edit(chatId, commentId, scope, input)
    } catch (err) {
      if (isCoded(err) && formErrors.has(err.code)) {
        return reply.code(422).type(html).send(envelope([commentViews.formFragment(chatId, { ...input, commentId, error: err.message })]))
      }
      throw err
    }
    return reply.type(html).send(envelope([commentViews.formFragment(chatId), await commentViews.listFragment(chatId, scope), noticeCleared]))
  })

  fastify.post<CommentRoute & { Body: ResolutionBody }>('/console/chats/:id/comments/:commentId/resolution', {
    schema: { params: commentParams, body: resolutionBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const { id: chatId, commentId } = request.params
    await comments.setResolution(chatId, commentId, scope, request.body.mark === 'on')
    return reply.type(html).send(envelope([await commentViews.listFragment(chatId, scope), noticeCleared]))
  })

  fastify.post<CommentRoute>('/console/chats/:id/comments/:commentId/delete', {
    schema: { params: commentParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const { id: chatId, commentId } = request.params
    await comments.remove(chatId, commentId, scope)
    return reply.type(html).send(envelope([
      await commentViews.listFragment(chatId, scope),
      fragment(targets.notice(), 'innerHTML', views.render('common/notice', { level: 'info', message: 'Comment deleted' }))
    ]))
  })
}
