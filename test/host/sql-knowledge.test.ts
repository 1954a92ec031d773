import t from 'tap'
import { likeContaining } from '../../plugin/db/fulltext.ts'
import type { KnowledgeAudience } from '../../plugin/host/adapter.ts'
import { type HostMapping, sqlHost } from '../../plugin/host/sql-host.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { services } from '../helpers/given.ts'

// The knowledge base by audience (docs/hosts.md#knowledge-and-audience), on both databases:
// customers see published public articles, agents internal ones too, nobody a draft; excerpts
// are plain text; a host without a full-text index is searched with LIKE.

const manifest = loadManifest()

t.test('sqlHost knowledge: the demo desk\'s drafts and internal articles', async (t) => {
  const s = await services(t)
  const idOf = async (title: string): Promise<string> => String((await s.knex('kb_articles').where({ title }).first('id')).id)
  const internal = await idOf('Grant a temporary access pass (agents only)')
  const draft = await idOf('Order a replacement laptop charger')
  const titles = async (query: string, audience: KnowledgeAudience): Promise<string[]> => (await s.host.searchKnowledge(query, 10, audience)).map((h) => h.title)

  t.test('search: a customer never gets the internal article or the draft; an agent gets the internal one', async (t) => {
    t.notOk((await titles('temporary access pass', 'customer')).includes('Grant a temporary access pass (agents only)'))
    t.ok((await titles('temporary access pass', 'customer')).includes('Move MFA to a new phone'), 'public articles with the words still come')
    t.equal((await titles('temporary access pass', 'agent'))[0], 'Grant a temporary access pass (agents only)')
    for (const audience of ['customer', 'agent'] as const) {
      t.notOk((await titles('replacement laptop charger', audience)).includes('Order a replacement laptop charger'), `no draft for the ${audience}`)
    }
  })

  t.test('by id: the internal article for an agent only; the draft for nobody', async (t) => {
    t.equal(await s.host.knowledgeArticle(internal, 'customer'), null)
    t.match(await s.host.knowledgeArticle(internal, 'agent'), { id: internal, title: 'Grant a temporary access pass (agents only)', url: `/kb/${internal}` })
    t.equal(await s.host.knowledgeArticle(draft, 'customer'), null)
    t.equal(await s.host.knowledgeArticle(draft, 'agent'), null)
    t.equal((await s.host.knowledgeArticle(internal, 'agent'))?.internal, true, 'marked for agents only')
    const publicHits = await s.host.searchKnowledge('password', 5, 'agent')
    t.ok(publicHits.length > 0 && publicHits.every((h) => h.internal === undefined), 'a public article is not marked')
  })

  t.test('an HTML body gives a plain-text excerpt, in search and by id', async (t) => {
    const [hit] = await s.host.searchKnowledge('temporary access pass verifying', 1, 'agent')
    const article = await s.host.knowledgeArticle(internal, 'agent')
    for (const excerpt of [hit!.excerpt, article!.excerpt]) {
      t.notMatch(excerpt, /<|&(gt|lt|quot|amp);/, excerpt)
      t.match(excerpt, /Issue a temporary access pass only after verifying/)
    }
    t.match(article!.excerpt, /identity console > Users > Authentication methods\. Add a temporary/, 'entities decoded, list items read as text')
  })

  t.test('an audience that is neither is refused with a clear message', async (t) => {
    for (const bad of ['public', '', undefined, 'Agent']) {
      await t.rejects(s.host.searchKnowledge('password', 5, bad as KnowledgeAudience), { message: /knowledge audience must be 'customer' or 'agent'/ }, String(bad))
      await t.rejects(s.host.knowledgeArticle(internal, bad as KnowledgeAudience), { message: /knowledge audience must be 'customer' or 'agent'/ })
    }
  })

  t.test('without published and internal in the mapping, every article is published and public', async (t) => {
    const { published: _p, internal: _i, ...plain } = manifest.host!.knowledge
    const host = sqlHost(s.knex, { ...manifest.host!, knowledge: plain })
    t.match(await host.knowledgeArticle(draft, 'customer'), { title: 'Order a replacement laptop charger' })
    t.match(await host.knowledgeArticle(internal, 'customer'), { title: 'Grant a temporary access pass (agents only)' })
    t.equal((await host.searchKnowledge('replacement laptop charger', 5, 'customer'))[0]?.title, 'Order a replacement laptop charger')
  })
})

t.test('sqlHost knowledge without a full-text index: LIKE per word, title hits first', async (t) => {
  const s = await services(t)
  const { knex } = s
  // A desk's table with no full-text index of any kind, its state and audience as it keeps them.
  await knex.schema.createTable('plain_kb', (table) => {
    table.increments('id')
    table.string('title', 200).notNullable()
    table.text('body').notNullable()
    table.string('state', 16).nullable()
    table.string('audience', 16).nullable()
  })
  t.teardown(async () => { await knex.schema.dropTableIfExists('plain_kb') })
  const rows = [
    { title: 'Network drives', body: 'Map a drive to the printer share.', state: 'live', audience: null },
    { title: 'Printer setup', body: 'Connect the device to the network.', state: 'live', audience: 'everyone' },
    { title: 'Printer toner', body: 'Replace the printer toner cartridge.', state: 'live', audience: null },
    { title: 'Printer draft', body: 'Printer notes not ready yet.', state: 'draft', audience: null },
    { title: 'Printer unknown state', body: 'No state at all.', state: null, audience: null },
    { title: 'Printer admin notes', body: 'Reset the printer server.', state: '1', audience: 'staff' },
    { title: 'Scanner', body: '<p>The <b>scanner</b> &amp; the printer</p><script>alert("printer")</script>', state: 'live', audience: null },
    { title: '100% discount', body: 'Percent in the title.', state: 'live', audience: null },
    { title: '1000 things', body: 'No percent sign here.', state: 'live', audience: null }
  ]
  for (const row of rows) await knex('plain_kb').insert(row)
  const map: HostMapping = {
    ...manifest.host!,
    knowledge: {
      table: 'plain_kb',
      id: 'id',
      title: 'title',
      body: 'body',
      url: '/help/{id}',
      published: { column: 'state', values: ['live', '1'] },
      internal: { column: 'audience', values: ['staff'] }
    }
  }
  const host = sqlHost(knex, map)
  const titles = async (query: string, audience: KnowledgeAudience): Promise<string[]> => (await host.searchKnowledge(query, 10, audience)).map((h) => h.title)

  t.test('ranked: a title and body hit, then title hits, then body hits; drafts and no-state rows never', async (t) => {
    t.strictSame(await titles('printer', 'customer'), ['Printer toner', 'Printer setup', 'Network drives', 'Scanner'])
    t.strictSame(await titles('printer', 'agent'), ['Printer toner', 'Printer admin notes', 'Printer setup', 'Network drives', 'Scanner'], 'the agents-only article for agents, tied with toner and after it by id')
    t.strictSame(await titles('PRINTER toner', 'customer'), ['Printer toner', 'Printer setup', 'Network drives', 'Scanner'], 'any word, whatever its case; more words, higher')
    t.equal((await host.searchKnowledge('printer', 2, 'customer')).length, 2, 'no more than the limit')
  })

  t.test('a hit carries a plain-text excerpt around the word and the host\'s link', async (t) => {
    const scanner = (await host.searchKnowledge('scanner', 5, 'customer'))[0]!
    t.match(scanner, { title: 'Scanner', url: /^\/help\/\d+$/, excerpt: 'The scanner & the printer' })
  })

  t.test('a question of no real words finds nothing; hostile input is only words', async (t) => {
    t.strictSame(await host.searchKnowledge('how do I what is this', 5, 'customer'), [])
    t.strictSame(await host.searchKnowledge('% _ ! %%', 5, 'customer'), [], 'wildcards alone are no words')
    for (const hostile of ["' OR 1=1 --", '%printer%', 'print_r', '\\', 'x'.repeat(5000)]) {
      const hits = await host.searchKnowledge(hostile, 5, 'agent')
      t.ok(Array.isArray(hits), JSON.stringify(hostile.slice(0, 20)))
    }
  })

  t.test('by id: published ones; the agents-only one for agents', async (t) => {
    const idOf = async (title: string): Promise<string> => String((await knex('plain_kb').where({ title }).first('id')).id)
    t.match(await host.knowledgeArticle(await idOf('Printer toner'), 'customer'), { title: 'Printer toner' })
    t.equal(await host.knowledgeArticle(await idOf('Printer admin notes'), 'customer'), null)
    t.match(await host.knowledgeArticle(await idOf('Printer admin notes'), 'agent'), { title: 'Printer admin notes' })
    t.equal(await host.knowledgeArticle(await idOf('Printer draft'), 'agent'), null)
    t.equal(await host.knowledgeArticle(await idOf('Printer unknown state'), 'agent'), null, 'a NULL state is not published')
  })

  t.test('a boolean column is mapped with the value "1", compared as the database compares it', async (t) => {
    await knex.schema.alterTable('plain_kb', (table) => { table.boolean('shown').notNullable().defaultTo(false) })
    await knex('plain_kb').whereIn('title', ['Printer setup', 'Scanner']).update({ shown: true })
    const flagged = sqlHost(knex, { ...map, knowledge: { ...map.knowledge, published: { column: 'shown', values: ['1'] } } })
    t.strictSame((await flagged.searchKnowledge('printer', 10, 'customer')).map((h) => h.title), ['Printer setup', 'Scanner'])
  })

  t.test('likeContaining escapes %, _ and ! so each means itself, on this database', async (t) => {
    t.equal(likeContaining('50%_!'), '%50!%!_!!%')
    const like = async (text: string): Promise<string[]> => (await knex('plain_kb').whereRaw("title LIKE ? ESCAPE '!'", [likeContaining(text)]).orderBy('id').select('title')).map((r) => r.title as string)
    t.strictSame(await like('0%'), ['100% discount'], 'a percent sign is a percent sign')
    t.strictSame(await like('r_s'), [], 'an underscore is not any character')
    t.strictSame(await like('k d'), ['Network drives'])
  })
})
