import { createHash } from 'node:crypto'
import t from 'tap'
import { migrateLatest, migrationSource, migrationTable } from '../migrations/index.ts'
import { fullTextMatch } from '../plugin/db/fulltext.ts'
import { getDialect } from '../plugin/db/index.ts'
import { testDatabase } from './helpers/db.ts'

const tables = ['lc_chats', 'lc_messages', 'lc_chat_history', 'lc_agent_presence', 'lc_job_locks', 'lc_departments', 'lc_groups', 'lc_group_members', 'lc_chat_comments', 'lc_canned_replies', 'lc_agent_preferences', 'lc_chat_surveys', 'lc_chat_files', 'lc_custom_fields', 'lc_chat_field_values', 'lc_manual_events', 'lc_chat_items', 'lc_kb_deflections', 'lc_chat_pins', 'lc_job_runs', 'lc_im_conversations', 'lc_im_participants', 'lc_im_messages', 'lc_im_room_access', 'lc_settings', 'lc_department_hours', 'lc_blocked_addresses', 'lc_job_item_failures', 'lc_webhook_endpoints', 'lc_webhook_events', 'lc_webhook_deliveries', 'lc_webhook_attempts', 'lc_chat_facts', 'lc_message_words', 'lc_chat_rollups', 'lc_chat_rollup_state', 'lc_purged_chat_words', 'lc_message_words_due']

// When this fails, the plugin's schema changed: make sure the change is a new migration
// (never an edit of a shipped one), then update the hash.
const schemaHash = 'd17ca7bfaf82'

t.test('migrations', async (t) => {
  const { knex, drop } = await testDatabase()
  t.teardown(drop)

  t.test('go up, all the way down and up again', async (t) => {
    await migrateLatest(knex)
    for (const table of tables) t.ok(await knex.schema.hasTable(table), `${table} exists`)
    t.ok(await knex.schema.hasTable(migrationTable), 'our own bookkeeping table')
    t.notOk(await knex.schema.hasTable('knex_migrations'), 'never the host\'s')
    await knex.migrate.rollback({ migrationSource, tableName: migrationTable }, true)
    for (const table of tables) t.notOk(await knex.schema.hasTable(table), `${table} dropped`)
    await migrateLatest(knex)
    for (const table of tables) t.ok(await knex.schema.hasTable(table), `${table} back`)
  })

  t.test('the schema is the one the canary knows', async (t) => {
    const names = await migrationSource.getMigrations([])
    const columns: string[] = []
    for (const table of tables) {
      const info = await knex(table).columnInfo()
      columns.push(`${table}(${Object.keys(info).sort().join(',')})`)
    }
    const hash = createHash('sha256').update(names.join('\n') + '\n' + columns.join('\n')).digest('hex').slice(0, 12)
    t.equal(hash, schemaHash, `schema ${hash}: ${columns.join('; ')}`)
  })

  t.test('039–040 copy the words of the messages already there, 058 indexes them, 059 drops the copy', async (t) => {
    const config = { migrationSource, tableName: migrationTable }
    // Undo the migrations from 039 on, however many came after it.
    while (String(await knex.migrate.currentVersion(config)) >= '20261208000039') await knex.migrate.down(config)
    t.notOk(await knex.schema.hasTable('lc_message_search'), 'back before 039')
    const [chatId] = await knex('lc_chats').insert({
      status: 'ended', customer_name: 'Ann', customer_email: 'ann@customer.example', question: 'q', customer_token_hash: '0'.repeat(64), created_at: 1, last_seq: 0, message_count: 0
    })
    // More than one batch of 10,000, with a file's JSON body among them.
    const rows = Array.from({ length: 10_050 }, (_, i) => ({
      chat_id: chatId,
      seq: i + 1,
      kind: i === 7 ? 'file' : 'text',
      author_kind: 'customer',
      author_name: 'Ann',
      body: i === 7 ? '{"name":"zebrafile.png"}' : i === 10_020 ? 'the quokka printer' : i === 10_030 ? 'Café Résumé' : `message number ${i}`,
      created_at: i
    }))
    for (let i = 0; i < rows.length; i += 500) await knex('lc_messages').insert(rows.slice(i, i + 500))
    while (String(await knex.migrate.currentVersion(config)) < '20261208000040') await knex.migrate.up(config)
    const copied = async (): Promise<number> => Number((await knex('lc_message_search').count({ n: '*' }).first())!.n)
    t.equal(await copied(), 10_049, 'every message but the file')
    const search = { table: 'lc_message_search', key: 'id', columns: ['body'], name: 'lc_message_search_body_ft' }
    const found = async (word: string): Promise<number[]> => {
      const match = fullTextMatch(knex, search, word, { mode: 'all', alias: 'm' })!
      return (await match.apply(knex('lc_message_search as m').select('m.chat_id'))).map((r: { chat_id: number }) => Number(r.chat_id))
    }
    t.same(await found('quokka'), [Number(chatId)], 'a word of the second batch')
    t.same(await found('zebrafile'), [], 'a file\'s JSON is not searched')
    t.notOk(await knex.schema.hasTable('lc_messages_body_ft'), 'the index on lc_messages is gone (SQLite\'s FTS5 table; on MySQL its FULLTEXT)')

    await migrateLatest(knex)
    t.ok(await knex('lc_chat_rollups').where({ day_at: 0 }).first(), 'the chat\'s facts are backfilled and folded, after the columns the fold writes (052)')
    const seqsOf = async (word: string): Promise<number[]> => (await knex('lc_message_words as w').join('lc_messages as m', 'm.id', 'w.message_id')
      .where('w.word', word).andWhere('w.chat_id', chatId).orderBy('m.seq').select('m.seq')).map((r: { seq: number }) => Number(r.seq))
    t.same(await seqsOf('quokka'), [10_021], '058: a message\'s words, keyed by word')
    t.same(await seqsOf('printer'), [10_021])
    t.same(await seqsOf('the'), [], 'stopwords are left out')
    t.same(await seqsOf('zebrafile'), [], 'a file\'s JSON has no words')
    t.same([await seqsOf('cafe'), await seqsOf('resume')], [[10_031], [10_031]], 'words in lower case without accents')
    t.equal((await seqsOf('message')).length, 10_047, 'every other message')
    t.notOk(await knex.schema.hasTable('lc_message_search'), '059: the copy is gone')
    while (String(await knex.migrate.currentVersion(config)) >= '20261208000059') await knex.migrate.down(config)
    t.equal(await copied(), 10_049, '059 down: the copy is made again')
    t.same(await found('quokka'), [Number(chatId)], 'and searched with its full-text index')
    await migrateLatest(knex)
    t.notOk(await knex.schema.hasTable('lc_message_search'))
    await knex('lc_message_words').where({ chat_id: chatId }).delete()
    await knex('lc_messages').where({ chat_id: chatId }).delete()
    await knex('lc_chats').where({ id: chatId }).delete()
  })

  t.test('067 removes the words of chats purged before it, then keeps their words and drops the index on chat_id', async (t) => {
    const config = { migrationSource, tableName: migrationTable }
    const chatIndex = async (): Promise<boolean> => getDialect(knex) === 'mysql'
      ? ((await knex.raw("SHOW INDEX FROM lc_message_words WHERE Key_name = 'lc_message_words_chat'")) as [unknown[]])[0].length > 0
      : ((await knex.raw("SELECT 1 FROM sqlite_master WHERE name = 'lc_message_words_chat'")) as unknown[]).length > 0
    while (String(await knex.migrate.currentVersion(config)) >= '20261208000067') await knex.migrate.down(config)
    t.ok(await chatIndex(), 'down: the index on chat_id is back')
    await knex('lc_message_words').insert([
      { word: 'quokka', chat_id: 901, message_id: 1 }, { word: 'zebra', chat_id: 901, message_id: 2 },
      { word: 'quokka', chat_id: 902, message_id: 3 }, { word: 'quokka', chat_id: 903, message_id: 4 }
    ])
    await knex('lc_purged_chat_words').insert([{ chat_id: 901 }, { chat_id: 903 }])
    await migrateLatest(knex)
    t.same((await knex('lc_message_words').orderBy('chat_id').select('word', 'chat_id')).map((r: { word: string, chat_id: number }) => [r.word, Number(r.chat_id)]),
      [['quokka', 902]], 'the listed chats\' word rows are gone, another chat\'s kept')
    t.equal(Number((await knex('lc_purged_chat_words').count({ n: '*' }).first())!.n), 0, 'nothing is left to purge')
    t.ok(await knex.schema.hasColumn('lc_purged_chat_words', 'words'), 'the chats keep their words')
    t.notOk(await chatIndex(), 'the index on chat_id is gone')
    await knex('lc_message_words').delete()
  })
})
