import t from 'tap'
import { eventForm } from '../../plugin/manual-events/schemas.ts'
import { createManualEventService } from '../../plugin/manual-events/service.ts'
import { given, services } from '../helpers/given.ts'

t.test('manual event service', async (t) => {
  const s = await services(t)
  const events = createManualEventService({ db: s.knex, chats: s.chats })
  const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => await p.then(() => undefined, (err: { code?: string }) => err.code)
  const [hold, escalate] = await events.list()

  t.test('the demo desk has Put on hold (the customer sees it) and Escalation requested (agents only)', async (t) => {
    t.same([hold!.name, hold!.agentsOnly, escalate!.name, escalate!.agentsOnly], ['Put on hold', false, 'Escalation requested', true])
  })

  t.test('the form: name and text required and bounded; names unique ignoring case', async (t) => {
    t.same(Object.keys(eventForm.read({ name: ' ', body: 'x'.repeat(501) }).errors).sort(), ['body', 'name'])
    t.same(eventForm.read({ name: ' Wait ', body: ' Please wait\r\n ', agents_only: 'on' }).input, { name: 'Wait', body: 'Please wait', agentsOnly: true })
    t.equal(await codeOf(events.create({ name: 'PUT ON HOLD', body: 'x', agentsOnly: false })), 'LC_ERR_EVENT_NAME_TAKEN')
    const extra = await events.create({ name: 'Callback booked', body: 'We will call you back', agentsOnly: false })
    t.equal(await codeOf(events.update(extra.id, { name: 'put on hold', body: 'x', agentsOnly: false })), 'LC_ERR_EVENT_NAME_TAKEN')
    await events.move(extra.id, 'up')
    t.same((await events.list()).map((e) => e.name), ['Put on hold', 'Callback booked', 'Escalation requested'])
    await events.remove(extra.id)
    t.equal(await codeOf(events.remove(extra.id)), 'LC_ERR_EVENT_NOT_FOUND')
  })

  t.test('performing: the next seq, both sides or agents only, with History, told on the bus', async (t) => {
    const { chat } = await given.activeChat(s, 'alice')
    const alice = await s.scope('alice')
    const done = await events.perform(chat.id, hold!.id, alice)
    t.equal(done.message.seq, chat.lastSeq + 1)
    t.same([done.message.kind, done.message.authorKind, done.message.body], ['event', 'agent', 'The agent has put the chat on hold; please wait'])
    const note = await events.perform(chat.id, escalate!.id, await s.scope('sam'))
    t.same([note.message.kind, note.message.seq, note.message.authorName], ['note', chat.lastSeq + 2, 'Sam Supervisor'], 'a supervisor watching may too')
    const customerSees = (await s.chats.customerMessages(chat.id)).map((m) => m.body)
    t.ok(customerSees.includes('The agent has put the chat on hold; please wait'))
    t.notOk(customerSees.includes(escalate!.body), 'the customer never gets the agents-only note')
    const rows = await s.knex('lc_chat_history').where({ chat_id: chat.id, action: 'manual_event' }).orderBy('id')
    t.same(rows.map((r) => [r.actor_name, JSON.parse(r.data).name]), [['Alice Adams', 'Put on hold'], ['Sam Supervisor', 'Escalation requested']])
    await new Promise((resolve) => setImmediate(resolve))
    t.same(s.events.filter((e) => e.type === 'chat.message' && e.chatId === chat.id && e.message.seq > chat.lastSeq).map((e) => e.type === 'chat.message' && e.message.kind), ['event', 'note'])
  })

  t.test('only on an active chat of one\'s own (or supervised): 409 otherwise, nothing written', async (t) => {
    const { chat: queued } = await given.queuedChat(s)
    t.equal(await codeOf(events.perform(queued.id, hold!.id, await s.scope('alice'))), 'LC_ERR_EVENT_CHAT_NOT_ACTIVE')
    const { chat } = await given.activeChat(s, 'alice')
    t.equal(await codeOf(events.perform(chat.id, hold!.id, await s.scope('bob'))), 'LC_ERR_CHAT_NOT_FOUND', 'another agent of the group')
    t.equal(await codeOf(events.perform(chat.id, 99999, await s.scope('alice'))), 'LC_ERR_EVENT_NOT_FOUND')
    const ended = await s.chats.endChat(chat.id, { kind: 'agent', id: (await s.user('alice')).id, name: 'Alice Adams' })
    const message = await events.perform(chat.id, hold!.id, await s.scope('sam')).then(() => '', (err: Error & { code?: string }) => `${err.code}: ${err.message}`)
    t.equal(message, 'LC_ERR_EVENT_CHAT_NOT_ACTIVE: Manual events can be performed only on an active chat, and this one is ended; refresh to see where it stands')
    t.equal((await s.chats.get(chat.id)).lastSeq, ended.lastSeq, 'nothing written')
    // The race: the chat ends between the check and the write; the seq-taking UPDATE refuses it.
    t.equal(await codeOf(s.chats.postManualEvent(chat.id, { kind: 'agent', id: '1', name: 'X' }, 'x', false, { action: 'manual_event' })), 'LC_ERR_CHAT_STATE_CONFLICT')
  })
})
