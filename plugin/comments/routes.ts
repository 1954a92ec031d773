import type { FastifyPluginAsync } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import type { Access } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { answer, clearNotice, notice } from '../web/answers.ts'
import { attempt } from '../web/forms.ts'
import { commentBody, commentForm, commentParams, commentRefusals, resolutionBody, type ResolutionBody } from './schemas.ts'
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

/** A chat's Comments tab (docs/features.md#comments): agents only, never the customer. */
export const commentRoutes: FastifyPluginAsync<CommentRoutesDeps> = async (fastify, { access, comments, commentViews }) => {
  fastify.get<ChatRoute>('/console/chats/:id/tabs/comments', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    return await answer(reply, [await commentViews.tab(request.params.id, await agent.scope())])
  })

  // A refused comment comes back in the form with its text and the reason.
  fastify.post<ChatRoute>('/console/chats/:id/comments', {
    schema: { params: chatParams, body: commentBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const chatId = request.params.id
    const form = commentForm.read(request.body)
    const added = await attempt(form, async (input) => await comments.add(chatId, scope, input), commentRefusals)
    if (!added) return await answer(reply, [commentViews.form(chatId, form)], 422)
    return await answer(reply, [commentViews.form(chatId), await commentViews.list(chatId, scope), clearNotice()])
  })

  fastify.get<CommentRoute>('/console/chats/:id/comments/:commentId/edit', { schema: { params: commentParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const { id: chatId, commentId } = request.params
    const comment = await comments.forEdit(chatId, commentId, await agent.scope())
    return await answer(reply, [commentViews.form(chatId, commentForm.state({ body: comment.body, resolution: comment.isResolution }), commentId), clearNotice()])
  })

  fastify.post<CommentRoute>('/console/chats/:id/comments/:commentId', {
    schema: { params: commentParams, body: commentBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const { id: chatId, commentId } = request.params
    const form = commentForm.read(request.body)
    const saved = await attempt(form, async (input) => await comments.edit(chatId, commentId, scope, input), commentRefusals)
    if (!saved) return await answer(reply, [commentViews.form(chatId, form, commentId)], 422)
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
