import type { FastifyPluginAsync } from 'fastify'
import { excerptAround, fullTextMatch } from '../../plugin/db/fulltext.ts'
import { messages, renderError, renderPage } from '../context.ts'
import type { HostContext } from '../context.ts'
import { htmlToText } from '../../plugin/host/text.ts'
import { isStaff } from '../auth.ts'
import { kbSearchIndex, readableArticles } from '../search.ts'

interface ArticleRow { id: number, title: string, category: string }

export const kbRoutes: FastifyPluginAsync<{ ctx: HostContext }> = async (app, { ctx }) => {
  app.get<{ Querystring: { q?: string } }>('/kb', {
    schema: { querystring: { type: 'object', properties: { q: { type: 'string', maxLength: 200 } } } }
  }, async (request, reply) => {
    const q = (request.query.q ?? '').trim()
    if (q) {
      // Ranked full-text search: articles holding every word, best match first. A search of
      // no real words (only "the", or only punctuation) finds nothing.
      const match = fullTextMatch(ctx.knex, kbSearchIndex, q, { mode: 'all', alias: 'a' })
      const found: Array<ArticleRow & { body: string }> = match
        ? await readableArticles(match.apply(ctx.knex('kb_articles as a').select('a.id', 'a.title', 'a.category', 'a.body')), isStaff(request.hdUser), 'a').orderBy('ft_score', 'desc').orderBy('a.id').limit(50)
        : []
      const results = found.map((r) => ({ id: r.id, title: r.title, category: r.category, excerpt: excerptAround(htmlToText(r.body), match?.words ?? [], 180) }))
      return renderPage(ctx, request, reply, 'kb', { title: 'Knowledge base', q, results, count: results.length })
    }
    const rows: ArticleRow[] = await readableArticles(ctx.knex('kb_articles').select('id', 'title', 'category'), isStaff(request.hdUser)).orderBy('category').orderBy('title')
    const groups: Array<{ category: string, articles: ArticleRow[] }> = []
    for (const row of rows) {
      const last = groups.at(-1)
      if (last?.category === row.category) last.articles.push(row)
      else groups.push({ category: row.category, articles: [row] })
    }
    return renderPage(ctx, request, reply, 'kb', { title: 'Knowledge base', q, groups })
  })

  app.get<{ Params: { id: string } }>('/kb/:id', async (request, reply) => {
    const id = /^[0-9]{1,10}$/.test(request.params.id) ? Number(request.params.id) : 0
    const article = id > 0 ? await readableArticles(ctx.knex('kb_articles').where({ id }), isStaff(request.hdUser)).first() : undefined
    if (!article) return renderError(ctx, request, reply, 404, messages.notFound)
    const paragraphs = htmlToText(String(article.body)).split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean)
    return renderPage(ctx, request, reply, 'kb-article', {
      title: article.title,
      article: { id, title: article.title, category: article.category, updatedAt: Number(article.updated_at) },
      paragraphs
    })
  })
}
