import type { Knex } from 'knex'
import t from 'tap'
import { createImPurge } from '../../plugin/jobs/purge-im.ts'
import { conversationTables } from '../../plugin/im/store.ts'
import { jobServices } from '../helpers/jobs.ts'
import { msgId, viewers } from '../helpers/im.ts'

const day = 86_400_000
const hour = 3_600_000

/** Every plugin table with a conversation_id column, read from the schema itself. */
async function tablesWithConversationId (knex: Knex, dialect: 'mysql' | 'sqlite'): Promise<string[]> {
  if (dialect === 'mysql') {
    const [rows] = await knex.raw("select table_name as t from information_schema.columns where table_schema = database() and column_name = 'conversation_id' and table_name like 'lc\\_%'") as [Array<{ t: string }>]
    return rows.map((r) => r.t).sort()
  }
  const tables = await knex.raw("select name from sqlite_master where type = 'table' and name like 'lc\\_%' escape '\\'") as Array<{ name: string }>
  const out: string[] = []
  for (const { name } of tables) {
    const columns = await knex.raw(`pragma table_info("${name}")`) as Array<{ name: string }>
    if (columns.some((c) => c.name === 'conversation_id')) out.push(name)
  }
  return out.sort()
}

/** Rows per conversation table (lc_im_conversations included) of one conversation. */
async function rowsOf (knex: Knex, id: number): Promise<Record<string, number>> {
  const out: Record<string, number> = { lc_im_conversations: Number((await knex('lc_im_conversations').where('id', id).count({ n: '*' }).first())?.n ?? 0) }
  for (const table of conversationTables) out[table] = Number((await knex(table).where('conversation_id', id).count({ n: '*' }).first())?.n ?? 0)
  return out
}

t.test('purge of deleted instant message threads, and the im-idle job', async (t) => {
  let now = Date.UTC(2026, 10, 21, 12, 0, 0)
  const clock = (): number => now
  const s = await jobServices(t, { clock })
  const viewer = viewers(s, s.settings)
  const alice = await viewer('alice')
  const bob = await viewer('bob')
  const admin = await viewer('admin')

  /** A thread with a few messages, left by both (so inactive), deleted now unless told not to. */
  async function deletedThread (body: string, deleted = true): Promise<number> {
    const { conversation } = await s.im.startThread(alice, { agentIds: [bob.id], body, clientMsgId: msgId() })
    await s.im.post(bob, conversation.id, 'Reply', msgId())
    await s.im.leave(bob, conversation.id)
    await s.im.leave(alice, conversation.id)
    if (deleted) t.same(await s.im.deleteThreads(alice, [conversation.id]), [{ id: conversation.id, ok: true }])
    return conversation.id
  }

  t.test('every plugin table with a conversation_id column is in the purge\'s list', async (t) => {
    // A new table of conversation data must be added to conversationTables (plugin/im/store.ts), or purged threads would leave rows behind.
    t.same(await tablesWithConversationId(s.knex, s.dialect), [...conversationTables].sort())
  })

  t.test('removes exactly the threads deleted more than purgeAfterDays ago, with their participants and messages', async (t) => {
    const doomed = await deletedThread('Doomed')
    const edge = await deletedThread('Edge')
    const restored = await deletedThread('Restored')
    const live = await deletedThread('Live', false)
    const room = (await s.im.createRoom(admin, { name: 'Kept room', access: [{ kind: 'role', ref: 'agent' }] })).id
    await s.im.post(alice, room, 'Rooms are never purged', msgId())
    now += 60 * day
    const recent = await deletedThread('Recent')
    now += 30 * day
    // edge was deleted exactly 90 days ago: kept until it is older than that.
    await s.knex('lc_im_conversations').where('id', doomed).update({ deleted_at: now - 91 * day })
    t.same(await s.im.undeleteThreads(alice, [restored]), [{ id: restored, ok: true }])

    const before = await rowsOf(s.knex, doomed)
    for (const [table, n] of Object.entries(before)) if (table !== 'lc_im_room_access') t.ok(n > 0, `the doomed thread has rows in ${table}`)
    const kept = new Map<number, Record<string, number>>()
    for (const id of [edge, restored, live, recent, room]) kept.set(id, await rowsOf(s.knex, id))

    const run = await s.jobs.run('purge')
    t.equal(run?.error ?? null, null)
    const rows = before.lc_im_conversations! + before.lc_im_messages! + before.lc_im_participants!
    t.equal(run?.summary, `No deleted chats older than 90 days; Purged 1 instant message conversation deleted more than 90 days ago: ${before.lc_im_messages} messages, ${rows} rows in all`)
    t.equal(run?.rows, rows)
    t.same(Object.values(await rowsOf(s.knex, doomed)), Object.values(before).map(() => 0), 'nothing of it is left')
    for (const [id, rows] of kept) t.same(await rowsOf(s.knex, id), rows, `conversation ${id} is untouched`)
    t.equal((await s.jobs.run('purge'))?.rows, 0, 'a second run finds nothing')

    now += day
    t.match((await s.jobs.run('purge'))?.summary, /Purged 1 instant message conversation /, 'a day later the edge one goes')
    t.equal((await rowsOf(s.knex, edge)).lc_im_conversations, 0)
    t.equal((await rowsOf(s.knex, recent)).lc_im_conversations, 1)
  })

  t.test('batches: many threads go a few per transaction, all of them', async (t) => {
    const ids: number[] = []
    for (let i = 0; i < 5; i++) ids.push(await deletedThread(`Batch ${i}`))
    await s.knex('lc_im_conversations').whereIn('id', ids).update({ deleted_at: now - 200 * day })
    let messages = 0
    for (const id of ids) messages += (await rowsOf(s.knex, id)).lc_im_messages!
    const purge = createImPurge({ im: s.im, clock, afterDays: 90, batchSize: 2, targetMs: Infinity })
    const result = await purge()
    t.equal(result.conversations, 5)
    t.equal(result.batches, 3)
    t.equal(result.byTable.lc_im_messages, messages)
    for (const id of ids) t.equal((await rowsOf(s.knex, id)).lc_im_conversations, 0)
  })

  t.test('im-idle: threads without a message for imInactiveHours become inactive', async (t) => {
    const { conversation: idle } = await s.im.startThread(alice, { agentIds: [bob.id], body: 'Anyone?', clientMsgId: msgId() })
    now += 23 * hour
    const { conversation: busy } = await s.im.startThread(alice, { agentIds: [bob.id], body: 'Still here', clientMsgId: msgId() })
    now += 2 * hour
    const run = await s.jobs.run('im-idle')
    t.equal(run?.summary, 'Made 1 instant message conversation inactive after 24 hours without a message')
    t.equal((await s.im.get(alice, idle.id)).status, 'inactive')
    t.equal((await s.im.get(alice, busy.id)).status, 'active')
    t.equal((await s.jobs.run('im-idle'))?.rows, 0)
  })
})
