import type { Knex } from 'knex'
import * as createUsers from './20250101000001_create_users.ts'
import * as createSessions from './20250101000002_create_sessions.ts'
import * as createTickets from './20250101000003_create_tickets.ts'
import * as createTicketActivity from './20250101000004_create_ticket_activity.ts'
import * as createTicketTemplates from './20250101000005_create_ticket_templates.ts'
import * as createKbArticles from './20250101000006_create_kb_articles.ts'
import * as createHostPlugins from './20250101000007_create_host_plugins.ts'
import * as createMailOutbox from './20250101000008_create_mail_outbox.ts'
import * as indexKbArticlesFulltext from './20250101000009_index_kb_articles_fulltext.ts'
import * as addTicketsResolution from './20250101000010_add_tickets_resolution.ts'
import * as addTicketTemplatesFields from './20250101000011_add_ticket_templates_fields.ts'
import * as addTicketsDetails from './20250101000012_add_tickets_details.ts'
import * as addTicketsContact from './20250101000013_add_tickets_contact.ts'
import * as addKbArticlesStatusVisibility from './20250101000014_add_kb_articles_status_visibility.ts'
import * as createDepartments from './20250101000016_create_departments.ts'

interface MigrationModule {
  up (knex: Knex): Promise<void>
  down (knex: Knex): Promise<void>
}

// A static list, not a directory scan: the loader would also pick up .d.ts files from a build
// and record .ts and .js names differently in development and production (TOOLCHAIN.md).
const migrations: Record<string, MigrationModule> = {
  '20250101000001_create_users': createUsers,
  '20250101000002_create_sessions': createSessions,
  '20250101000003_create_tickets': createTickets,
  '20250101000004_create_ticket_activity': createTicketActivity,
  '20250101000005_create_ticket_templates': createTicketTemplates,
  '20250101000006_create_kb_articles': createKbArticles,
  '20250101000007_create_host_plugins': createHostPlugins,
  '20250101000008_create_mail_outbox': createMailOutbox,
  '20250101000009_index_kb_articles_fulltext': indexKbArticlesFulltext,
  '20250101000010_add_tickets_resolution': addTicketsResolution,
  '20250101000011_add_ticket_templates_fields': addTicketTemplatesFields,
  '20250101000012_add_tickets_details': addTicketsDetails,
  '20250101000013_add_tickets_contact': addTicketsContact,
  '20250101000014_add_kb_articles_status_visibility': addKbArticlesStatusVisibility,
  '20250101000016_create_departments': createDepartments
}

/** The host's own tables; bookkeeping goes to `host_knex_migrations`. */
export const hostMigrationSource: Knex.MigrationSource<string> = {
  async getMigrations () {
    return Object.keys(migrations).sort()
  },
  getMigrationName (name) {
    return name
  },
  async getMigration (name) {
    const migration = migrations[name]
    if (!migration) throw new Error(`Unknown host migration ${name}`)
    return migration
  }
}

export const hostMigrationsTable = 'host_knex_migrations'
