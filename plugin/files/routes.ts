import { createReadStream } from 'node:fs'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import type { Actor, Chat } from '../chats/types.ts'
import { customerCookie } from '../chats/rules.ts'
import type { RouteDeps } from '../deps.ts'
import { rateLimitError } from '../web/error-handler.ts'
import { isCoded, LC_ERR_FILE_MISSING, LC_ERR_FILE_NOT_FOUND } from '../errors.ts'
import { envelope, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { type FileParams, fileParams, uploadLimits } from './schemas.ts'
import { imageTypes } from './service.ts'
import { attachmentsTab, uploadStatus } from './view-models.ts'

type ChatRoute = { Params: { id: number } }
const html = 'text/html; charset=utf-8'
/** Refusals the sender fixes by picking another file: shown beside Send file, the draft untouched. */
const fileErrors = new Set(['LC_ERR_FILE_MISSING', 'LC_ERR_FILE_EMPTY', 'LC_ERR_FILE_TOO_LARGE', 'LC_ERR_FILE_TYPE'])

/** RFC 6266/5987: a plain ASCII fallback and the exact UTF-8 name. */
function disposition (kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_')
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${exact}`
}

/** Send file from either side's composer, the download both sides share, and the agent's Attachments tab. */
export const fileRoutes: FastifyPluginAsync<RouteDeps> = async (fastify, deps) => {
  const { base, chats, access, views, files, settings } = deps
  const limited = { rateLimit: { max: settings.messagesPerMinute, timeWindow: '1 minute', errorResponseBuilder: rateLimitError('files sent from this address') } }

  async function customerChat (request: FastifyRequest, chatId: number): Promise<Chat> {
    const user = await access.user(request)
    return await chats.chatForCustomer(chatId, request.cookies[customerCookie(chatId)], user)
  }

  /** Reads the one file part and hands it to the service; a refusal comes back beside the button. */
  async function upload (request: FastifyRequest, reply: FastifyReply, chat: Chat, author: Actor) {
    const status = (html: string) => fragment(targets.fileStatus(chat.id), 'innerHTML', html)
    try {
      if (!request.isMultipart()) throw new LC_ERR_FILE_MISSING()
      const part = await request.file({ limits: uploadLimits(files.maxFileBytes), throwFileSizeLimit: false })
      if (!part || part.fieldname !== 'file') {
        part?.file.resume()
        throw new LC_ERR_FILE_MISSING()
      }
      const length = Number(request.headers['content-length'])
      await files.upload(chat, author, {
        name: part.filename,
        stream: part.file,
        truncated: () => part.file.truncated,
        sentBytes: Number.isFinite(length) ? length : undefined
      })
    } catch (err) {
      if (isCoded(err) && fileErrors.has(err.code)) {
        return reply.code(err.statusCode ?? 422).type(html).send(envelope([
          status(views.render('files/status', uploadStatus({ code: err.code, message: err.message })))
        ]))
      }
      throw err
    }
    // The message itself arrives over the socket, on both sides, in its place in the chat.
    return reply.type(html).send(envelope([status(''), fragment(targets.notice(), 'innerHTML', '')]))
  }

  fastify.post<ChatRoute>('/chat/:id/files', {
    schema: { params: chatParams },
    preValidation: fastify.csrfProtection,
    config: limited
  }, async (request, reply) => {
    const chat = await customerChat(request, request.params.id)
    return await upload(request, reply, chat, { kind: 'customer', id: chat.customerUserId, name: chat.customerName })
  })

  fastify.post<ChatRoute>('/console/chats/:id/files', {
    schema: { params: chatParams },
    preValidation: fastify.csrfProtection,
    config: limited
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const chat = await chats.chatForAgent(request.params.id, await agent.scope())
    return await upload(request, reply, chat, { kind: 'agent', id: agent.user.id, name: agent.user.name })
  })

  /**
   * One address for both sides, so one message partial serves both: the chat's customer
   * (by the chat's cookie or their portal session) or an agent who may see the chat.
   * Anyone else gets the same 404 as for a file that does not exist.
   */
  fastify.get<{ Params: FileParams }>('/chats/:id/files/:fileId', { schema: { params: fileParams } }, async (request, reply) => {
    const { id, fileId } = request.params
    let chat: Chat | undefined
    try {
      chat = await customerChat(request, id)
    } catch (err) {
      if (!isCoded(err) || err.code !== 'LC_ERR_CHAT_NOT_FOUND') throw err
    }
    if (!chat) {
      try {
        const agent = await access.agent(request)
        chat = await chats.chatForAgent(id, await agent.scope())
      } catch (err) {
        if (isCoded(err) && ['LC_ERR_UNAUTHENTICATED', 'LC_ERR_FORBIDDEN', 'LC_ERR_CHAT_NOT_FOUND'].includes(err.code)) throw new LC_ERR_FILE_NOT_FOUND()
        throw err
      }
    }
    const { file, path } = await files.open(chat.id, fileId)
    const image = imageTypes.has(file.type)
    return reply
      .type(file.type === 'text/plain' ? 'text/plain; charset=utf-8' : file.type)
      .header('content-length', file.size)
      .header('content-disposition', disposition(image ? 'inline' : 'attachment', file.name))
      .header('x-content-type-options', 'nosniff')
      // Even opened on its own, nothing in it may run, load or be framed.
      .header('content-security-policy', "default-src 'none'; frame-ancestors 'none'; sandbox")
      .header('cache-control', 'private, no-cache')
      .header('etag', `"${file.sha256}"`)
      .send(createReadStream(path))
  })

  fastify.get<ChatRoute>('/console/chats/:id/tabs/attachments', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const chat = await chats.chatForAgent(request.params.id, await agent.scope())
    return reply.type(html).send(envelope([
      fragment(targets.tabPanel(chat.id), 'innerHTML', views.render('files/tab', attachmentsTab(base, chat.id, await files.list(chat.id))))
    ]))
  })
}
