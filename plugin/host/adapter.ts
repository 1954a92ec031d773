/**
 * The host seam (DESIGN §2). Everything the plugin knows about the help desk that
 * installs it — who is signed in, users, tickets, knowledge — comes through this
 * interface and nothing else. `sqlHost(mapping)` is the default implementation.
 */

/** The part of an HTTP request the adapter may look at; no Fastify types leak past the seam. */
export interface RequestLike {
  headers: Record<string, string | string[] | undefined>
  cookies?: Record<string, string | undefined>
}

export interface HostUser {
  id: string
  name: string
  email: string
  username: string
  roles: string[]
  departments?: string[]
  groups?: string[]
}

export type TicketKind = 'incident' | 'work_order' | 'ticket'

export interface NewTicket {
  kind: TicketKind
  templateId?: string
  summary: string
  description: string
  requesterId: string | null
  assigneeId: string | null
  /** The chat the ticket came from; null for a message left while no agent was available. */
  chatId: number | null
}

export interface HostTicket {
  ref: string
  url: string
  status: string
  kind?: TicketKind
  summary?: string
  /** When the ticket was opened, epoch ms, where the host knows (the customer panel counts tickets per period). */
  createdAt?: number
}

export interface TicketTemplate {
  id: string
  kind: TicketKind
  name: string
  summary: string
  description: string
}

export interface KnowledgeHit {
  id: string
  title: string
  excerpt: string
  url: string
}

export interface MailMessage {
  to: string
  subject: string
  text: string
  html?: string
}

export interface HostAdapter {
  currentUser (request: RequestLike): Promise<HostUser | null>
  getUser (id: string): Promise<HostUser | null>
  findUsers (query: string, limit?: number): Promise<HostUser[]>
  userTickets (userId: string): Promise<HostTicket[]>
  createTicket (ticket: NewTicket): Promise<HostTicket>
  getTicket (ref: string): Promise<HostTicket | null>
  setTicketStatus (ref: string, status: string, reason?: string): Promise<void>
  addTicketActivity (ref: string, text: string, authorId?: string | null): Promise<void>
  ticketTemplates (kind: TicketKind): Promise<TicketTemplate[]>
  searchKnowledge (query: string, limit: number): Promise<KnowledgeHit[]>
  sendMail?: (message: MailMessage) => Promise<void>
}
