import t from 'tap'
import { createFullTextIndex, dropFullTextIndex, excerptAround, fullTextMatch, type FullTextIndex, searchWords } from '../../plugin/db/fulltext.ts'
import { tableDefaults } from '../../plugin/db/index.ts'
import { indexWords, wordRange, wordsOfAll } from '../../plugin/db/words.ts'
import { testDatabase } from '../helpers/db.ts'

const index: FullTextIndex = { table: 'ft_notes', key: 'id', columns: ['title', 'body'], name: 'ft_notes_search', weights: [10, 1], boost: { name: 'ft_notes_title', weight: 10 } }

t.test('searchWords keeps the words worth searching for and nothing of the query languages', async (t) => {
  t.same(searchWords('How do I reset my password?'), ['reset', 'password'])
  t.same(searchWords('VPN vpn Vpn'), ['vpn'], 'each word once, lower case')
  t.same(searchWords('"*+-\')(~<>@ AND OR NOT'), [], 'operators and stopwords leave nothing')
  t.same(searchWords('Überweisung fehlgeschlagen'), ['überweisung', 'fehlgeschlagen'], 'letters of any script')
  t.equal(searchWords(Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ')).length, 12, 'at most twelve words')
  t.ok(searchWords('x'.repeat(5000)).every((w) => w.length <= 40), 'a word is cut to forty characters')
})

t.test('indexWords keeps every word searchWords would, once, without accents; wordRange finds a word and the longer ones it starts', async (t) => {
  t.same(indexWords('The printer, the PRINTER and the printers'), ['printer', 'printers'])
  t.same(indexWords('Café résumé real_name'), ['cafe', 'resume', 'real', 'name'], 'accents off, underscores split as searchWords splits')
  t.equal(indexWords(Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ')).length, 30, 'more than a search takes')
  t.same(indexWords('{"a":1}'), [], 'nothing worth indexing')
  const [low, high] = wordRange('Résu')
  t.equal(low, 'resu')
  t.ok(['resu', 'resume', 'resumes'].every((w) => w >= low && w < high), 'the word and its longer forms')
  t.notOk(['res', 'resv', 'ret', 'rest'].some((w) => w >= low && w < high), 'nothing else')
})

t.test('wordsOfAll gives the words indexWords gives each text, once', async (t) => {
  // The second text is cut in the middle of a word past the indexed length, as it would be alone.
  const texts = ['Printer jammed AGAIN', `${'x '.repeat(9_997)}thermostat`, 'Ünïcode café and the printer', '', '{"x":1}']
  const each = [...new Set(texts.flatMap(indexWords))].sort()
  t.same([...wordsOfAll(texts)].sort(), each)
  t.same(indexWords(texts[1]!), ['thermo'], 'the long text is cut in its last word')
  t.ok(wordsOfAll(texts).includes('thermo') && !wordsOfAll(texts).includes('thermostat'), 'and cut there among the others too')
  t.same(wordsOfAll([]), [])
})

t.test('excerptAround shows the text around the first word found', async (t) => {
  const text = `${'lorem '.repeat(40)}the printer jams on page two${' ipsum'.repeat(40)}`
  const piece = excerptAround(text, ['printer'], 80)
  t.match(piece, /^….*printer jams.*…$/)
  t.equal(excerptAround('short text', ['absent']), 'short text')
  t.equal(excerptAround(`${'alpha '.repeat(30)}printer jams${' omega'.repeat(60)}`, ['printer'], 60), `…${'alpha '.repeat(3)}printer jams${' omega'.repeat(5)}…`, 'whole words at both ends, the word found in sight')
})

t.test('full-text index and match on this database', async (t) => {
  const { knex, drop } = await testDatabase()
  t.teardown(drop)
  await knex.schema.createTable(index.table, (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.string('title', 200).notNullable()
    table.text('body').notNullable()
  })
  await knex(index.table).insert([
    { title: 'Reset your password', body: 'Open Settings, choose Security and press Reset password.' },
    { title: 'VPN drops every hour', body: 'Reinstall the VPN client; the network team can check the tunnel.' },
    { title: 'Printer jams', body: 'Open the tray and remove the paper.' }
  ])
  await createFullTextIndex(knex, index)
  // Rows written after the index exists are found too (the triggers on SQLite).
  await knex(index.table).insert({ title: 'Mailbox full', body: 'Archive old mail to free space in the mailbox.' })

  async function titles (input: string, mode: 'any' | 'all' = 'any'): Promise<string[] | null> {
    const match = fullTextMatch(knex, index, input, { mode, alias: 'n' })
    if (!match) return null
    const rows = await match.apply(knex(`${index.table} as n`).select('n.title')).orderBy('ft_score', 'desc').orderBy('n.id')
    return rows.map((r: { title: string }) => r.title)
  }

  t.same((await titles('How do I reset my password?'))?.[0], 'Reset your password', 'the best match first')
  t.same(await titles('mailbox'), ['Mailbox full'], 'a row inserted after the index was made')
  await knex(index.table).insert({ title: 'Shared calendars', body: 'A shared mailbox calendar: open the mailbox, then the mailbox calendar, then share the mailbox.' })
  t.same(await titles('mailbox'), ['Mailbox full', 'Shared calendars'], 'a word in the title outweighs the same word four times in a body')
  await knex(index.table).where({ title: 'Shared calendars' }).del()
  t.same(await titles('passw'), ['Reset your password'], 'a word is also a prefix')
  t.same(await titles('vpn printer', 'all'), [], 'all: every word must be in the row')
  t.same(await titles('vpn tunnel', 'all'), ['VPN drops every hour'])

  for (const hostile of ['"', '*', '+-', "')", 'AND', '" OR 1=1 --', 'title:reset', 'x'.repeat(5000), 'NEAR(reset password)']) {
    const result = await titles(hostile)
    t.ok(result === null || Array.isArray(result), `${JSON.stringify(hostile.slice(0, 24))} is searched as words or not at all`)
  }

  await knex(index.table).where({ title: 'Printer jams' }).update({ title: 'Scanner stuck', body: 'Restart the scanner.' })
  t.same(await titles('printer'), [], 'an updated row is found by its new words only')
  t.same(await titles('scanner'), ['Scanner stuck'])
  await knex(index.table).where({ title: 'Scanner stuck' }).del()
  t.same(await titles('scanner'), [], 'a deleted row is gone from the index')

  await dropFullTextIndex(knex, index)
  await knex(index.table).insert({ title: 'After the drop', body: 'Inserts still work.' })
  t.equal((await knex(index.table).count({ n: '*' }).first())?.n !== undefined, true)
})
