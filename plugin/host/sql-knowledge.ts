import type { Knex } from 'knex'
import { excerptAround, type FullTextIndex, fullTextMatch } from '../db/fulltext.ts'
import type { HostAdapter, KnowledgeHit } from './adapter.ts'
import type { HostMapping } from './mapping.ts'
import { clampLimit, type Row } from './sql-kit.ts'

type Knowledge = Pick<HostAdapter, 'searchKnowledge' | 'knowledgeArticle'>

/** The knowledge base of the mapping: ranked search and one article. */
export function sqlKnowledge (knex: Knex, map: HostMapping): Knowledge {
  return {
    // Ranked full-text search (FULLTEXT on MySQL, FTS5 on SQLite) over title and body; a
    // title hit counts ten times a body hit (on MySQL, given the title-only index).
    async searchKnowledge (query, limit) {
      const k = map.knowledge
      const index: FullTextIndex = {
        table: k.table,
        key: k.id,
        columns: [k.title, k.body],
        name: k.fullTextIndex,
        weights: [10, 1],
        ...(k.titleFullTextIndex ? { boost: { name: k.titleFullTextIndex, weight: 10 } } : {})
      }
      const match = fullTextMatch(knex, index, query, { mode: 'any', alias: 'kb' })
      if (!match) return []
      const rows: Row[] = await match.apply(knex(`${k.table} as kb`).select(`kb.${k.id}`, `kb.${k.title}`, `kb.${k.body}`))
        .orderBy('ft_score', 'desc').orderBy(`kb.${k.id}`).limit(clampLimit(limit))
      return rows.map((r): KnowledgeHit => ({
        id: String(r[k.id]), title: String(r[k.title]), excerpt: excerptAround(String(r[k.body] ?? ''), match.words), url: k.url.replace('{id}', String(r[k.id]))
      }))
    },

    async knowledgeArticle (id) {
      const k = map.knowledge
      // The key is an integer (the FTS5 rowid): anything else is no article, and MySQL
      // never gets to read "12abc" as 12.
      if (!/^[0-9]{1,15}$/.test(id)) return null
      const row: Row | undefined = await knex(k.table).select(k.id, k.title, k.body).where(k.id, Number(id)).first()
      if (!row) return null
      return { id: String(row[k.id]), title: String(row[k.title]), excerpt: excerptAround(String(row[k.body] ?? ''), []), url: k.url.replace('{id}', String(row[k.id])) }
    }
  }
}
