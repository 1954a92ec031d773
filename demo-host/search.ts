import type { Knex } from 'knex'
import type { FullTextIndex } from '../plugin/db/fulltext.ts'

// The desk's full-text indexes, made by its migrations with the plugin's helper and read by
// the desk's own search and by the plugin's sqlHost: the names are those of manifest.json's
// host.knowledge.fullTextIndex and host.tickets.fullTextIndex.

/** Knowledge base titles and bodies; a title word counts ten times a body word (bm25 weights on SQLite, a title-only index on MySQL). */
export const kbSearchIndex: FullTextIndex = { table: 'kb_articles', key: 'id', columns: ['title', 'body'], name: 'kb_articles_fts', weights: [10, 1], boost: { name: 'kb_articles_title_fts', weight: 10 } }

/** Tickets by what was asked and how it was solved. */
export const ticketSearchIndex: FullTextIndex = { table: 'tickets', key: 'id', columns: ['summary', 'description', 'resolution'], name: 'tickets_fts', weights: [10, 1, 3], boost: { name: 'tickets_summary_fts', weight: 10 } }

/** The desk's own knowledge pages show no draft, and internal articles only to staff (manifest.json's host.knowledge.published and internal). */
export function readableArticles (query: Knex.QueryBuilder, staff: boolean, alias = 'kb_articles'): Knex.QueryBuilder {
  query.where(`${alias}.status`, 'published')
  if (!staff) query.where(`${alias}.visibility`, 'public')
  return query
}
