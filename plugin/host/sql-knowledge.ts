import type { Knex } from 'knex'
import { excerptAround, type FullTextIndex, fullTextMatch, type FullTextMatch, likeMatch } from '../db/fulltext.ts'
import type { HostAdapter, KnowledgeAudience, KnowledgeHit } from './adapter.ts'
import type { HostMapping, KnowledgeMapping } from './mapping.ts'
import { clampLimit, type Row } from './sql-kit.ts'
import { htmlToText } from './text.ts'

type Knowledge = Pick<HostAdapter, 'searchKnowledge' | 'knowledgeArticle'>

const audiences: readonly KnowledgeAudience[] = ['customer', 'agent']

/** The audience as asked, or a clear refusal: a host's own code may call the adapter too. */
function checkedAudience (audience: unknown): KnowledgeAudience {
  if (audiences.includes(audience as KnowledgeAudience)) return audience as KnowledgeAudience
  throw new TypeError(`knowledge audience must be 'customer' or 'agent', not ${JSON.stringify(audience) ?? String(audience)}`)
}

/**
 * Narrows a query of the knowledge table (under `alias`) to what `audience` may read: a
 * published article (when the mapping says which are), and for a customer a public one
 * (an article whose `internal` column is NULL or holds none of its values).
 */
function readableBy (query: Knex.QueryBuilder, k: KnowledgeMapping, alias: string, audience: KnowledgeAudience): Knex.QueryBuilder {
  if (k.published) query.whereIn(`${alias}.${k.published.column}`, k.published.values)
  const internal = k.internal
  if (internal && audience === 'customer') {
    query.where((q) => q.whereNull(`${alias}.${internal.column}`).orWhereNotIn(`${alias}.${internal.column}`, internal.values))
  }
  return query
}

/** A title (or body) word counts ten times a body word, with either kind of search. */
const titleWeight = 10

function match (knex: Knex, k: KnowledgeMapping, query: string, alias: string): FullTextMatch | null {
  if (!k.fullTextIndex) {
    return likeMatch(knex, { columns: [{ name: k.title, weight: titleWeight }, { name: k.body, weight: 1 }] }, query, { mode: 'any', alias })
  }
  const index: FullTextIndex = {
    table: k.table,
    key: k.id,
    columns: [k.title, k.body],
    name: k.fullTextIndex,
    weights: [titleWeight, 1],
    ...(k.titleFullTextIndex ? { boost: { name: k.titleFullTextIndex, weight: titleWeight } } : {})
  }
  return fullTextMatch(knex, index, query, { mode: 'any', alias })
}

/** The knowledge base of the mapping: ranked search and one article, for a customer or an agent. */
export function sqlKnowledge (knex: Knex, map: HostMapping): Knowledge {
  const k = map.knowledge
  const internal = k.internal
  // The columns read for a hit: the internal one too where the desk marks agents-only articles.
  const columns = [`kb.${k.id}`, `kb.${k.title}`, `kb.${k.body}`, ...internal ? [`kb.${internal.column} as kb_internal`] : []]
  const hit = (r: Row, words: string[]): KnowledgeHit => ({
    id: String(r[k.id]),
    title: String(r[k.title]),
    excerpt: excerptAround(htmlToText(String(r[k.body] ?? '')), words),
    url: k.url.replace('{id}', String(r[k.id])),
    ...internal && r.kb_internal != null && internal.values.includes(String(r.kb_internal)) ? { internal: true } : {}
  })

  return {
    // Ranked full-text search (FULLTEXT on MySQL, FTS5 on SQLite) over title and body, or
    // LIKE per word where the host has no full-text index; a title hit counts ten times a
    // body hit (on MySQL's FULLTEXT, given the title-only index).
    async searchKnowledge (query, limit, audience) {
      const who = checkedAudience(audience)
      const found = match(knex, k, query, 'kb')
      if (!found) return []
      const rows: Row[] = await readableBy(found.apply(knex(`${k.table} as kb`).select(columns)), k, 'kb', who)
        .orderBy('ft_score', 'desc').orderBy(`kb.${k.id}`).limit(clampLimit(limit))
      return rows.map((r) => hit(r, found.words))
    },

    async knowledgeArticle (id, audience) {
      const who = checkedAudience(audience)
      // The key is an integer (the FTS5 rowid): anything else is no article, and MySQL
      // never gets to read "12abc" as 12.
      if (!/^[0-9]{1,15}$/.test(id)) return null
      const row: Row | undefined = await readableBy(knex(`${k.table} as kb`).select(columns), k, 'kb', who)
        .where(`kb.${k.id}`, Number(id)).first()
      return row ? hit(row, []) : null
    }
  }
}
