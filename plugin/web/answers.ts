import type { FastifyReply } from 'fastify'
import { envelope, type Fragment, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { render } from './views.ts'

export type NoticeLevel = 'ok' | 'info' | 'warning' | 'error'

/**
 * The one way an htmx request is answered: the fragments it changes, each with its target
 * and swap, in one envelope. 4xx answers are swapped too (htmx 4), so a refusal re-renders
 * its form or says why in the notice area with the same call.
 */
export async function answer (reply: FastifyReply, parts: Fragment[], status = 200): Promise<FastifyReply> {
  return await reply.code(status).type('text/html; charset=utf-8').send(envelope(parts))
}

/** A line in the page's notice area (views/common/notice.hbs), which no push replaces. */
export function notice (level: NoticeLevel, message: string, code?: string): Fragment {
  return fragment(targets.notice(), 'innerHTML', render('common/notice', { level, message, code: code ?? (level === 'ok' ? 'LC_OK' : undefined) }))
}

/** A success line in the notice area. */
export function ok (message: string): Fragment {
  return notice('ok', message)
}

/** Empties the notice area: an earlier refusal no longer applies. */
export function clearNotice (): Fragment {
  return fragment(targets.notice(), 'innerHTML', '')
}

/** Empties a chat's tools slot: the form or prompt opened in it (Add, Create Ticket, Abandon) is done with. */
export function closeTools (chatId: number): Fragment {
  return fragment(targets.chatTools(chatId), 'innerHTML', '')
}
