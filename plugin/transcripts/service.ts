import type { ChatService } from '../chats/service.ts'
import { type Actor, type AgentScope, type Chat, type Message } from '../chats/types.ts'
import { statusLabels } from '../chats/view-models.ts'
import { LC_ERR_MAIL_FAILED, LC_ERR_MAIL_UNAVAILABLE } from '../errors.ts'
import type { HostAdapter } from '../host/adapter.ts'
import type { RoutingService } from '../routing/service.ts'
import type { Views } from '../web/views.ts'

export interface TranscriptServiceDeps {
  chats: ChatService
  routing: RoutingService
  host: HostAdapter
  views: Views
  clock?: () => number
}

export type TranscriptService = ReturnType<typeof createTranscriptService>

/** One line of a transcript, its time already written out: mail and paper have no script to localise it. */
export interface TranscriptLine {
  seq: number
  /** Set on the first line of each day, so a chat across midnight reads right. */
  day: string | null
  hhmm: string
  name: string
  body: string
  event: boolean
  coaching: boolean
}

const pad = (n: number): string => String(n).padStart(2, '0')
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10)
const timeOf = (ms: number): string => { const d = new Date(ms); return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}` }
/** UTC, said so: the reader's zone is not known to a mail or a printout. */
export const utc = (ms: number): string => `${dayOf(ms)} ${timeOf(ms)} UTC`

/**
 * A message as words on paper, in a mail or in a ticket: a shared article (plugin/resources)
 * is its title and link and a file its name and size, never their stored JSON.
 */
function bodyOf (m: Message): string {
  if (m.kind === 'kb_share' && m.article) return `Shared article: ${m.article.title}${m.article.url ? ` ${m.article.url}` : ''}`
  if (m.kind === 'file' && m.file) return `Sent a file: ${m.file.name} (${m.file.sizeText})`
  return m.body
}

function linesOf (messages: Message[]): TranscriptLine[] {
  let day = ''
  return messages.map((m) => {
    const d = dayOf(m.createdAt)
    const first = d !== day
    day = d
    return { seq: m.seq, day: first ? d : null, hhmm: timeOf(m.createdAt), name: m.authorName, body: bodyOf(m), event: m.kind === 'event', coaching: m.kind === 'coaching' }
  })
}

/**
 * A chat's transcript, mailed to its customer (Email Transcript) or printed by an
 * agent. The mail carries only what the customer could read (never coaching); the printout
 * is the agents' full record, coaching marked as such. Comments are in neither.
 */
export function createTranscriptService ({ chats, routing, host, views, clock = Date.now }: TranscriptServiceDeps) {
  async function heading (chat: Chat) {
    const agent = chat.agentId ? await host.getUser(chat.agentId) : null
    let group: string | null = null
    if (chat.groupId !== null) {
      try {
        const g = await routing.group(chat.groupId)
        group = `${g.departmentName} / ${g.name}`
      } catch {
        group = null
      }
    }
    return {
      chatId: chat.id,
      status: statusLabels[chat.status],
      customerName: chat.customerName,
      customerEmail: chat.customerEmail,
      agentName: agent?.name ?? null,
      group,
      started: utc(chat.createdAt),
      ended: chat.endedAt === null ? null : utc(chat.endedAt),
      question: chat.question
    }
  }

  function plainText (head: Awaited<ReturnType<typeof heading>>, lines: TranscriptLine[]): string {
    const out = [
      `Transcript of chat #${head.chatId}`,
      `${head.customerName}${head.agentName ? ` with ${head.agentName}` : ''}${head.group ? ` (${head.group})` : ''}`,
      `Started ${head.started}${head.ended ? `, ended ${head.ended}` : ''}`,
      ''
    ]
    for (const l of lines) {
      if (l.day) out.push(`-- ${l.day} (UTC) --`)
      // Continuation lines are indented under the text, so a multi-line message stays one entry.
      const body = l.body.replace(/\n/g, '\n       ')
      out.push(l.event ? `${l.hhmm}  * ${body}` : `${l.hhmm}  ${l.name}: ${body}`)
    }
    return out.join('\n') + '\n'
  }

  return {
    /** Whether this host can send mail at all (the Email Transcript button is shown only then). */
    mailAvailable: (): boolean => typeof host.sendMail === 'function',

    /**
     * Mails the transcript to the chat's customer, for an agent who may see the chat, and
     * records it in History. A host that cannot send (none configured, or failing now) gets
     * a coded error and nothing is recorded.
     */
    async email (chatId: number, scope: AgentScope): Promise<{ to: string }> {
      const chat = await chats.chatForAgent(chatId, scope)
      const send = host.sendMail
      if (!send) throw new LC_ERR_MAIL_UNAVAILABLE()
      const head = await heading(chat)
      const lines = linesOf(await chats.customerMessages(chat.id))
      const to = chat.customerEmail
      try {
        await send({
          to,
          subject: `Transcript of your chat #${chat.id}`,
          text: plainText(head, lines),
          html: views.render('transcripts/mail', { ...head, lines })
        })
      } catch (err) {
        throw Object.assign(new LC_ERR_MAIL_FAILED(to), { cause: err })
      }
      const actor: Actor = { kind: 'agent', id: scope.id, name: scope.name }
      await chats.recordHistory(chat.id, actor, 'transcript_emailed', { to })
      return { to }
    },

    /**
     * The transcript as plain text, times and names on every line, as the customer's mail
     * has it (nothing agents-only): what a ticket made from the chat carries in its description.
     * The caller has checked that the agent may see the chat.
     */
    async plainText (chat: Chat): Promise<string> {
      return plainText(await heading(chat), linesOf(await chats.customerMessages(chat.id)))
    },

    /** The printout: every message agents see, coaching marked; 404 unless the agent may see the chat. */
    async print (chatId: number, scope: AgentScope) {
      const chat = await chats.chatForAgent(chatId, scope)
      return { ...await heading(chat), lines: linesOf(await chats.messages(chat.id)), printedBy: scope.name, printedAt: utc(clock()) }
    }
  }
}
