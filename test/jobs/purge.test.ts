import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Knex } from 'knex'
import t from 'tap'
import { chatTables, keptAfterPurge, wordTables } from '../../plugin/chats/purge-store.ts'
import { createPurge } from '../../plugin/jobs/purge.ts'
import { readCriteria } from '../../plugin/search/service.ts'
import type { SearchQuery } from '../../plugin/search/schemas.ts'
import { createSearchService } from '../../plugin/search/service.ts'
import { createFieldService } from '../../plugin/fields/service.ts'
import { given } from '../helpers/given.ts'
import { jobServices, type JobServices } from '../helpers/jobs.ts'

const day = 86_400_000

/** Every plugin table with a chat_id column, read from the schema itself. */
async function tablesWithChatId (knex: Knex, dialect: 'mysql' | 'sqlite'): Promise<string[]> {
  if (dialect === 'mysql') {
    const [rows] = await knex.raw("select table_name as t from information_schema.columns where table_schema = database() and column_name = 'chat_id' and table_name like 'lc\\_%'") as [Array<{ t: string }>]
    return rows.map((r) => r.t).sort()
  }
  const tables = await knex.raw("select name from sqlite_master where type = 'table' and name like 'lc\\_%' escape '\\'") as Array<{ name: string }>
  const out: string[] = []
  for (const { name } of tables) {
    const columns = await knex.raw(`pragma table_info("${name}")`) as Array<{ name: string }>
    if (columns.some((c) => c.name === 'chat_id')) out.push(name)
  }
  return out.sort()
}

let fileCounter = 0

/**
 * A closed chat with something in every chat table: messages and history from its life,
 * and a comment, a task, a pin, a survey answer, a custom field value and files (their
 * contents on disk unless `onDisk` is false) as those capabilities store them.
 */
async function fullChat (s: JobServices, name: string, opts: { files?: number, onDisk?: boolean, say?: string } = {}): Promise<number> {
  const { chat } = await given.activeChat(s, 'alice')
  await s.chats.postMessage(chat.id, { kind: 'customer', id: null, name }, 'Still broken', null)
  if (opts.say !== undefined) await s.chats.postMessage(chat.id, { kind: 'customer', id: null, name }, opts.say, null)
  await s.chats.postMessage(chat.id, { kind: 'agent', id: chat.agentId, name: 'Alice Adams' }, 'Try again now', null)
  await s.chats.endChat(chat.id, { kind: 'agent', id: chat.agentId, name: 'Alice Adams' })
  const at = Date.now()
  const k = s.knex
  await k('lc_chat_comments').insert({ chat_id: chat.id, author_id: chat.agentId, author_name: 'Alice Adams', body: `Resolved for ${name} by resetting the token`, is_resolution: true, created_at: at, updated_at: at })
  await k('lc_chat_items').insert({ chat_id: chat.id, kind: 'task', title: 'Call back', created_by: chat.agentId, created_by_name: 'Alice Adams', created_at: at })
  await k('lc_chat_pins').insert({ chat_id: chat.id, article_id: '1', title: 'VPN', url: '/kb/1', pinned_by: chat.agentId, pinned_by_name: 'Alice Adams', pinned_at: at })
  await k('lc_chat_surveys').insert({ chat_id: chat.id, rating: 5, comment: 'Quick', created_at: at })
  let field = await k('lc_custom_fields').where({ field_key: 'purge_test' }).first('id')
  if (!field) {
    await k('lc_custom_fields').insert({ label: 'Asset', field_key: 'purge_test', type: 'text', created_at: at })
    field = await k('lc_custom_fields').where({ field_key: 'purge_test' }).first('id')
  }
  await k('lc_chat_field_values').insert({ chat_id: chat.id, field_id: field.id, value: 'LT-7', updated_at: at, updated_by: 'Alice Adams' })
  for (let i = 0; i < (opts.files ?? 1); i++) {
    const storage = (++fileCounter).toString(16).padStart(48, '0')
    if (opts.onDisk !== false) await writeFile(join(s.uploadDir, storage), `log of ${name}`)
    await k('lc_chat_files').insert({ chat_id: chat.id, storage_name: storage, name: 'log.txt', type: 'text/plain', size: 10, sha256: '0'.repeat(64), author_kind: 'customer', author_id: null, author_name: name, created_at: at })
  }
  return chat.id
}

/** Rows per chat table (lc_chats included) of one chat. */
async function rowsOf (knex: Knex, chatId: number): Promise<Record<string, number>> {
  const out: Record<string, number> = { lc_chats: Number((await knex('lc_chats').where('id', chatId).count({ n: '*' }).first())?.n ?? 0) }
  for (const table of [...chatTables, 'lc_message_words']) out[table] = Number((await knex(table).where('chat_id', chatId).count({ n: '*' }).first())?.n ?? 0)
  return out
}

async function storageNames (knex: Knex, chatId: number): Promise<string[]> {
  return (await knex('lc_chat_files').where('chat_id', chatId).select('storage_name')).map((r: { storage_name: string }) => r.storage_name)
}

t.test('purge', async (t) => {
  let now = Date.UTC(2026, 10, 21, 12, 0, 0)
  const clock = (): number => now
  const s = await jobServices(t, { clock })

  t.test('every plugin table with a chat_id column is in the purge\'s list', async (t) => {
    // A new table of chat data must be added to chatTables (plugin/chats/purge-store.ts), or purged chats would leave
    // rows behind; or to keptAfterPurge, with the reason a purged chat's rows stay.
    t.same(await tablesWithChatId(s.knex, s.dialect), [...chatTables, ...wordTables, ...keptAfterPurge].sort())
  })

  t.test('removes exactly the chats deleted more than purgeAfterDays ago, with all their rows and files', async (t) => {
    const doomed = await fullChat(s, 'Doomed', { files: 2 })
    const recent = await fullChat(s, 'Recent')
    const edge = await fullChat(s, 'Edge')
    const restored = await fullChat(s, 'Restored')
    const live = await fullChat(s, 'Live')
    // One of the doomed chat's files is already gone from disk: not an error.
    const [gone] = await storageNames(s.knex, doomed)
    const { unlink } = await import('node:fs/promises')
    await unlink(join(s.uploadDir, gone!))
    await s.knex('lc_chats').where('id', doomed).update({ deleted_at: now - 91 * day })
    await s.knex('lc_chats').where('id', recent).update({ deleted_at: now - 89 * day })
    await s.knex('lc_chats').where('id', edge).update({ deleted_at: now - 90 * day })
    // Deleted long ago, then undeleted: deleted_at is cleared.
    await s.knex('lc_chats').where('id', restored).update({ deleted_at: null })

    const before = await rowsOf(s.knex, doomed)
    for (const [table, n] of Object.entries(before)) t.ok(n > 0, `the doomed chat has rows in ${table}`)
    const kept = new Map<number, Record<string, number>>()
    for (const id of [recent, edge, restored, live]) kept.set(id, await rowsOf(s.knex, id))
    const keptFiles = await storageNames(s.knex, recent)
    const doomedFiles = await storageNames(s.knex, doomed)

    const run = await s.jobs.run('purge')
    t.equal(run?.error, null)
    t.match(run?.summary, /^Purged 1 chat deleted more than 90 days ago in 1 batch: \d+ messages, \d+ rows in all, 1 file removed \(1 already gone\)$/)
    t.equal(run?.rows, Object.values(before).reduce((a, b) => a + b, 0), 'rows touched: every row of the chat')

    t.same(Object.values(await rowsOf(s.knex, doomed)), Object.values(before).map(() => 0), 'nothing of the doomed chat is left in any table')
    for (const name of doomedFiles) t.notOk(existsSync(join(s.uploadDir, name)), 'its files are gone from disk')
    for (const [id, rows] of kept) t.same(await rowsOf(s.knex, id), rows, `chat ${id} is untouched`)
    for (const name of keptFiles) t.ok(existsSync(join(s.uploadDir, name)), 'another chat\'s file stays')
    await t.rejects(s.chats.get(doomed), { code: 'LC_ERR_CHAT_NOT_FOUND' })
    t.notOk((await s.chats.customerChatIds({ userId: null, email: 'dana@customer.example' })).includes(doomed), 'nor among the customer\'s chats')

    t.equal((await s.jobs.run('purge'))?.rows, 0, 'a second run finds nothing')

    const none = Object.fromEntries(Object.keys(before).map((k) => [k, 0]))
    // A day later the chat deleted exactly 90 days ago is past retention; the one deleted 89 days ago is at the edge now.
    now += day
    t.match((await s.jobs.run('purge'))?.summary, /^Purged 1 chat /)
    t.same(await rowsOf(s.knex, edge), none)
    t.same(await rowsOf(s.knex, recent), kept.get(recent))
    now += 1
    t.match((await s.jobs.run('purge'))?.summary, /^Purged 1 chat /)
    t.same(await rowsOf(s.knex, recent), none)
    for (const name of keptFiles) t.notOk(existsSync(join(s.uploadDir, name)))
    t.ok((await rowsOf(s.knex, restored)).lc_messages! > 0, 'the undeleted chat stays')
    t.ok((await rowsOf(s.knex, live)).lc_messages! > 0, 'the chat never deleted stays')
  })

  t.test('works in batches of purgeBatchSize, each its own transaction', async (t) => {
    const ids: number[] = []
    for (let i = 0; i < 5; i++) ids.push(await fullChat(s, `Batch ${i}`, { files: 0 }))
    await s.knex('lc_chats').whereIn('id', ids).update({ deleted_at: now - 100 * day })
    // No time target: batches grow from one chat to purgeBatchSize and stay there however long they take.
    const purge = createPurge({ chats: s.chats, files: s.files, clock, afterDays: 90, batchSize: 2, targetMs: Infinity })
    const result = await purge()
    t.equal(result.chats, 5)
    t.equal(result.batches, 3)
    t.equal(result.byTable.lc_chats, 5)
    t.equal(Number((await s.knex('lc_chats').whereIn('id', ids).count({ n: '*' }).first())?.n), 0)
  })

  t.test('a chat undeleted after the scan read it is left alone', async (t) => {
    const id = await fullChat(s, 'Saved in time', { files: 0 })
    await s.knex('lc_chats').where('id', id).update({ deleted_at: now - 100 * day })
    const { purgeBatch, purgeCandidates } = await import('../../plugin/chats/purge-store.ts')
    const candidates = await purgeCandidates(s.knex, now - 90 * day, 10)
    t.ok(candidates.includes(id))
    await s.knex('lc_chats').where('id', id).update({ deleted_at: null })
    const batch = await s.knex.transaction(async (trx) => await purgeBatch(trx, candidates, now - 90 * day))
    t.equal(batch.chats, 0)
    t.ok((await rowsOf(s.knex, id)).lc_messages! > 0)
  })

  t.test('a file that cannot be removed is named in the run\'s error; the rows are gone all the same', async (t) => {
    const id = await fullChat(s, 'Odd file', { files: 0 })
    await s.knex('lc_chat_files').insert({ chat_id: id, storage_name: '../outside', name: 'x.txt', type: 'text/plain', size: 1, sha256: '0'.repeat(64), author_kind: 'customer', author_id: null, author_name: 'x', created_at: now })
    await s.knex('lc_chats').where('id', id).update({ deleted_at: now - 100 * day })
    const run = await s.jobs.run('purge')
    t.match(run?.error, /^1 file could not be removed from the upload directory: \.\.\/outside: not a name this plugin stores files under$/)
    t.equal((await rowsOf(s.knex, id)).lc_chats, 0)
    const [record] = await s.knex('lc_job_runs').where({ job: 'purge' }).orderBy('id', 'desc').limit(1)
    t.match(record.error, /could not be removed/)
    t.ok(Number(record.rows) > 0)
  })

  const words = async (ids: number[]): Promise<number> => Number((await s.knex('lc_message_words').whereIn('chat_id', ids).count({ n: '*' }).first())?.n ?? 0)
  const pending = async (): Promise<number[]> => (await s.knex('lc_purged_chat_words').select('chat_id').orderBy('chat_id')).map((r: { chat_id: number }) => Number(r.chat_id))

  t.test('word rows go in the words phase, word by word for a group of chats; a live chat between purged ones keeps its own', async (t) => {
    // The same words in all three, so the purged chats' rows lie right beside the live chat's in each word's range.
    const say = 'printer toner jammed again'
    const first = await fullChat(s, 'Words first', { files: 0, say })
    const between = await fullChat(s, 'Words between', { files: 0, say })
    const second = await fullChat(s, 'Words second', { files: 0, say })
    await s.knex('lc_chats').whereIn('id', [first, second]).update({ deleted_at: now - 100 * day })
    const liveWords = await s.knex('lc_message_words').where('chat_id', between).orderBy(['word', 'message_id'])
    const doomedWords = await words([first, second])
    t.ok(doomedWords > 0 && liveWords.length > 0)

    const result = await createPurge({ chats: s.chats, files: s.files, clock, afterDays: 90, batchSize: 10, wordGroup: 2 })()
    t.equal(result.chats, 2)
    t.equal(result.byTable.lc_message_words, doomedWords, 'the run counts the word rows it removed')
    t.ok(result.wordBatches >= 1)
    t.equal(await words([first, second]), 0, 'no word row of a purged chat is left')
    t.same(await s.knex('lc_message_words').where('chat_id', between).orderBy(['word', 'message_id']), liveWords, 'the live chat\'s word rows are untouched')
    t.same(await pending(), [], 'no chat is left waiting for its words to go')
  })

  t.test('a batch of more chats than one INSERT takes keeps every chat\'s words, and the words phase removes them all', async (t) => {
    const template = await s.knex('lc_chats').where({ id: await fullChat(s, 'Many', { files: 0, say: 'walrus' }) }).first()
    const copies = Array.from({ length: 600 }, () => ({ ...template, id: undefined, customer_name: 'Many copy', deleted_at: now - 100 * day }))
    for (let at = 0; at < copies.length; at += 50) await s.knex('lc_chats').insert(copies.slice(at, at + 50))
    const ids = (await s.knex('lc_chats').where({ customer_name: 'Many copy' }).orderBy('id').select('id')).map((r: { id: number }) => Number(r.id))
    const message = (chatId: number, seq: number, kind: string, body: string) => ({ chat_id: chatId, seq, kind, author_kind: 'customer', author_name: 'Ann', body, created_at: now })
    const messages = ids.map((id, i) => message(id, 1, 'text', `walrus tusk${i}`))
    messages.push(message(ids[0]!, 2, 'file', '{"name":"zebrafile.png"}'))
    for (let at = 0; at < messages.length; at += 100) await s.knex('lc_messages').insert(messages.slice(at, at + 100))
    const stored = await s.knex('lc_messages').whereIn('chat_id', ids).andWhere('kind', 'text').select('id', 'chat_id', 'body') as Array<{ id: number, chat_id: number, body: string }>
    const rows = stored.flatMap((m) => m.body.split(' ').map((word) => ({ word, chat_id: m.chat_id, message_id: m.id })))
    for (let at = 0; at < rows.length; at += 100) await s.knex('lc_message_words').insert(rows.slice(at, at + 100))

    const step = await s.chats.purgeDeleted(now - 90 * day, 600)
    t.equal(step?.chats, 600, 'one batch of 600 chats')
    t.same(await pending(), ids, 'each keeps its words')
    t.same((await s.knex('lc_purged_chat_words').where({ chat_id: ids[0] }).first()).words.split(' ').sort(), ['tusk0', 'walrus'], 'as written, a file\'s JSON left out')
    const result = await createPurge({ chats: s.chats, files: s.files, clock, afterDays: 90, batchSize: 10 })()
    t.equal(result.byTable.lc_message_words, rows.length, 'every word row of theirs removed')
    t.equal(await words(ids), 0)
    t.same(await pending(), [])
  })

  t.test('between the phases search finds nothing of a purged chat; a stopped run is finished by the next', async (t) => {
    const fields = createFieldService({ db: s.knex, chats: s.chats })
    const search = createSearchService({ db: s.knex, chats: s.chats, routing: s.routing, fields, host: s.host })
    const admin = await s.scope('admin')
    const find = async (q: Record<string, string>): Promise<number[]> => {
      const { criteria } = readCriteria(q as SearchQuery, await search.options(admin))
      return (await search.find(criteria!, admin)).map((h) => h.id)
    }
    const ids: number[] = []
    for (let i = 0; i < 4; i++) ids.push(await fullChat(s, `Stopped ${i}`, { files: 0, say: 'quokka marmalade spectrograph' }))
    const live = await fullChat(s, 'Stays', { files: 0, say: 'quokka here too' })
    await s.knex('lc_chats').whereIn('id', ids).update({ deleted_at: now - 100 * day })
    t.same(await find({ in: 'deleted', q: 'quokka' }), ids.slice().reverse(), 'before the purge, the deleted chats are found among deleted ones')

    // The lease is lost after the chat batches, the first group's read and two batches of words (one (word, chat) pair, then two: no time target).
    let asks = 0
    let wordsBegun = false
    const chats = {
      ...s.chats,
      pendingWordChats: async (limit: number) => { wordsBegun = true; return await s.chats.pendingWordChats(limit) }
    }
    const stopped = await createPurge({ chats, files: s.files, clock, afterDays: 90, batchSize: 10, targetMs: Infinity, wordGroup: 2 })({
      stillOurs: async () => !wordsBegun || ++asks < 3
    })
    t.equal(stopped.chats, 4)
    t.equal(stopped.wordBatches, 2)
    t.ok(await words(ids) > 0, 'word rows of the purged chats are left')
    t.same(await pending(), ids, 'the chats whose words are left stay listed')
    t.same(await find({ in: 'deleted', q: 'quokka' }), [], 'search finds none of the purged chats among deleted ones')
    t.same(await find({ q: 'quokka' }), [live], 'nor among the others: only the live chat')
    t.same(await find({ q: 'marmalade' }), [], 'a word only the purged chats held finds nothing')
    for (const deleted of [false, true]) {
      const listed = await s.chats.list({ statuses: ['ended'], groups: 'all', ungrouped: true, deleted, matching: (await search.listMatches('marmalade')).matching, sort: 'id', dir: 'asc', limit: 10 })
      t.same(listed, [], `nor does the search box of a chat list${deleted ? ' (Deleted Items)' : ''}`)
    }

    const next = await s.jobs.run('purge')
    t.match(next?.summary, /^No deleted chats older than 90 days; \d+ word rows of chats purged before removed$/)
    t.equal(await words(ids), 0, 'the next run removed the rest')
    t.same(await pending(), [])
    t.ok(await words([live]) > 0, 'the live chat keeps its words')
    t.same(await find({ q: 'quokka' }), [live])
  })
})
