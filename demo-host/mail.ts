import type { Knex } from 'knex'
import type { MailMessage } from '../plugin/host/adapter.ts'
import { toMs } from './db.ts'

export interface OutboxMail {
  id: number
  to: string
  subject: string
  text: string
  html: string | null
  createdAt: number
}

/**
 * The demo desk's mailer: every message goes to the `mail_outbox` table instead of a mail
 * server (a real desk would hand it to SMTP here). A failing insert fails the send, as a
 * refused SMTP delivery would.
 */
export function outboxMailer (knex: Knex, clock: () => number = Date.now): (message: MailMessage) => Promise<void> {
  return async (message) => {
    await knex('mail_outbox').insert({
      to_address: message.to,
      subject: message.subject.slice(0, 255),
      body_text: message.text,
      body_html: message.html ?? null,
      created_at: clock()
    })
  }
}

/** The most recent mail first, for Admin › Sent mail. */
export async function sentMail (knex: Knex, limit = 100): Promise<OutboxMail[]> {
  const rows = await knex('mail_outbox').orderBy('id', 'desc').limit(limit)
  return rows.map((r: Record<string, unknown>) => ({
    id: Number(r.id),
    to: String(r.to_address),
    subject: String(r.subject),
    text: String(r.body_text),
    html: r.body_html === null ? null : String(r.body_html),
    createdAt: toMs(r.created_at)
  }))
}
