import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import type { Knex } from 'knex'
import { isAdmin, isStaff, sessionCookie, sessionUser } from './auth.ts'
import type { DeskUser } from './auth.ts'
import { permissionsFor } from './plugins.ts'
import type { InstalledPlugin, NavigationEntry } from './plugins.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in desk user, or null; set by the host scope's first hook. */
    hdUser: DeskUser | null
  }
}

export interface HostContext {
  knex: Knex
  plugins: InstalledPlugin[]
}

export const productName = 'Demo Help Desk'

export const messages = {
  forbidden: 'You do not have access to this page. Sign in with another account, or ask an administrator.',
  notFound: 'There is nothing at this address. It may have been moved or deleted.',
  crossSite: 'This form was sent from another site, so it was refused. Go back, reload the page and try again.',
  serverError: 'Something went wrong on our side. Try again in a moment; if it keeps happening, tell the help desk.',
  badRequest: 'The request was not valid. Go back and check the form.',
  wrongCredentials: 'Wrong username or password'
} as const

interface NavItem {
  label: string
  href: string
  current: boolean
}

/** The plugin navigation entries of one area that are visible now: plugin enabled, permission held. */
export async function pluginEntries (ctx: HostContext, area: string, user: DeskUser | null): Promise<NavigationEntry[]> {
  const entries: NavigationEntry[] = []
  for (const p of ctx.plugins) {
    const own = (p.manifest.navigation ?? []).filter((e) => e.area === area)
    if (own.length === 0 || !await p.switch.isEnabled()) continue
    const granted = permissionsFor(p.manifest, user?.roles ?? [])
    for (const e of own) {
      if (e.permission === undefined || granted.has(e.permission)) entries.push(e)
    }
  }
  return entries
}

async function navFor (ctx: HostContext, user: DeskUser | null, url: string): Promise<NavItem[]> {
  const items: Array<{ label: string, href: string }> = []
  if (isStaff(user)) {
    items.push({ label: 'Desk', href: '/desk' }, { label: 'Tickets', href: '/tickets' }, { label: 'Knowledge base', href: '/kb' })
    for (const e of await pluginEntries(ctx, 'agent', user)) items.push({ label: e.label, href: e.href })
    if (isAdmin(user)) {
      items.push({ label: 'Plugins', href: '/admin/plugins' }, { label: 'Sent mail', href: '/admin/mail' })
      // Plugins' administration pages (the manifest's `admin` area): live chat's groups, jobs, settings…
      for (const e of await pluginEntries(ctx, 'admin', user)) items.push({ label: e.label, href: e.href })
    }
  } else {
    items.push({ label: 'Portal', href: '/portal' }, { label: 'Knowledge base', href: '/kb' })
  }
  const path = url.split('?')[0] ?? url
  return items.map((i) => ({ ...i, current: path === i.href || path.startsWith(i.href + '/') }))
}

/** Renders a host page inside the shared layout. */
export async function renderPage (ctx: HostContext, request: FastifyRequest, reply: FastifyReply, template: string, data: Record<string, unknown> = {}, status = 200): Promise<FastifyReply> {
  const user = request.hdUser
  const nav = await navFor(ctx, user, request.url)
  return reply.code(status).view(`pages/${template}.hbs`, { productName, ...data, user, nav }, { layout: 'layout.hbs' })
}

export function renderError (ctx: HostContext, request: FastifyRequest, reply: FastifyReply, status: number, message: string): Promise<FastifyReply> {
  const titles: Record<number, string> = { 400: 'Bad request', 403: 'Access denied', 404: 'Page not found', 500: 'Something went wrong' }
  const title = titles[status] ?? (status >= 500 ? titles[500] : 'Request refused')
  return renderPage(ctx, request, reply, 'error', { title, status, message }, status)
}

/** Loads the user for requests that did not pass through the host scope (404s, plugin routes). */
export async function ensureUser (ctx: HostContext, request: FastifyRequest): Promise<DeskUser | null> {
  if (request.hdUser === null) request.hdUser = await sessionUser(ctx.knex, request.cookies?.[sessionCookie])
  return request.hdUser
}

function loginRedirect (request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : ''
  return reply.redirect(`/login${next}`, 303)
}

/** A preHandler that lets through signed-in users passing `allowed`; others sign in or get 403. */
export function guard (ctx: HostContext, allowed: (user: DeskUser) => boolean): preHandlerAsyncHookHandler {
  return async function (request, reply) {
    const user = request.hdUser
    if (!user) return loginRedirect(request, reply)
    if (!allowed(user)) return renderError(ctx, request, reply, 403, messages.forbidden)
  }
}
