/**
 * The host seam (docs/design.md §2). Everything the plugin knows about the help desk that
 * installs it — who is signed in, users, tickets, knowledge — comes through this
 * interface and nothing else. `sqlHost(mapping)` is the default implementation.
 */

/** The part of an HTTP request the adapter may look at; no Fastify types leak past the seam. */
export interface RequestLike {
  headers: Record<string, string | string[] | undefined>
  cookies?: Record<string, string | undefined>
  /** The client's address as the host trusts it (Fastify's request.ip): the audit log records it. */
  ip?: string
}

export interface HostUser {
  id: string
  name: string
  email: string
  username: string
  roles: string[]
  /** Which table the user is in, for a desk keeping agents and customers apart (host.agents, host.customers). */
  kind?: 'agent' | 'customer'
  /** The desk's ids of the departments the user belongs to (HostDepartment.id), where the desk has them. */
  departments?: string[]
  /** The desk's ids of the groups the user belongs to (HostGroup.id), where the desk has them. */
  groups?: string[]
}

/** A department of the help desk, with the ids (HostUser.id) of the users in it. */
export interface HostDepartment {
  id: string
  name: string
  members: string[]
}

/** A group (a team) of the help desk; `departmentId` where the desk puts groups in departments. */
export interface HostGroup {
  id: string
  name: string
  departmentId: string | null
  members: string[]
}

/** What the desk has of departments and groups (docs/hosts.md, "Departments and groups"); either list may be empty. */
export interface HostDirectory {
  departments: HostDepartment[]
  groups: HostGroup[]
}

export type TicketKind = 'incident' | 'work_order' | 'ticket'

/** One message of the chat a ticket came from, so a thread-based desk can store one entry per message. */
export interface TicketTranscriptEntry {
  /** Who wrote it: the customer, an agent, or live chat itself (an event: joined, transferred, timed out…). */
  author: 'customer' | 'agent' | 'system'
  authorName: string
  /** The author's user id (a customer's or an agent's), where they are a help desk user; null for a guest or live chat itself. */
  authorId?: string | null
  /** When it was written, epoch ms. */
  at: number
  /** Plain text; a shared article or a file is said in words, never its stored JSON. */
  body: string
}

/**
 * Who a ticket is for. `requesterId` (NewTicket) is set when the customer is a help desk user;
 * name and email are always given, so a desk can file a guest's ticket with a contact.
 */
export interface TicketRequester {
  name: string
  email: string
}

export interface NewTicket {
  kind: TicketKind
  templateId?: string
  summary: string
  /** The whole ticket as text: the transcript (or the message left), for a desk that keeps one description. */
  description: string
  /** The help desk user the ticket is for; null for a guest (see `requester`). */
  requesterId: string | null
  /** The requester's name and email: the user's own for a help desk user, else as the guest typed them. */
  requester?: TicketRequester
  assigneeId: string | null
  /** The chat the ticket came from; null for a message left while no agent was available. */
  chatId: number | null
  /** The name of the chat's (or the message's) department, where it has one. */
  department?: string | null
  /** Where the ticket came from: always 'livechat' for tickets this plugin files. */
  channel?: 'livechat'
  /** The chat's messages in order, or the one message left; the same words as `description`. */
  transcript?: TicketTranscriptEntry[]
  /** Values of the template's own fields (TicketTemplate.fields), by field name. */
  fields?: Record<string, string>
}

/**
 * What createTicket throws when the desk will not take the ticket as it is and trying again will not help: a desk
 * that files no ticket without one of its users, say, given a guest (`requesterId` null). The message says why, in
 * words an agent can act on ("dana@example.com is not a user of this desk; add them, then create the ticket again");
 * the agent sees it (LC_ERR_TICKET_REFUSED). Any other error is taken as the desk failing just now.
 */
export class TicketRefused extends Error {
  override name = 'TicketRefused'
}

/**
 * Lets the plugin write its own rows in the same transaction as the host's ticket, when
 * host and plugin share a database (docs/design.md §2). Opaque to the plugin's callers: sqlHost
 * receives the knex transaction the plugin opened on its own connection.
 */
export interface HostWrite {
  transaction?: unknown
}

export interface HostTicket {
  ref: string
  /** The ticket's page for agents. */
  url: string
  /**
   * The ticket's page for its customer, where the desk has one apart from the agents' (docs/hosts.md, "Ticket
   * links"); a link shown to a customer prefers it.
   */
  customerUrl?: string
  status: string
  kind?: TicketKind
  summary?: string
  /** When the ticket was opened, epoch ms, where the host knows (the customer panel counts tickets per period). */
  createdAt?: number
}

/** A resolved ticket whose words match a question (the Resources panel, docs/features.md#resources). */
export interface ResolvedTicketHit {
  ref: string
  url: string
  summary: string
  /** Where the match is: the resolution, else the description, shortened around the words. */
  excerpt: string
  status: string
}

/** A field of the host's ticket form that a template sets or asks for (docs/features.md#create-ticket). */
export interface TemplateField {
  name: string
  label: string
  /** Left blank, the ticket opens in an edit form before it is saved (003 "Confirm + Save"). */
  required: boolean
  /** The template's value; '' when the template leaves it for the agent. */
  value: string
  /** A closed list of choices, where the host has one. */
  options?: string[]
}

export interface TicketTemplate {
  id: string
  kind: TicketKind
  name: string
  summary: string
  description: string
  /** The host's own fields the template sets or asks for; none for a template of summary and description only. */
  fields?: TemplateField[]
}

export interface KnowledgeHit {
  id: string
  title: string
  excerpt: string
  url: string
  /** For agents only (an agent's search, where the desk marks such articles): never shared with a customer. */
  internal?: boolean
}

/**
 * Who knowledge is looked up for (docs/hosts.md#knowledge-and-audience): a customer sees
 * published public articles only; an agent sees published ones, internal ones too. Nobody
 * sees a draft.
 */
export type KnowledgeAudience = 'customer' | 'agent'

/**
 * Which side's login a request comes from: the agent console or the customer portal. A desk
 * that keeps one session for both may answer differently for each (an agent browsing the
 * portal as a customer, say).
 */
export type HostArea = 'agent' | 'portal'

export interface MailMessage {
  to: string
  subject: string
  text: string
  html?: string
}

export interface HostAdapter {
  /**
   * The user signed in to the host, from the host's own session; null for nobody. `area` says
   * which side is asking (the plugin always passes it); an adapter may ignore it when the desk
   * has one login for both.
   */
  currentUser (request: RequestLike, area?: HostArea): Promise<HostUser | null>
  getUser (id: string): Promise<HostUser | null>
  /**
   * getUser for many ids at once, those found in any order (optional: without it the plugin
   * asks getUser for each; round robin names every agent of a batch).
   */
  getUsers?: (ids: string[]) => Promise<HostUser[]>
  findUsers (query: string, limit?: number): Promise<HostUser[]>
  /**
   * Users holding any of `roles`, by name, at most `limit` (optional: a chat room's With
   * Access lists only its groups' and departments' members without it).
   */
  usersWithRoles?: (roles: string[], limit: number) => Promise<HostUser[]>
  userTickets (userId: string): Promise<HostTicket[]>
  createTicket (ticket: NewTicket, write?: HostWrite): Promise<HostTicket>
  getTicket (ref: string): Promise<HostTicket | null>
  setTicketStatus (ref: string, status: string, reason?: string): Promise<void>
  addTicketActivity (ref: string, text: string, authorId?: string | null): Promise<void>
  ticketTemplates (kind: TicketKind): Promise<TicketTemplate[]>
  /**
   * Ranked search of the knowledge base's titles and bodies, of the articles `audience` may
   * read (never a draft; internal ones for agents only); nothing for a question of no real
   * words. Excerpts are plain text, never the host's HTML.
   */
  searchKnowledge (query: string, limit: number, audience: KnowledgeAudience): Promise<KnowledgeHit[]>
  /** One article `audience` may read, to check an id before it is suggested, shared or pinned; null when there is none (or it is not theirs to read). */
  knowledgeArticle (id: string, audience: KnowledgeAudience): Promise<KnowledgeHit | null>
  /** Resolved tickets matching a question, best first (optional: a host without resolutions leaves it out). */
  searchResolvedTickets?: (query: string, limit: number) => Promise<ResolvedTicketHit[]>
  /** The kinds of ticket the host has, in the order offered (default: every kind). A host with one kind offers a plain Ticket. */
  ticketKinds?: TicketKind[]
  /**
   * True when `db` is the connection the adapter writes tickets through, so createTicket
   * may take the plugin's transaction and the chat's related-item row commits with the ticket.
   */
  sharesDatabase?: (db: unknown) => boolean
  /** The status and reason an abandoned chat's tickets get (docs/features.md#abandon); default Cancelled / Abandoned chat. */
  cancelledStatus?: { status: string, reason: string }
  sendMail?: (message: MailMessage) => Promise<void>
  /**
   * The desk's departments and groups with their members, sorted by name (optional: a desk
   * without them leaves it out). The administration page offers to import them once
   * (docs/features.md#import-from-the-help-desk) instead of typing them again.
   */
  directory?: () => Promise<HostDirectory>
  /**
   * Checks, once as the plugin registers, that the adapter can reach what it needs (sqlHost:
   * its mapping against the live schema, throwing LC_ERR_HOST_MAPPING). A throw stops the
   * plugin before it serves anything.
   */
  check?: () => Promise<void>
}
