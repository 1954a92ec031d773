import { createHash } from 'node:crypto'
import t from 'tap'
import { migrateLatest, migrationSource, migrationTable } from '../migrations/index.ts'
import { testDatabase } from './helpers/db.ts'

const tables = ['lc_chats', 'lc_messages', 'lc_chat_history', 'lc_agent_presence', 'lc_job_locks', 'lc_departments', 'lc_groups', 'lc_group_members', 'lc_chat_comments', 'lc_canned_replies', 'lc_agent_preferences', 'lc_chat_surveys', 'lc_chat_files', 'lc_custom_fields', 'lc_chat_field_values', 'lc_manual_events', 'lc_chat_items', 'lc_kb_deflections', 'lc_chat_pins', 'lc_job_runs', 'lc_im_conversations', 'lc_im_participants', 'lc_im_messages', 'lc_im_room_access', 'lc_settings', 'lc_department_hours', 'lc_blocked_addresses', 'lc_job_item_failures', 'lc_webhook_endpoints', 'lc_webhook_events', 'lc_webhook_deliveries', 'lc_webhook_attempts', 'lc_chat_facts']

// When this fails, the plugin's schema changed: make sure the change is a new migration
// (never an edit of a shipped one), then update the hash.
const schemaHash = 'dac3b1b41f14'

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
})
