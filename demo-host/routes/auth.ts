import type { FastifyPluginAsync } from 'fastify'
import { checkCredentials, createSession, deleteSession, homeFor, safeNext, sessionCookie, sessionTtlMs } from '../auth.ts'
import { messages, renderPage } from '../context.ts'
import type { HostContext } from '../context.ts'

const loginBody = {
  type: 'object',
  required: ['username', 'password'],
  properties: {
    username: { type: 'string', maxLength: 64 },
    password: { type: 'string', maxLength: 1024 },
    next: { type: 'string', maxLength: 500 }
  }
} as const

const loginQuery = {
  type: 'object',
  properties: { next: { type: 'string', maxLength: 500 } }
} as const

interface LoginBody { username: string, password: string, next?: string }

export const authRoutes: FastifyPluginAsync<{ ctx: HostContext }> = async (app, { ctx }) => {
  app.get<{ Querystring: { next?: string } }>('/login', { schema: { querystring: loginQuery } }, async (request, reply) => {
    const next = safeNext(request.query.next)
    if (request.hdUser) return reply.redirect(next ?? homeFor(request.hdUser), 303)
    return renderPage(ctx, request, reply, 'login', { title: 'Sign in', next, username: '' })
  })

  app.post<{ Body: LoginBody }>('/login', { schema: { body: loginBody } }, async (request, reply) => {
    const { username, password } = request.body
    const next = safeNext(request.body.next)
    const user = await checkCredentials(ctx.knex, username, password)
    if (!user) {
      return renderPage(ctx, request, reply, 'login', { title: 'Sign in', next, username, error: messages.wrongCredentials }, 401)
    }
    const token = await createSession(ctx.knex, user.id)
    reply.setCookie(sessionCookie, token, {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: request.protocol === 'https',
      maxAge: sessionTtlMs / 1000
    })
    return reply.redirect(next ?? homeFor(user), 303)
  })

  app.post('/logout', async (request, reply) => {
    await deleteSession(ctx.knex, request.cookies[sessionCookie])
    reply.clearCookie(sessionCookie, { path: '/' })
    return reply.redirect('/login', 303)
  })
}
