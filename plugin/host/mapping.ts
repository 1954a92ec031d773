import type { TicketKind } from './adapter.ts'

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

/** Table and column names of the host's own tables; the `host` section of manifest.json. */
export interface HostMapping {
  sessions: { cookie: string, table: string, tokenHash: string, userId: string, expiresAt: string }
  users: { table: string, id: string, username: string, name: string, email: string, roles: string }
  tickets: {
    table: string,
    id: string,
    ref: string,
    kind: string,
    summary: string,
    description: string,
    status: string,
    statusReason: string,
    requesterId: string,
    assigneeId: string,
    chatId: string,
    createdAt: string,
    updatedAt: string,
    url: string,
    refPrefix: Record<TicketKind, string>,
    /** The kinds the host offers for tickets made from a chat, in menu order; all three when left out. */
    kinds?: string[],
    /** A text column for the values of the template's own fields, as JSON by field name; not stored when left out. */
    fields?: string,
    /** The template a ticket was made from; not stored when left out. */
    templateId?: string,
    /** The status and reason an abandoned chat's tickets get; Cancelled / Abandoned chat when left out. */
    cancelledStatus?: string,
    cancelledReason?: string,
    newStatus: string,
    /** The text saying how a ticket was solved, searched with its summary and description. */
    resolution: string,
    /** Statuses of a solved ticket: only these are suggested for a new question. */
    resolvedStatuses: string[],
    /** The full-text index over summary, description and resolution (plugin/db/fulltext.ts). */
    fullTextIndex: string,
    /** MySQL/MariaDB, optional: a FULLTEXT index on the summary alone, so summary words count ten times (FullTextIndex.boost). */
    summaryFullTextIndex?: string
  }
  ticketActivity: { table: string, ticketId: string, text: string, authorId: string, createdAt: string }
  /** `fields`: a text column holding the template's own fields as a JSON array of TemplateField; none when left out. */
  ticketTemplates: { table: string, id: string, kind: string, name: string, summary: string, description: string, fields?: string }
  /** The knowledge base (docs/hosts.md#knowledge-and-audience). */
  knowledge: KnowledgeMapping
  /** How the host stores times: epoch milliseconds or SQL datetimes. */
  times: 'epoch_ms' | 'datetime'
}
