import type { FastifyPluginAsync } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import { isCoded } from '../errors.ts'
import type { Access } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { answer, clearNotice, notice } from '../web/answers.ts'
import { type CommentBody, commentBody, commentParams, resolutionBody, type ResolutionBody } from './schemas.ts'
import type { CommentService } from './service.ts'
import type { CommentViews } from './view-models.ts'

/** What the Comments tab's endpoints use. */
export interface CommentRoutesDeps {
  access: Pick<Access, 'agent'>
  comments: Pick<CommentService, 'add' | 'edit' | 'forEdit' | 'setResolution' | 'remove'>
  commentViews: CommentViews
}

type ChatRoute = { Params: { id: number } }
type CommentRoute = { Params: { id: number, commentId: number } }
/** Refusals a person fixes in the form itself: it comes back with their text and the reason. */
const formErrors = new Set(['LC_ERR_COMMENT_EMPTY', 'LC_ERR_COMMENT_TOO_LONG'])

/** A chat's Comments tab (docs/features.md#comments): agents only, never the customer. */
export const commentRoutes: FastifyPluginAsync<CommentRoutesDeps> = async (fastify, { access, comments, commentViews }) => {
  fastify.get<ChatRoute>('/console/chats/:id/tabs/comments', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    return await answer(reply, [await commentViews.tab(request.params.id, await agent.scope())])
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
      if (isCoded(err) && formErrors.has(err.code)) return await answer(reply, [commentViews.form(chatId, { ...input, error: err.message })], 422)
      throw err
    }
    return await answer(reply, [commentViews.form(chatId), await commentViews.list(chatId, scope), clearNotice()])
  })

  fastify.get<CommentRoute>('/console/chats/:id/comments/:commentId/edit', { schema: { params: commentParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const { id: chatId, commentId } = request.params
    const comment = await comments.forEdit(chatId, commentId, await agent.scope())
    return await answer(reply, [commentViews.form(chatId, { commentId, body: comment.body, resolution: comment.isResolution }), clearNotice()])
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
      if (isCoded(err) && formErrors.has(err.code)) return await answer(reply, [commentViews.form(chatId, { ...input, commentId, error: err.message })], 422)
      throw err
    }
    return await answer(reply, [commentViews.form(chatId), await commentViews.list(chatId, scope), clearNotice()])
  })

  fastify.post<CommentRoute & { Body: ResolutionBody }>('/console/chats/:id/comments/:commentId/resolution', {
    schema: { params: commentParams, body: resolutionBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const { id: chatId, commentId } = request.params
    await comments.setResolution(chatId, commentId, scope, request.body.mark === 'on')
    return await answer(reply, [await commentViews.list(chatId, scope), clearNotice()])
  })

  fastify.post<CommentRoute>('/console/chats/:id/comments/:commentId/delete', {
    schema: { params: commentParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const { id: chatId, commentId } = request.params
    await comments.remove(chatId, commentId, scope)
    return await answer(reply, [await commentViews.list(chatId, scope), notice('info', 'Comment deleted')])
  })
}
