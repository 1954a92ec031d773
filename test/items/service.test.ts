import t from 'tap'
import { createItemService } from '../../plugin/items/service.ts'
import { given, services } from '../helpers/given.ts'

t.test('chat item service', async (t) => {
  const s = await services(t)
  const items = createItemService({ db: s.knex, chats: s.chats, host: s.host })
  const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => await p.then(() => undefined, (err: { code?: string }) => err.code)
  const ticket = await s.host.createTicket({ kind: 'incident', summary: 'VPN drops every hour', description: 'From a chat', requesterId: null, assigneeId: null, chatId: null })

  t.test('each kind is checked and stored with who added it; newest first', async (t) => {
    const { chat } = await given.activeChat(s, 'alice')
    const alice = await s.scope('alice')
    const task = await items.add(chat.id, alice, 'task', { title: '  Call back tomorrow ', due: '2026-12-01', note: '' })
    t.match(task, { kind: 'task', title: 'Call back tomorrow', dueOn: '2026-12-01', note: null, createdBy: alice.id, createdByName: 'Alice Adams', doneAt: null })
    const log = await items.add(chat.id, alice, 'time_log', { minutes: '1440', note: 'Remote session' })
    t.match(log, { kind: 'time_log', minutes: 1440, note: 'Remote session' })
    const call = await items.add(chat.id, alice, 'call_log', { direction: 'out', minutes: '5' })
    t.match(call, { kind: 'call_log', direction: 'out', minutes: 5 })
    const linked = await items.add(chat.id, alice, 'ticket', { ref: ` ${ticket.ref} ` })
    t.match(linked, { kind: 'ticket', ticketRef: ticket.ref, ticketUrl: ticket.url, title: 'VPN drops every hour' })
    t.same((await items.list(chat.id, alice)).items.map((i) => i.kind), ['ticket', 'call_log', 'time_log', 'task'])
    t.equal(await items.ticketStatus(ticket.ref), ticket.status)
  })

  t.test('refusals store nothing', async (t) => {
    const { chat } = await given.activeChat(s, 'alice')
    const alice = await s.scope('alice')
    t.equal(await codeOf(items.add(chat.id, alice, 'task', { title: '   ' })), 'LC_ERR_ITEM_TITLE')
    t.equal(await codeOf(items.add(chat.id, alice, 'task', { title: 'x'.repeat(201) })), 'LC_ERR_ITEM_TITLE')
    t.equal(await codeOf(items.add(chat.id, alice, 'task', { title: 'ok', due: '2026-02-30' })), 'LC_ERR_ITEM_DUE')
    t.equal(await codeOf(items.add(chat.id, alice, 'task', { title: 'ok', due: 'tomorrow' })), 'LC_ERR_ITEM_DUE')
    t.equal(await codeOf(items.add(chat.id, alice, 'task', { title: 'ok', due: '2026-13-01' })), 'LC_ERR_ITEM_DUE')
    t.equal(await codeOf(items.add(chat.id, alice, 'task', { title: 'ok', note: '😀'.repeat(2001) })), 'LC_ERR_ITEM_NOTE')
    for (const minutes of ['0', '1441', '1.5', '', 'ten', '-3']) {
      t.equal(await codeOf(items.add(chat.id, alice, 'time_log', { minutes })), 'LC_ERR_ITEM_MINUTES', `minutes "${minutes}"`)
    }
    t.equal(await codeOf(items.add(chat.id, alice, 'call_log', { direction: 'in' })), 'LC_ERR_ITEM_MINUTES')
    t.equal(await codeOf(items.add(chat.id, alice, 'ticket', { ref: ' ' })), 'LC_ERR_ITEM_TICKET_REF')
    t.equal(await codeOf(items.add(chat.id, alice, 'ticket', { ref: 'INC999999' })), 'LC_ERR_ITEM_TICKET_UNKNOWN')
    t.same((await items.list(chat.id, alice)).items, [])
    await items.add(chat.id, alice, 'ticket', { ref: ticket.ref })
    t.equal(await codeOf(items.add(chat.id, alice, 'ticket', { ref: ticket.ref })), 'LC_ERR_ITEM_TICKET_LINKED')
    t.equal((await items.list(chat.id, alice)).items.length, 1)
  })

  t.test('two agents linking the same ticket at once: one link, the other told it is linked', async (t) => {
    const { chat } = await given.queuedChat(s)
    const [alice, bob] = [await s.scope('alice'), await s.scope('bob')]
    const results = await Promise.all([alice, bob, alice].map(async (who) => await codeOf(items.add(chat.id, who, 'ticket', { ref: ticket.ref }))))
    t.equal(results.filter((r) => r === undefined).length, 1)
    t.equal(results.filter((r) => r === 'LC_ERR_ITEM_TICKET_LINKED').length, 2)
  })

  t.test('done, delete and who may; chats out of sight are not found; History records it all', async (t) => {
    const { chat } = await given.queuedChat(s)
    const [alice, bob, sam] = [await s.scope('alice'), await s.scope('bob'), await s.scope('sam')]
    const task = await items.add(chat.id, alice, 'task', { title: 'Check the logs' })
    const log = await items.add(chat.id, alice, 'time_log', { minutes: '10' })
    t.ok((await items.setDone(chat.id, task.id, bob, true)).doneAt, 'anyone who sees the chat may tick a task')
    t.equal((await items.setDone(chat.id, task.id, bob, false)).doneAt, null)
    t.equal(await codeOf(items.setDone(chat.id, log.id, alice, true)), 'LC_ERR_ITEM_NOT_FOUND', 'only tasks are done')
    t.equal(await codeOf(items.remove(chat.id, task.id, bob)), 'LC_ERR_ITEM_NOT_YOURS')
    t.equal(await codeOf(items.list(chat.id, await s.scope('carol'))), 'LC_ERR_CHAT_NOT_FOUND')
    t.equal(await codeOf(items.add(chat.id, await s.scope('carol'), 'task', { title: 'x' })), 'LC_ERR_CHAT_NOT_FOUND')
    const other = await given.queuedChat(s)
    t.equal(await codeOf(items.remove(other.chat.id, task.id, alice)), 'LC_ERR_ITEM_NOT_FOUND', 'an item of another chat')
    await items.remove(chat.id, task.id, sam)
    await items.remove(chat.id, log.id, alice)
    t.equal(await codeOf(items.remove(chat.id, log.id, alice)), 'LC_ERR_ITEM_NOT_FOUND')
    const history = (await s.knex('lc_chat_history').where('chat_id', chat.id).orderBy('id')).map((r) => r.action as string)
    t.same(history.filter((a) => /item|task/.test(a)), ['item_added', 'item_added', 'task_done', 'task_reopened', 'item_deleted', 'item_deleted'])
  })

  t.test('a help desk that fails to answer leaves the status unknown; deleting the chat deletes its items', async (t) => {
    const { chat } = await given.activeChat(s, 'alice')
    const failing = createItemService({ db: s.knex, chats: s.chats, host: { ...s.host, getTicket: async () => { throw new Error('desk down') } } })
    t.equal(await failing.ticketStatus(ticket.ref), null)
    await items.add(chat.id, await s.scope('alice'), 'task', { title: 'Gone with the chat' })
    await s.knex('lc_chats').where('id', chat.id).delete()
    t.equal((await s.knex('lc_chat_items').where('chat_id', chat.id)).length, 0)
  })
})
