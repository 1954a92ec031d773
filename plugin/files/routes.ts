import { createReadStream } from 'node:fs'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { type BlocklistService, refuseBlocked } from '../blocklist/service.ts'
import type { ChatService } from '../chats/service.ts'
import { chatParams } from '../chats/schemas.ts'
import type { Actor, Chat } from '../chats/types.ts'
import { customerCookie } from '../chats/rules.ts'
import { rateLimitError } from '../web/error-handler.ts'
import { isCoded, LC_ERR_FILE_MISSING, LC_ERR_FILE_NOT_FOUND, LC_ERR_UPLOAD_MALFORMED } from '../errors.ts'
import type { Access } from '../security/access.ts'
import type { Settings } from '../settings.ts'
import { answer, clearNotice } from '../web/answers.ts'
import { type FileParams, fileParams, uploadLimits } from './schemas.ts'
import { type FileService, imageTypes } from './service.ts'
import type { FileViews } from './view-models.ts'

/** What Send file, the download and the Attachments tab use. */
export interface FileRoutesDeps {
  access: Pick<Access, 'user' | 'agent'>
  chats: Pick<ChatService, 'chatForCustomer' | 'chatForAgent'>
  files: Pick<FileService, 'maxFileBytes' | 'upload' | 'open'>
  fileViews: FileViews
  /** Sending a file counts against the same per-address limit as messages. */
  settings: Pick<Settings, 'messagesPerMinute'>
  /** A customer on the block list sends no file (docs/features.md#block-list); agents are never refused. */
  blocklist: Pick<BlocklistService, 'refuse'>
}

type ChatRoute = { Params: { id: number } }
/** Refusals the sender fixes by picking another file: shown beside Send file, the draft untouched. */
const fileErrors = new Set(['LC_ERR_FILE_MISSING', 'LC_ERR_FILE_EMPTY', 'LC_ERR_FILE_TOO_LARGE', 'LC_ERR_FILE_TYPE', 'LC_ERR_FILE_MISMATCH', 'LC_ERR_UPLOAD_MALFORMED'])

/**
 * Whether an upload failed because its body could not be parsed: the file stream broke with
 * the parser's error. A disk failure also breaks it (the pipeline destroys every stream), but
 * with a system error, which stays a fault of ours.
 */
function unreadable (streamError: Error | null, err: unknown): boolean {
  return streamError !== null && !isCoded(err) && (streamError as NodeJS.ErrnoException).syscall === undefined
}

/** RFC 6266/5987: a plain ASCII fallback and the exact UTF-8 name. */
function disposition (kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_')
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${exact}`
}

/** Send file from either side's composer, the download both sides share, and the agent's Attachments tab. */
export const fileRoutes: FastifyPluginAsync<FileRoutesDeps> = async (fastify, { access, chats, files, fileViews, settings, blocklist }) => {
  const limited = { rateLimit: { max: async () => settings.messagesPerMinute, timeWindow: '1 minute', errorResponseBuilder: rateLimitError('files sent from this address') } }

  async function customerChat (request: FastifyRequest, chatId: number): Promise<Chat> {
    const user = await access.user(request, 'portal')
    return await chats.chatForCustomer(chatId, request.cookies[customerCookie(chatId)], user)
  }

  /** Reads the one file part and hands it to the service; a refusal comes back beside the button. */
  async function upload (request: FastifyRequest, reply: FastifyReply, chat: Chat, author: Actor): Promise<FastifyReply> {
    try {
      if (!request.isMultipart()) throw new LC_ERR_FILE_MISSING()
      // A body the multipart parser cannot read (no boundary, cut off mid-part) is the
      // sender's to fix, not a fault of ours: 400, nothing stored (the service removes a
      // partly written file when its stream fails).
      const part = await request.file({ limits: uploadLimits(files.maxFileBytes), throwFileSizeLimit: false })
        .catch((err: unknown) => { throw isCoded(err) ? err : new LC_ERR_UPLOAD_MALFORMED() })
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
      }).catch((err: unknown) => { throw unreadable(part.file.errored, err) ? new LC_ERR_UPLOAD_MALFORMED() : err })
    } catch (err) {
      if (isCoded(err) && fileErrors.has(err.code)) return await answer(reply, [fileViews.refused(chat.id, { code: err.code, message: err.message })], err.statusCode ?? 422)
      throw err
    }
    // The message itself arrives over the socket, on both sides, in its place in the chat.
    return await answer(reply, [fileViews.sent(chat.id), clearNotice()])
  }

  fastify.post<ChatRoute>('/chat/:id/files', {
    schema: { params: chatParams },
    preValidation: fastify.csrfProtection,
    onRequest: refuseBlocked(blocklist),
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
    return await answer(reply, [await fileViews.tab(chat.id)])
  })
}
