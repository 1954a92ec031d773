import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { chatTables } from '../../plugin/chats/purge-store.ts'
import { conversationTables } from '../../plugin/im/store.ts'
import { itemGuard } from '../../plugin/jobs/item-failures.ts'
import { createPurge } from '../../plugin/jobs/purge.ts'
import { jobModel } from '../../plugin/jobs/view-models.ts'
import { render } from '../../plugin/web/views.ts'
import { given } from '../helpers/given.ts'
import { msgId, viewers } from '../helpers/im.ts'
import { jobServices } from '../helpers/jobs.ts'

const minute = 60_000
const day = 86_400_000

t.test('purge: one chat or IM conversation it cannot remove does not stop it', async (t) => {
  let now = Date.UTC(2026, 10, 21, 12, 0, 0)
  const clock = (): number => now
  const s = await jobServices(t, { clock })
  await s.knex('lc_group_members').update({ max_chats: 50 })
  await s.knex('lc_agent_presence').update({ max_chats: 50 })

  /**
   * Makes the database itself refuse to delete one chat's (or conversation's) messages, as a
   * legal hold set by a database administrator would: the purge's DELETE fails for real.
   */
  const holds: string[] = []
  async function hold (table: 'lc_messages' | 'lc_im_messages', column: 'chat_id' | 'conversation_id', id: number): Promise<void> {
    const name = `lc_test_hold_${table}_${id}`
    if (s.dialect === 'mysql') {
      await s.knex.raw(`create trigger ${name} before delete on ${table} for each row begin if old.${column} = ${id} then signal sqlstate '45000' set message_text = 'held for legal review'; end if; end`)
    } else {
      await s.knex.raw(`create trigger ${name} before delete on ${table} when old.${column} = ${id} begin select raise(abort, 'held for legal review'); end`)
    }
    holds.push(name)
  }
  async function release (table: string, id: number): Promise<void> {
    await s.knex.raw(`drop trigger ${`lc_test_hold_${table}_${id}`}`)
    holds.splice(holds.indexOf(`lc_test_hold_${table}_${id}`), 1)
  }
  t.teardown(async () => { for (const name of holds) await s.knex.raw(`drop trigger if exists ${name}`) })

  let fileCounter = 0
  /** A closed chat with messages and a file on disk, deleted `daysAgo` days ago. */
  async function deletedChat (name: string, daysAgo = 100): Promise<number> {
    const { chat } = await given.activeChat(s, 'alice')
    await s.chats.postMessage(chat.id, { kind: 'customer', id: null, name }, 'Still broken', null)
    await s.chats.endChat(chat.id, { kind: 'agent', id: chat.agentId, name: 'Alice Adams' })
    const storage = `${++fileCounter}`.padStart(48, 'c')
    await writeFile(join(s.uploadDir, storage), `log of ${name}`)
    await s.knex('lc_chat_files').insert({ chat_id: chat.id, storage_name: storage, name: 'log.txt', type: 'text/plain', size: 10, sha256: '0'.repeat(64), author_kind: 'customer', author_id: null, author_name: name, created_at: now })
    await s.knex('lc_chats').where('id', chat.id).update({ deleted_at: now - daysAgo * day })
    return chat.id
  }
  async function chatRows (chatId: number): Promise<Record<string, number>> {
    const out: Record<string, number> = { lc_chats: Number((await s.knex('lc_chats').where('id', chatId).count({ n: '*' }).first())?.n ?? 0) }
    for (const table of chatTables) out[table] = Number((await s.knex(table).where('chat_id', chatId).count({ n: '*' }).first())?.n ?? 0)
    return out
  }
  async function filesOf (chatId: number): Promise<string[]> {
    return (await s.knex('lc_chat_files').where('chat_id', chatId).select('storage_name')).map((r: { storage_name: string }) => join(s.uploadDir, r.storage_name))
  }

  const viewer = viewers(s, s.settings)
  const alice = await viewer('alice')
  const bob = await viewer('bob')
  /** A thread both left and Alice deleted, `daysAgo` days ago. */
  async function deletedThread (body: string, daysAgo = 100): Promise<number> {
    const { conversation } = await s.im.startThread(alice, { agentIds: [bob.id], body, clientMsgId: msgId() })
    await s.im.post(bob, conversation.id, 'Reply', msgId())
    await s.im.leave(bob, conversation.id)
    await s.im.leave(alice, conversation.id)
    await s.im.deleteThreads(alice, [conversation.id])
    await s.knex('lc_im_conversations').where('id', conversation.id).update({ deleted_at: now - daysAgo * day })
    return conversation.id
  }
  async function threadRows (id: number): Promise<Record<string, number>> {
    const out: Record<string, number> = { lc_im_conversations: Number((await s.knex('lc_im_conversations').where('id', id).count({ n: '*' }).first())?.n ?? 0) }
    for (const table of conversationTables) out[table] = Number((await s.knex(table).where('conversation_id', id).count({ n: '*' }).first())?.n ?? 0)
    return out
  }
  const failure = async (item: string) => await s.knex('lc_job_item_failures').where({ job: 'purge', item }).first()

  t.test('the others go, the bad ones stay whole and are recorded, retried only after their backoff', async (t) => {
    const first = await deletedChat('First')
    const bad = await deletedChat('Held')
    const last = await deletedChat('Last')
    const threadBefore = await deletedThread('Before')
    const badThread = await deletedThread('Held thread')
    const threadAfter = await deletedThread('After')
    await hold('lc_messages', 'chat_id', bad)
    await hold('lc_im_messages', 'conversation_id', badThread)
    const badRows = await chatRows(bad)
    const badFiles = await filesOf(bad)
    const badThreadRows = await threadRows(badThread)
    const goneFiles = [...await filesOf(first), ...await filesOf(last)]
    t.ok(badRows.lc_messages! > 0 && badThreadRows.lc_im_messages! > 0)

    const run = await s.jobs.run('purge')
    t.equal(run?.thrown, undefined, 'the run is not stopped')
    for (const id of [first, last]) t.equal((await chatRows(id)).lc_chats, 0, `chat ${id} is purged`)
    for (const file of goneFiles) t.notOk(existsSync(file), 'with its file')
    t.same(await chatRows(bad), badRows, 'the bad chat keeps every row')
    for (const file of badFiles) t.ok(existsSync(file), 'and its file on disk')
    for (const id of [threadBefore, threadAfter]) t.equal((await threadRows(id)).lc_im_conversations, 0, `thread ${id} is purged`)
    t.same(await threadRows(badThread), badThreadRows, 'the bad thread keeps every row')

    t.match(run?.error, new RegExp(`^1 chat and 1 IM conversation skipped, retried later \\(#${bad}: [^;]*held for legal review; IM conversation #${badThread}: [^;]*held for legal review\\)$`))
    t.match(run?.summary, /^Purged 2 chats deleted more than 90 days ago .*; Purged 2 instant message conversations .*; 1 chat and 1 IM conversation failed and will be retried$/)
    for (const item of [String(bad), `im:${badThread}`]) {
      const recorded = await failure(item)
      t.equal(Number(recorded.attempts), 1, `${item} is recorded`)
      t.equal(Number(recorded.next_attempt_at), now + minute)
      t.match(recorded.error, /held for legal review/)
      t.notMatch(recorded.error, /delete from/i, 'the database\'s reason, not the statement')
    }

    await t.test('the jobs page tells the chat from the conversation', async (t) => {
      const job = (await s.jobs.overview()).find((j) => j.id === 'purge')!
      const html = render('jobs/job', jobModel('/livechat', job, now))
      t.match(html, 'Failing items (2)')
      t.match(html, new RegExp(`<tr data-item="${bad}" data-attempts="1">\\s*<td>Chat #${bad}</td>`))
      t.match(html, new RegExp(`<tr data-item="im:${badThread}" data-attempts="1">\\s*<td>IM conversation #${badThread}</td>`))
    })

    now += minute - 1
    const waiting = await s.jobs.run('purge')
    t.equal(waiting?.error, null, 'items waiting for their retry are no new failure')
    t.equal(waiting?.rows, 0)
    t.match(waiting?.summary, /; 2 failed before and wait for their retry$/)
    t.equal(Number((await failure(String(bad))).attempts), 1, 'not tried before its minute is up')
    t.equal(Number((await failure(`im:${badThread}`)).attempts), 1)

    now += 1
    const again = await s.jobs.run('purge')
    t.match(again?.error, /^1 chat and 1 IM conversation skipped/, 'tried on the minute, and refused still')
    t.equal(Number((await failure(String(bad))).attempts), 2)
    t.equal(Number((await failure(String(bad))).next_attempt_at), now + 2 * minute, 'the wait doubles')

    await release('lc_messages', bad)
    await release('lc_im_messages', badThread)
    now += 2 * minute - 1
    t.equal((await s.jobs.run('purge'))?.rows, 0, 'released, but still waiting')
    now += 1
    const retried = await s.jobs.run('purge')
    t.equal(retried?.error, null)
    t.match(retried?.summary, /^Purged 1 chat .*; Purged 1 instant message conversation /)
    t.same(Object.values(await chatRows(bad)), Object.values(badRows).map(() => 0), 'the chat is purged')
    for (const file of badFiles) t.notOk(existsSync(file), 'with its file')
    t.equal((await threadRows(badThread)).lc_im_conversations, 0, 'the thread is purged')
    t.equal(await failure(String(bad)), undefined, 'their records are cleared')
    t.equal(await failure(`im:${badThread}`), undefined)
    t.same((await s.jobs.overview()).find((j) => j.id === 'purge')!.failures, [])
  })

  t.test('batches start after the last chat met, so a bad chat first in line never stands in front of the rest', async (t) => {
    const bad = await deletedChat('Held first')
    const others = [await deletedChat('Second'), await deletedChat('Third')]
    await hold('lc_messages', 'chat_id', bad)
    const items = itemGuard(s.knex, 'purge', clock, { warn: () => {} })
    const purge = createPurge({ chats: s.chats, files: s.files, clock, afterDays: 90, batchSize: 1, targetMs: Infinity, restRatio: 0 })
    const result = await purge(undefined, items)
    t.equal(result.chats, 2)
    for (const id of others) t.equal((await chatRows(id)).lc_chats, 0)
    t.equal((await chatRows(bad)).lc_chats, 1)
    t.same(items.failedNow.map((f) => f.item), [String(bad)])

    const waiting = itemGuard(s.knex, 'purge', clock, { warn: () => {} })
    t.equal((await purge(undefined, waiting)).chats, 0, 'a run before its backoff passes does not try it')
    t.equal(waiting.waiting, 1)
    t.equal(Number((await failure(String(bad))).attempts), 1)
    await release('lc_messages', bad)
  })

  t.test('without a guard a batch that fails is thrown, as before', async (t) => {
    const bad = await deletedChat('Held, unguarded')
    await hold('lc_messages', 'chat_id', bad)
    await t.rejects(s.chats.purgeDeleted(now - 90 * day, 10), /held for legal review/)
    t.equal((await chatRows(bad)).lc_chats, 1)
    await release('lc_messages', bad)
  })
})
