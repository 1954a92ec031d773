import t from 'tap'
import { fitCharset, sqlHost } from '../../plugin/host/index.ts'
import type { HostMapping } from '../../plugin/host/mapping.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { preparedDatabase } from '../helpers/db.ts'
import { demoTicketColumns } from '../helpers/host-tables.ts'

// A desk whose tables are 3-byte utf8 (MySQL/MariaDB utf8mb3) takes no character above U+FFFF:
// sqlHost writes U+FFFD in its place rather than fail the ticket (docs/hosts.md, "Tickets a desk receives").

const emoji = 'Printer 🖨️ jammed 😀'
// 🖨️ is U+1F5A8 and the variation selector U+FE0F, which is in the basic plane and stays.
const replaced = 'Printer \uFFFD\uFE0F jammed \uFFFD'

t.test('fitCharset', async (t) => {
  const { knex, dialect, drop } = await preparedDatabase()
  t.teardown(drop)
  t.equal(fitCharset(emoji, 'utf8mb3'), replaced, 'each astral character, a surrogate pair, is one U+FFFD')
  t.equal(fitCharset(emoji, 'utf8'), replaced, 'utf8 is utf8mb3 by its older name')
  t.equal(fitCharset(emoji, 'UTF8MB3'), replaced)
  t.equal(fitCharset('😀😀x😀', 'utf8mb3'), '\uFFFD\uFFFDx\uFFFD', 'pairs side by side')
  t.equal(fitCharset('Café ✓ 日本', 'utf8mb3'), 'Café ✓ 日本', 'the basic plane is untouched')
  t.equal(fitCharset(emoji, 'utf8mb4'), emoji)
  t.equal(fitCharset(emoji, null), emoji, 'no charset (SQLite)')
  t.equal(fitCharset(emoji, undefined), emoji)
  t.equal(fitCharset('', 'utf8mb3'), '')

  // What the database itself keeps of the text fitCharset gives it, on SQLite and MariaDB alike.
  await knex.schema.createTable('cs_fit', (table) => { table.increments('id'); table.string('text', 100) })
  t.teardown(async () => { await knex.schema.dropTableIfExists('cs_fit') })
  const charset = dialect === 'mysql' ? 'utf8mb3' : null
  if (dialect === 'mysql') await knex.raw('ALTER TABLE cs_fit MODIFY `text` VARCHAR(100) CHARACTER SET utf8mb3')
  const [id] = await knex('cs_fit').insert({ text: fitCharset(emoji, charset) })
  t.equal((await knex('cs_fit').where({ id }).first()).text, dialect === 'mysql' ? replaced : emoji, `stored as given (${dialect})`)
})

const onMysql = process.env.DATABASE_URL ? false : 'DATABASE_URL is not set: 3-byte utf8 columns are MySQL/MariaDB\'s'

t.test('sqlHost on a desk of 3-byte utf8 tables', { skip: onMysql }, async (t) => {
  const { knex, drop } = await preparedDatabase()
  t.teardown(drop)
  const demo = loadManifest().host!

  /** Tickets and activity tables like the demo's, in `charset`. */
  async function desk (prefix: string, charset: 'utf8mb3' | 'utf8mb4'): Promise<HostMapping> {
    const collation = charset === 'utf8mb3' ? 'utf8mb3_general_ci' : 'utf8mb4_unicode_ci'
    await knex.schema.createTable(`${prefix}_tickets`, (table) => {
      table.charset(charset)
      table.collate(collation)
      demoTicketColumns(table)
    })
    await knex.schema.createTable(`${prefix}_activity`, (table) => {
      table.charset(charset)
      table.collate(collation)
      table.increments('id')
      table.integer('ticket_id').notNullable()
      table.text('text').notNullable()
      table.integer('author_id').nullable()
      table.bigInteger('created_at').notNullable()
    })
    return { ...demo, tickets: { ...demo.tickets, table: `${prefix}_tickets` }, ticketActivity: { ...demo.ticketActivity, table: `${prefix}_activity` } }
  }
  const ticket = {
    kind: 'incident' as const,
    summary: emoji,
    description: `${emoji}\nThanks 🙏`,
    requesterId: null,
    requester: { name: 'Gail 🌻 Guest', email: 'gail@nowhere.example' },
    assigneeId: null,
    chatId: 12,
    fields: { asset_tag: 'LT-7 🏷️' }
  }

  const narrow = await desk('cs3', 'utf8mb3')
  const [[{ charset }]] = await knex.raw('SELECT CHARACTER_SET_NAME AS charset FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?', ['cs3_tickets', 'summary']) as [[{ charset: string }]]
  t.match(charset, /^utf8(mb3)?$/, 'the table really is 3-byte utf8')
  await t.rejects(knex('cs3_activity').insert({ ticket_id: 1, text: emoji, created_at: 0 }), /Incorrect string value/, 'the desk itself refuses an emoji')

  t.test('text with emoji becomes a ticket, each astral character stored as U+FFFD', async (t) => {
    const host = sqlHost(knex, narrow)
    const made = await host.createTicket(ticket)
    const row = await knex('cs3_tickets').where({ ref: made.ref }).first()
    t.equal(row.summary, replaced)
    t.equal(row.description, `${replaced}\nThanks \uFFFD`)
    t.equal(row.requester_name, 'Gail \uFFFD Guest')
    t.same(JSON.parse(row.details), { asset_tag: 'LT-7 \uFFFD\uFE0F' }, 'the template\'s field values too')
    t.same((await knex('cs3_activity').where({ ticket_id: row.id })).map((a) => a.text), ['Created from live chat #12'])

    await host.addTicketActivity(made.ref, `Customer says: ${emoji}`, null)
    await host.setTicketStatus(made.ref, 'Resolved', 'Fixed 👍')
    const after = await knex('cs3_tickets').where({ id: row.id }).first()
    t.equal(after.status_reason, 'Fixed \uFFFD')
    t.same((await knex('cs3_activity').where({ ticket_id: row.id }).orderBy('id')).map((a) => a.text), ['Created from live chat #12', `Customer says: ${replaced}`])
  })

  t.test('a description cut to fit counts the bytes as stored', async (t) => {
    await knex.raw('ALTER TABLE cs3_tickets MODIFY description TINYTEXT CHARACTER SET utf8mb3 NOT NULL')
    const host = sqlHost(knex, narrow)
    // 200 emoji: 800 bytes as given, 600 as U+FFFD; a TINYTEXT holds 255.
    const made = await host.createTicket({ ...ticket, description: '😀'.repeat(200) })
    const stored = String((await knex('cs3_tickets').where({ ref: made.ref }).first()).description)
    t.ok(Buffer.byteLength(stored, 'utf8') <= 255, 'it fits')
    t.match(stored, /^\uFFFD+\n\n\[Cut to fit this ticket: the last \d+ characters are left out; all of it is in live chat #12\]$/)
    const kept = stored.indexOf('\n')
    t.match(stored, new RegExp(`the last ${200 - kept} characters`), 'the characters left out are counted after replacement')
  })

  t.test('a utf8mb4 desk keeps the emoji', async (t) => {
    const host = sqlHost(knex, await desk('cs4', 'utf8mb4'))
    const made = await host.createTicket(ticket)
    const row = await knex('cs4_tickets').where({ ref: made.ref }).first()
    t.equal(row.summary, emoji)
    t.equal(row.description, `${emoji}\nThanks 🙏`)
    t.equal(row.requester_name, 'Gail 🌻 Guest')
    await host.addTicketActivity(made.ref, emoji, null)
    t.same((await knex('cs4_activity').where({ ticket_id: row.id }).orderBy('id')).map((a) => a.text), ['Created from live chat #12', emoji])
  })
})
