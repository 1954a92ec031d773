/**
 * The adapter kit: everything a help desk needs to connect live chat to its own data,
 * imported as `helpdesk-livechat/host` (docs/hosts.md, "The adapter kit"). Either map the
 * desk's tables for sqlHost, or write a HostAdapter of your own with the helpers below;
 * nothing else of the plugin is needed, and nothing else is promised to stay put.
 */
export type {
  HostAdapter, HostDepartment, HostDirectory, HostGroup, HostTicket, HostUser, HostWrite, KnowledgeHit, MailMessage, NewTicket,
  RequestLike, ResolvedTicketHit, TemplateField, TicketKind, TicketTemplate
} from './adapter.ts'
export type { HostMapping } from './mapping.ts'
export { sqlHost } from './sql-host.ts'
export type { SessionIdentity, SqlHostOptions } from './sql-host.ts'

// Reading and writing what a host stores: words to search for, excerpts, HTML as text, cookies, times, text a 3-byte utf8 column holds.
export { excerptAround, searchWords } from '../db/fulltext.ts'
export { htmlToText } from './text.ts'
export { cookieFrom, fitCharset, hostClock, hostTime, hostTimeMs, isTransaction } from './sql-kit.ts'

// The start-up check: a mapping against the live schema, and the error a failed check throws.
export { checkHostMapping, hostColumns, hostMappingError } from './check.ts'
export type { HostColumn, HostMappingProblem } from './check.ts'
