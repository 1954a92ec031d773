import type { TicketKind } from './adapter.ts'

/**
 * Where the desk keeps who is signed in (docs/hosts.md, "Who is signed in"). A session row is
 * found by the cookie's value: its sha256 in hex (`token: 'sha256'`, the default) or the value
 * itself (`'raw'`), in the column `tokenHash`, live until `expiresAt`. The user is the row's
 * `userId`, or, for a desk that keeps the signed-in identity inside its serialized session
 * data, what sqlHost's `decodeSession` reads from the `data` column.
 */
export interface SessionsMapping {
  cookie: string
  table: string
  token?: 'sha256' | 'raw'
  /** The column holding the cookie's value, as `token` says: hashed or raw. */
  tokenHash: string
  userId?: string
  data?: string
  expiresAt: string
}

/**
 * A user's roles, by name: a column of names ("agent, supervisor"); a join table of role
 * names, one row per user and role; or a column of one role id and the table naming it.
 */
export type RolesMapping =
  | string
  | { table: string, userId: string, role: string }
  | { column: string, table: string, id: string, name: string }

/**
 * The email: a column, or a column of an id into a side table of addresses (osTicket's default_email_id). `userId`,
 * the address row's owner, is needed only where live chat files guests as customers (CustomersMapping.guests).
 */
export type EmailMapping = string | { column: string, table: string, id: string, address: string, userId?: string }

/**
 * One table of people. The name is one column (`name`) or two joined with a space
 * (`firstName`, `lastName`). `username` left out reads as the email.
 */
export interface PeopleMapping {
  table: string
  id: string
  username?: string
  email: EmailMapping
  name?: string
  firstName?: string
  lastName?: string
  roles?: RolesMapping
}

/** Agents or customers of a desk keeping them in two tables: `idPrefix` keeps their ids apart ("a:3", "c:3"). */
export interface PeopleTableMapping extends PeopleMapping {
  idPrefix: string
}

/**
 * How a guest becomes a customer, for a desk that files no ticket without one (osTicket's user_id NOT NULL):
 * docs/hosts.md, "A guest's ticket". The customer row gets the name (split at the first space where the desk
 * keeps first and last), the email (its column, or a row of the address side table), these times and defaults.
 */
export interface GuestsMapping {
  createdAt?: string
  updatedAt?: string
  /** Values for the customer row's other NOT NULL columns. */
  defaults?: ColumnDefaults
  /** Values for the address row's other NOT NULL columns, where the email is in a side table. */
  emailDefaults?: ColumnDefaults
}

/** Customers without mapped roles all hold `role` ('customer' when left out). */
export interface CustomersMapping extends PeopleTableMapping {
  role?: string
  /** A guest's ticket is filed under a customer: the one with the guest's email, else one made for them. Left out, a guest's ticket has no requester. */
  guests?: GuestsMapping
}

/** A column and the values in it that mean something (published, agents only); compared as text. */
export interface ColumnValues {
  column: string
  values: string[]
}

/**
 * `id` is an integer key. `fullTextIndex` is the full-text index over title and body
 * (plugin/db/fulltext.ts); on MySQL/MariaDB, the optional `titleFullTextIndex` over the
 * title alone makes title words count ten times, as they do on SQLite. Without
 * `fullTextIndex`, each word is matched with LIKE over title and body, title hits first.
 */
export interface KnowledgeMapping {
  table: string
  id: string
  title: string
  /** Plain text or HTML: excerpts are made plain text either way. */
  body: string
  /** The article's page, `{id}` standing for its key. */
  url: string
  fullTextIndex?: string
  titleFullTextIndex?: string
  /** Only an article whose column holds one of `values` is published; every article is, when left out. A draft is shown to nobody. */
  published?: ColumnValues
  /** An article whose column holds one of `values` is for agents only; every article is public when left out (a NULL is public). */
  internal?: ColumnValues
}

/** A table of statuses: `status` columns hold its `id`, the plugin speaks of its `name`s. */
export interface StatusLookup {
  table: string
  id: string
  name: string
}

/**
 * Values written on every insert into a desk's table, by column, for NOT NULL columns the
 * plugin does not otherwise fill (osTicket's dept_id, topic_id); the mapping's own columns win
 * over a default of the same name.
 */
export type ColumnDefaults = Record<string, string | number>

/**
 * Who belongs to a department or group: a column of the agents' table (host.agents, else
 * host.users) holding its id, one each; or a join table of one row per member, `id` holding
 * the department's (group's) id and `userId` the user's.
 */
export type MembersMapping = { column: string } | { table: string, id: string, userId: string }

/** The desk's departments (docs/hosts.md, "Departments and groups"). */
export interface DepartmentsMapping {
  table: string
  id: string
  name: string
  members?: MembersMapping
}

/** The desk's groups (teams); `departmentId` a column of the groups table, where groups sit in departments. */
export interface GroupsMapping {
  table: string
  id: string
  name: string
  departmentId?: string
  members?: MembersMapping
}

/** A side table of the tickets' text, one row per ticket (osTicket's ost_ticket__cdata): `summary` is its column there. */
export interface TicketSideTable {
  table: string
  ticketId: string
}

/**
 * A thread per ticket (osTicket's ost_thread): activity entries hang off the thread's `id`, and the thread off the
 * ticket by `objectId`, with `objectType` where threads of other things share the table.
 */
export interface ThreadMapping {
  table: string
  id: string
  objectId: string
  objectType?: { column: string, value: string }
  createdAt?: string
  defaults?: ColumnDefaults
}

/** The type column of an activity entry and its value for each author (osTicket: M message, R response, N note). */
export interface EntryTypes {
  column: string
  customer: string
  agent: string
  system: string
  /** Live chat's own entries: "Created from live chat #N", a shared article. */
  note: string
}

/**
 * A ticket's activity: entries keyed by `ticketId` (the ticket's key, or with `thread` the thread's). With `types`,
 * a ticket from a chat gets one entry per message (docs/hosts.md, "Tickets of a thread-based desk").
 */
export interface TicketActivityMapping {
  table: string
  /** The entry's key; needed where the description is the ticket's first entry (host.tickets.description left out). */
  id?: string
  ticketId: string
  text: string
  /** The agent who wrote it, as the agents' bare key. */
  authorId: string
  /** The customer who wrote it, as the customers' bare key; not stored when left out. */
  userId?: string
  /** The name shown as the entry's poster; not stored when left out. */
  posterName?: string
  createdAt: string
  thread?: ThreadMapping
  types?: EntryTypes
  defaults?: ColumnDefaults
}

/** Table and column names of the host's own tables; the `host` section of manifest.json. */
export interface HostMapping {
  sessions: SessionsMapping
  /** Everyone in one table (roles required); or, instead, `agents` and `customers` in two. */
  users?: PeopleMapping
  agents?: PeopleTableMapping
  customers?: CustomersMapping
  tickets: {
    table: string,
    id: string,
    ref: string,
    /** The ticket's kind; left out, none is stored, and a ticket's kind is read from its ref's prefix where the plugin made the ref. */
    kind?: string,
    /** The summary's column: of the tickets' table, or of `summaryTable`. */
    summary: string,
    /** Where the desk keeps the summary in a side table, one row per ticket. */
    summaryTable?: TicketSideTable,
    /** The description's column; left out, the description is the ticket's first activity entry (needs host.ticketActivity.id). */
    description?: string,
    /** The status: its name, or, with `statuses`, its id in that table. */
    status: string,
    /** Status lookup (docs/hosts.md, "Tickets of a thread-based desk"): `status` holds an id of `table`, whose `name` the plugin reads and writes by. */
    statuses?: StatusLookup,
    /** Why the status was set; not stored when left out. */
    statusReason?: string,
    requesterId: string,
    assigneeId: string,
    /**
     * What the desk's user columns hold for nobody, where they are NOT NULL (osTicket's `staff_id` 0): written for a
     * ticket without an assignee and an activity entry without an agent or a customer; NULL when left out.
     */
    nobody?: string | number,
    /** The chat a ticket came from; not stored when left out (the activity entry still names it). */
    chatId?: string,
    createdAt: string,
    updatedAt: string,
    /**
     * A ticket's page in the desk, for agents (docs/hosts.md, "Ticket links"): `{ref}` stands for the ticket's
     * number, `{id}` for its key, each URL-encoded.
     */
    url: string,
    /**
     * A ticket's page for its customer, where the desk's portal shows it elsewhere (`/view.php?id={id}`): the
     * same placeholders. Left out, a customer's link is the plugin's customerTicketUrl setting.
     */
    customerUrl?: string,
    refPrefix: Record<TicketKind, string>,
    /** The kinds the host offers for tickets made from a chat, in menu order; all three when left out. */
    kinds?: string[],
    /** A text column for the values of the template's own fields, as JSON by field name; not stored when left out. */
    fields?: string,
    /** The template a ticket was made from; not stored when left out. */
    templateId?: string,
    /**
     * The requester's name and email as the ticket was filed (NewTicket.requester): a guest's contact, where the desk
     * has no user for them. Left out, a guest's name and email head the description instead.
     */
    requesterName?: string,
    requesterEmail?: string,
    /** Where the ticket came from ('livechat'); not stored when left out. */
    channel?: string,
    /** The status and reason an abandoned chat's tickets get; Cancelled / Abandoned chat when left out. */
    cancelledStatus?: string,
    cancelledReason?: string,
    newStatus: string,
    /** The text saying how a ticket was solved, searched with its summary and description; left out, only those two are searched. */
    resolution?: string,
    /** Statuses of a solved ticket: only these are suggested for a new question. */
    resolvedStatuses: string[],
    /**
     * The full-text index over summary, description and resolution (summary and description without `resolution`;
     * plugin/db/fulltext.ts). Left out, or where summary or description live outside the tickets' table, each word is
     * matched with LIKE, summary hits first.
     */
    fullTextIndex?: string,
    /** MySQL/MariaDB, optional: a FULLTEXT index on the summary alone, so summary words count ten times (FullTextIndex.boost). */
    summaryFullTextIndex?: string,
    defaults?: ColumnDefaults
  }
  ticketActivity: TicketActivityMapping
  /** `fields`: a text column holding the template's own fields as a JSON array of TemplateField; none when left out. */
  ticketTemplates: { table: string, id: string, kind: string, name: string, summary: string, description: string, fields?: string }
  /** The knowledge base (docs/hosts.md#knowledge-and-audience). */
  knowledge: KnowledgeMapping
  /** The desk's departments, where it has them: offered for import, and read into HostUser.departments. */
  departments?: DepartmentsMapping
  /** The desk's groups, where it has them: offered for import, and read into HostUser.groups. */
  groups?: GroupsMapping
  /** How the host stores times: epoch milliseconds or SQL datetimes. */
  times: 'epoch_ms' | 'datetime'
}
