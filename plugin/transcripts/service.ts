import type { ChatService } from '../chats/service.ts'
import { type Actor, type AgentScope, type Chat, type Message } from '../chats/types.ts'
import { statusLabels } from '../chats/view-models.ts'
import { LC_ERR_MAIL_FAILED, LC_ERR_MAIL_UNAVAILABLE } from '../errors.ts'
import type { HostAdapter, TicketTranscriptEntry } from '../host/adapter.ts'
import type { RoutingService } from '../routing/service.ts'
import { render } from '../web/views.ts'

export interface TranscriptServiceDeps {
  chats: Pick<ChatService, 'chatForAgent' | 'customerMessages' | 'messages' | 'recordHistory'>
  routing: Pick<RoutingService, 'group'>
  host: Pick<HostAdapter, 'getUser' | 'sendMail'>
  clock?: () => number
}

/** What a transcript says above its lines, in mail, on paper and in a ticket. */
export interface TranscriptHeading {
  chatId: number
  status: string
  customerName: string
  customerEmail: string
  agentName: string | null
  /** "Department / Group", or null when the chat has none (or it is gone). */
  group: string | null
  started: string
  ended: string | null
  question: string
}

/** The printout (views/transcripts/print.page.hbs): the heading, every line agents see, and who printed it when. */
export interface TranscriptPrint extends TranscriptHeading {
  lines: TranscriptLine[]
  printedBy: string
  printedAt: string
}

/**
 * A chat's transcript, mailed to its customer (Email Transcript) or printed by an agent
 * (docs/features.md#email-transcript-and-print), and the text of a ticket made from the chat.
 */
export interface TranscriptService {
  /** Whether this host can send mail at all (the Email Transcript button is shown only then). */
  mailAvailable (): boolean
  /**
   * Mails the transcript (nothing agents-only) to the chat's customer for an agent who may see the chat, and records it
   * in History; throws LC_ERR_MAIL_UNAVAILABLE or LC_ERR_MAIL_FAILED, and then nothing is recorded.
   */
  email (chatId: number, scope: AgentScope): Promise<{ to: string }>
  /** The transcript as plain text, as the customer's mail has it: a ticket's description. The caller checked who may see the chat. */
  plainText (chat: Chat): Promise<string>
  /**
   * What a ticket made from the chat carries: the plain text, the same messages as entries (one per message, for a
   * thread-based desk), and the chat's department name where it has one. The caller checked who may see the chat.
   */
  forTicket (chat: Chat): Promise<TicketTranscript>
  /** The printout: every message agents see, coaching marked; throws LC_ERR_CHAT_NOT_FOUND unless the agent may see the chat. */
  print (chatId: number, scope: AgentScope): Promise<TranscriptPrint>
}

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

/** A chat's transcript as a ticket takes it (NewTicket's description, transcript and department). */
export interface TicketTranscript {
  text: string
  entries: TicketTranscriptEntry[]
  department: string | null
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

/** The messages as a ticket's entries, in order: the same words as the plain text, times in epoch ms. */
export function ticketEntries (messages: Message[]): TicketTranscriptEntry[] {
  return messages.map((m) => ({ author: m.kind === 'event' ? 'system' : m.authorKind, authorName: m.authorName, authorId: m.kind === 'event' ? null : m.authorId, at: m.createdAt, body: bodyOf(m) }))
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
 * The mail carries only what the customer could read (never coaching); the printout is the
 * agents' full record, coaching marked as such. Comments are in neither.
 */
export function createTranscriptService ({ chats, routing, host, clock = Date.now }: TranscriptServiceDeps): TranscriptService {
  /** The chat's department and group by name; none when it has no group (or it is gone). */
  async function placeOf (chat: Chat): Promise<{ department: string, group: string } | null> {
    if (chat.groupId === null) return null
    try {
      const g = await routing.group(chat.groupId)
      return { department: g.departmentName, group: g.name }
    } catch {
      return null
    }
  }

  async function heading (chat: Chat, place?: { department: string, group: string } | null): Promise<TranscriptHeading> {
    const agent = chat.agentId ? await host.getUser(chat.agentId) : null
    const where = place === undefined ? await placeOf(chat) : place
    const group = where ? `${where.department} / ${where.group}` : null
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

  function plainText (head: TranscriptHeading, lines: TranscriptLine[]): string {
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
    mailAvailable: (): boolean => typeof host.sendMail === 'function',

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
          html: render('transcripts/mail', { ...head, lines })
        })
      } catch (err) {
        throw Object.assign(new LC_ERR_MAIL_FAILED(to), { cause: err })
      }
      const actor: Actor = { kind: 'agent', id: scope.id, name: scope.name }
      await chats.recordHistory(chat.id, actor, 'transcript_emailed', { to })
      return { to }
    },

    // Times and names on every line: the ticket is read without the chat beside it.
    async plainText (chat: Chat): Promise<string> {
      return plainText(await heading(chat), linesOf(await chats.customerMessages(chat.id)))
    },

    async forTicket (chat: Chat): Promise<TicketTranscript> {
      const place = await placeOf(chat)
      const messages = await chats.customerMessages(chat.id)
      return { text: plainText(await heading(chat, place), linesOf(messages)), entries: ticketEntries(messages), department: place?.department ?? null }
    },

    async print (chatId: number, scope: AgentScope): Promise<TranscriptPrint> {
      const chat = await chats.chatForAgent(chatId, scope)
      return { ...await heading(chat), lines: linesOf(await chats.messages(chat.id)), printedBy: scope.name, printedAt: utc(clock()) }
    }
  }
}
