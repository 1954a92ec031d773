import t from 'tap'
import { createCommentService } from '../../plugin/comments/service.ts'
import { type AgentScope, type Chat, mayDelete } from '../../plugin/chats/types.ts'
import { createFieldService } from '../../plugin/fields/service.ts'
import type { SearchQuery } from '../../plugin/search/schemas.ts'
import { createSearchService, listSearchProblem, parseChatNumber, parseDay, readCriteria, type SearchOptions } from '../../plugin/search/service.ts'
import { given, services } from '../helpers/given.ts'

const at = (iso: string): number => Date.parse(`${iso}T12:00:00Z`)

t.test('readCriteria: every field read, every mistake beside its field, nothing searched then', async (t) => {
  const options: SearchOptions = {
    departments: [{ name: 'Support', groups: [{ id: 1, name: 'Support L1' }, { id: 2, name: 'Support L2' }] }],
    groupLabels: new Map([[1, 'Support / Support L1'], [2, 'Support / Support L2'], [3, 'Sales / Sales']]),
    agents: [{ id: '7', name: 'Alice Adams' }],
    fields: [
      { id: 10, label: 'Order number', key: 'order_number', type: 'number', options: [], required: false, onPrechat: true, sortOrder: 1 },
      { id: 11, label: 'Product', key: 'product', type: 'choice', options: ['Laptop', 'Phone'], required: false, onPrechat: false, sortOrder: 2 },
      { id: 12, label: 'Serial', key: 'serial', type: 'text', options: [], required: false, onPrechat: false, sortOrder: 3 }
    ]
  }
  const read = (q: Record<string, string>) => readCriteria(q as SearchQuery, options)

  const ok = read({ in: 'deleted', number: '#42', q: ' VPN tunnel ', email: 'dana@', name: 'Dana', username: 'ddoyle', from: '2026-01-01', to: '2026-01-31', group: '2', agent: '7', status: 'ended', sort: 'oldest', max: '100', cf_order_number: '4,471', cf_product: 'Phone', cf_serial: 'SN-1' })
  t.same(ok.form.errors, {})
  t.match(ok.criteria, {
    filter: {
      deleted: true,
      chatId: 42,
      text: 'VPN tunnel',
      email: 'dana@',
      name: 'Dana',
      username: 'ddoyle',
      from: Date.UTC(2026, 0, 1),
      until: Date.UTC(2026, 1, 1),
      groupId: 2,
      agentId: '7',
      status: 'ended',
      fields: [{ fieldId: 10, match: 'equals', value: '4471' }, { fieldId: 11, match: 'equals', value: 'Phone' }, { fieldId: 12, match: 'contains', value: 'SN-1' }]
    },
    order: { by: 'oldest', limit: 100 },
    words: ['vpn', 'tunnel']
  })
  t.match(read({}).criteria, { filter: { deleted: false }, order: { by: 'relevance', limit: 50 } }, 'nothing filled in: every chat one may see, best first, 50')

  const refused = (q: Record<string, string>): Record<string, string> => {
    const { form, criteria } = read(q)
    t.equal(criteria, undefined, `nothing to search with ${JSON.stringify(q)}`)
    t.same(form.values, q, 'every value kept as typed')
    return Object.fromEntries(Object.entries(form.errors).map(([k, e]) => [k, e.code]))
  }
  t.same(refused({ number: 'abc' }), { number: 'LC_ERR_SEARCH_CHAT_NUMBER' })
  t.same(refused({ number: '99999999999' }), { number: 'LC_ERR_SEARCH_CHAT_NUMBER' }, 'beyond any chat id')
  t.same(refused({ from: '2026-02-30' }), { from: 'LC_ERR_SEARCH_DATE' }, 'not a calendar day')
  t.same(refused({ to: 'yesterday' }), { to: 'LC_ERR_SEARCH_DATE' })
  t.same(refused({ from: '2026-03-02', to: '2026-03-01' }), { to: 'LC_ERR_SEARCH_DATE_RANGE' })
  t.same(refused({ max: '1000' }), { max: 'LC_ERR_SEARCH_MAX' }, 'above the cap of 500')
  t.same(refused({ max: '0' }), { max: 'LC_ERR_SEARCH_MAX' })
  t.same(refused({ max: 'lots' }), { max: 'LC_ERR_SEARCH_MAX' })
  t.same(refused({ group: '3' }), { group: 'LC_ERR_SEARCH_GROUP' }, 'a group the agent may not see')
  t.same(refused({ group: '999999' }), { group: 'LC_ERR_SEARCH_GROUP' })
  t.same(refused({ agent: 'nobody' }), { agent: 'LC_ERR_SEARCH_AGENT' })
  for (const hostile of ['"', '*', '+-', "')", 'the and of', '"*"']) t.same(refused({ q: hostile }), { q: 'LC_ERR_SEARCH_TEXT' }, `nothing to search for in ${hostile}`)
  t.same(refused({ q: 'x'.repeat(501) }), { q: 'LC_ERR_SEARCH_TEXT_LONG' })
  t.same(refused({ cf_order_number: 'many' }), { cf_order_number: 'LC_ERR_SEARCH_FIELD_VALUE' })
  t.same(refused({ cf_product: 'Car' }), { cf_product: 'LC_ERR_SEARCH_FIELD_VALUE' })
  t.same(refused({ cf_gone: 'x' }), { fields: 'LC_ERR_SEARCH_FIELD' }, 'a field deleted since the link was kept')
  t.same(refused({ number: 'x', from: 'x', max: '501', group: 'x', agent: 'x' }), { number: 'LC_ERR_SEARCH_CHAT_NUMBER', from: 'LC_ERR_SEARCH_DATE', max: 'LC_ERR_SEARCH_MAX', group: 'LC_ERR_SEARCH_GROUP', agent: 'LC_ERR_SEARCH_AGENT' }, 'every problem at once')

  t.equal(parseDay('2024-02-29'), Date.UTC(2024, 1, 29), 'a leap day')
  t.equal(parseDay('2023-02-29'), null)
  t.equal(parseChatNumber('# 17'), 17)
  t.equal(listSearchProblem('#7'), null, 'a chat number alone is a fine basic search')
  t.equal(listSearchProblem('*')?.code, 'LC_ERR_SEARCH_TEXT')
  t.equal(listSearchProblem('1'.repeat(600))?.code, 'LC_ERR_SEARCH_TEXT_LONG')
})

t.test('search service on this database', async (t) => {
  const s = await services(t)
  const fields = createFieldService({ db: s.knex, chats: s.chats })
  const comments = createCommentService({ db: s.knex, bus: s.bus, chats: s.chats })
  const search = createSearchService({ db: s.knex, chats: s.chats, routing: s.routing, fields, host: s.host })
  await fields.create({ label: 'Serial', key: 'serial', type: 'text', options: [], required: false, onPrechat: false })
  const [alice, bob, carol, sam, admin] = [await s.scope('alice'), await s.scope('bob'), await s.scope('carol'), await s.scope('sam'), await s.scope('admin')]
  const aliceId = alice.id
  const say = async (chat: Chat, scope: AgentScope, text: string) => { await s.chats.postMessage(chat.id, { kind: 'agent', id: scope.id, name: scope.name }, text, null) }
  const end = async (chat: Chat, scope: AgentScope) => await s.chats.endChat(chat.id, { kind: 'agent', id: scope.id, name: scope.name })
  const startedOn = async (chat: Chat, iso: string) => { await s.knex('lc_chats').where({ id: chat.id }).update({ created_at: at(iso) }) }

  // A: alice's, ended; the printer many times. B: alice's, active; the printer once. C: carol's in Support L2.
  // D: waiting in Support L1. E: bob's, ended, in Support L1 (alice may not open it). F: carol's in Sales.
  const a = (await given.activeChat(s, 'alice')).chat
  await say(a, alice, 'The printer jams. The printer on floor three, that printer again.')
  await s.chats.postMessage(a.id, { kind: 'customer', id: null, name: 'Dana Doyle' }, 'Yes the printer, it shows error 0x51', null)
  await fields.save(a.id, alice, { serial: 'SN-5521-ZX', order_number: '4471', product: 'Laptop' })
  await comments.add(a.id, alice, { body: 'Replaced the fuser unit; resolved', resolution: true })
  await end(a, alice)
  await startedOn(a, '2026-01-10')
  const b = (await given.activeChat(s, 'alice')).chat
  await say(b, alice, 'Let me check the printer queue for you')
  await startedOn(b, '2026-02-10')
  const c0 = await given.queuedChat(s, { name: 'Cid Level2', email: 'cid@elsewhere.example', question: 'Monitor flickers on the printer desk', group: 'Support L2' })
  const c = (await s.chats.acceptChat(c0.chat.id, carol)).chat
  await startedOn(c, '2026-03-10')
  const d = (await given.queuedChat(s, { name: 'Dee Waiting', email: 'dee@customer.example', question: 'Keyboard missing keys' })).chat
  const e = (await given.activeChat(s, 'bob')).chat
  await say(e, bob, 'bob found the keyboard driver')
  await end(e, bob)
  const f0 = await given.queuedChat(s, { name: 'Fay Sales', email: 'fay@buyer.example', question: 'Price of the keyboard bundle', group: 'Sales' })
  const f = (await s.chats.acceptChat(f0.chat.id, carol)).chat
  await s.knex('lc_chats').where({ id: d.id }).update({ customer_name: 'Dee 100% Real_Name', customer_username: 'dee.w' })
  await startedOn(d, '2026-04-10')
  await startedOn(e, '2026-05-10')
  await startedOn(f, '2026-06-10')

  const find = async (scope: AgentScope, q: Record<string, string>): Promise<number[]> => {
    const { criteria, form } = readCriteria(q as SearchQuery, await search.options(scope))
    if (!criteria) throw new Error(`refused: ${JSON.stringify(form.errors)}`)
    return (await search.find(criteria, scope)).map((h) => h.id)
  }
  const sorted = (ids: number[]) => [...ids].sort((x, y) => x - y)

  t.test('each criterion alone (as an administrator, who sees every chat)', async (t) => {
    t.same(await find(admin, { number: String(c.id) }), [c.id], 'chat number')
    t.same(await find(admin, { number: `#${d.id}` }), [d.id])
    t.same(sorted(await find(admin, { q: 'printer' })), sorted([a.id, b.id, c.id]), 'search string: messages and the question')
    t.same(await find(admin, { q: 'fuser' }), [a.id], 'comments and resolutions')
    t.same(await find(admin, { q: 'elsewhere' }), [c.id], 'the customer\'s email')
    t.same(await find(admin, { q: 'Fay' }), [f.id], 'the customer\'s name')
    t.same(await find(admin, { q: 'SN-5521' }), [a.id], 'a custom field\'s value')
    t.same(await find(admin, { q: 'Real_Name' }), [d.id], 'a word with an underscore, on both databases')
    t.same(await find(admin, { q: 'keyboard driver' }), [e.id], 'every word, in one message')
    t.same(sorted(await find(admin, { q: 'print' })), sorted([a.id, b.id, c.id]), 'a word finds the longer words it starts')
    t.same(await find(admin, { email: 'cid@elsewhere.example' }), [c.id], 'email: the whole address')
    t.same(await find(admin, { email: 'CID@' }), [c.id], 'email: its start, any case')
    t.same(await find(admin, { email: 'buyer.example' }), [f.id], 'email: a domain')
    t.same(await find(admin, { name: 'level2 cid' }), [c.id], 'name: every word, in any order')
    t.same(await find(admin, { name: '100%' }), [d.id], 'name: % is a character, not a wildcard')
    t.same(await find(admin, { name: 'Real_Name' }), [d.id])
    t.same(await find(admin, { name: 'Dee_100' }), [], '_ is not a wildcard either')
    t.same(await find(admin, { username: 'dee.' }), [d.id], 'username: its start')
    t.same(await find(admin, { username: 'w' }), [], 'username: not its middle')
    t.same(await find(admin, { from: '2026-02-01', to: '2026-02-28' }), [b.id], 'date range')
    t.same(await find(admin, { to: '2026-01-10' }), [a.id], 'the last day counts whole')
    t.same(await find(admin, { from: '2026-03-10', to: '2026-03-10' }), [c.id], 'one day')
    t.same(sorted(await find(admin, { group: String(await s.groupId('Sales')) })), [f.id], 'group')
    t.same(sorted(await find(admin, { agent: carol.id })), sorted([c.id, f.id]), 'agent')
    t.same(sorted(await find(admin, { status: 'queued' })), [d.id], 'status')
    t.same(sorted(await find(admin, { status: 'ended' })), sorted([a.id, e.id]))
    t.same(await find(admin, { cf_serial: '5521' }), [a.id], 'custom text field: holds')
    t.same(await find(admin, { cf_order_number: '4,471' }), [a.id], 'custom number field: the number')
    t.same(await find(admin, { cf_product: 'Laptop' }), [a.id], 'custom choice field')
    t.same(await find(admin, { cf_product: 'Phone' }), [])
    t.same(await find(admin, {}), [f.id, e.id, d.id, c.id, b.id, a.id], 'nothing filled in: every chat, newest first')
    t.same(await find(admin, { sort: 'oldest', max: '2' }), [a.id, b.id])
  })

  t.test('criteria combine with AND', async (t) => {
    t.same(await find(admin, { q: 'printer', agent: aliceId, from: '2026-01-01', to: '2026-01-31' }), [a.id], 'keyword + agent + date range')
    t.same(await find(admin, { q: 'printer', agent: aliceId, status: 'active' }), [b.id])
    t.same(await find(admin, { q: 'printer', group: String(await s.groupId('Support L2')) }), [c.id])
    t.same(await find(admin, { q: 'printer', email: 'cid@' }), [c.id])
    t.same(await find(admin, { q: 'printer', cf_product: 'Laptop', status: 'ended' }), [a.id])
    t.same(await find(admin, { q: 'printer', number: String(e.id) }), [], 'a chat that does not hold the words')
    t.same(await find(admin, { q: 'fuser', from: '2026-01-01', to: '2026-01-31' }), [a.id], 'a date range: found in a comment')
    t.same(await find(admin, { q: 'fuser', from: '2026-02-01', to: '2026-12-31' }), [], 'not outside it')
    t.same(sorted(await find(admin, { q: 'printer', from: '2026-01-01', to: '2026-03-31' })), sorted([a.id, b.id, c.id]))
    t.same(await find(admin, { q: 'printer', agent: carol.id, from: '2026-01-01', to: '2026-12-31' }), [c.id], 'another agent\'s')
    // A date range narrows the messages read before they are counted: each chat's relevance is the same.
    const hits = async (q: Record<string, string>) => await search.find(readCriteria(q as SearchQuery, await search.options(admin)).criteria!, admin)
    const whole = new Map((await hits({ q: 'printer' })).map((h) => [h.id, h]))
    for (const hit of await hits({ q: 'printer', from: '2026-01-01', to: '2026-03-31' })) t.same(hit, whole.get(hit.id), `#${hit.id} as found without the range`)
  })

  t.test('a search string orders by relevance unless a sort is chosen', async (t) => {
    t.same(await find(admin, { q: 'printer', group: String(await s.groupId('Support L1')) }), [a.id, b.id], 'the chat saying it five times first')
    t.same(await find(admin, { q: 'printer', group: String(await s.groupId('Support L1')), sort: 'oldest' }), [a.id, b.id])
    t.same(await find(admin, { q: 'printer', group: String(await s.groupId('Support L1')), sort: 'newest' }), [b.id, a.id])
    t.same(await find(admin, { q: 'printer', max: '1' }), [a.id], 'max results')
    const [top] = await search.find(readCriteria({ q: 'printer' } as SearchQuery, await search.options(admin)).criteria!, admin)
    t.match(top, { id: a.id, found: { messages: 2, comments: false, customer: false, fields: false } })
    t.ok(top!.score > 0)
  })

  t.test('permissions: an agent finds only chats they may open', async (t) => {
    t.same(sorted(await find(alice, { q: 'printer' })), sorted([a.id, b.id]), 'not carol\'s chat of another group')
    t.same(await find(bob, { q: 'printer' }), [], 'not alice\'s chats, though of his own group')
    t.same(sorted(await find(alice, { q: 'keyboard' })), [d.id], 'the queue she works, not bob\'s ended chat nor Sales')
    t.same(sorted(await find(carol, { q: 'keyboard' })), [f.id])
    t.same(sorted(await find(sam, { q: 'keyboard' })), sorted([d.id, e.id, f.id]), 'a supervisor: every chat of his groups')
    t.same(sorted(await find(sam, {})), sorted([a.id, b.id, c.id, d.id, e.id, f.id]))
    t.same(sorted(await find(admin, { q: 'keyboard' })), sorted([d.id, e.id, f.id]))
    const hits = await search.find(readCriteria({} as SearchQuery, await search.options(bob)).criteria!, bob)
    for (const hit of hits) t.ok(hit.agentId === bob.id || hit.status === 'queued', `bob may open #${hit.id}`)
    t.equal(readCriteria({ group: String(await s.groupId('Sales')) } as SearchQuery, await search.options(alice)).form.errors.group?.code, 'LC_ERR_SEARCH_GROUP', 'a group she is not in cannot be picked')
    t.equal(readCriteria({ agent: carol.id } as SearchQuery, await search.options(alice)).form.errors.agent?.code, 'LC_ERR_SEARCH_AGENT')
  })

  t.test('deleted chats: only with "deleted only", and only those of one\'s Deleted Items', async (t) => {
    t.match(await s.chats.deleteChats([a.id], alice), [{ outcome: 'done' }])
    t.match(await s.chats.deleteChats([e.id], sam), [{ outcome: 'done' }])
    t.same(await find(admin, { q: 'printer', agent: aliceId, from: '2026-01-01', to: '2026-01-31' }), [], 'gone from every other search')
    t.same(await find(admin, { number: String(a.id) }), [])
    t.same(await find(alice, { in: 'deleted', q: 'printer' }), [a.id], 'her own deleted chat')
    t.same(await find(alice, { in: 'deleted' }), [a.id], 'not bob\'s, deleted by sam')
    t.same(await find(bob, { in: 'deleted' }), [e.id], 'his own, though sam deleted it')
    t.same(sorted(await find(sam, { in: 'deleted' })), sorted([a.id, e.id]), 'a supervisor with livechat.delete: his groups\' deleted chats')
    t.same(await find(carol, { in: 'deleted' }), [])
    t.same(sorted(await find(admin, { in: 'deleted', q: 'printer fuser' })), [], 'every word in one section')
    t.same(sorted(await find(admin, { in: 'deleted', q: 'fuser' })), [a.id])
    for (const scope of [alice, bob, sam, admin]) {
      const hits = await search.find(readCriteria({ in: 'deleted' } as SearchQuery, await search.options(scope)).criteria!, scope)
      for (const hit of hits) {
        const chat = await s.chats.deletedChatForAgent(hit.id, scope)
        t.ok(mayDelete(chat.chat, scope), `${scope.name} may see deleted #${hit.id}`)
      }
    }
    await s.chats.undeleteChats([a.id], alice)
    t.same(await find(admin, { number: String(a.id) }), [a.id], 'undeleted: found again')
    t.same(await find(alice, { in: 'deleted' }), [])
  })

  t.test('hostile search strings never break the query', async (t) => {
    const wordy = 'printer ' + '"*+-\')(~<>@ AND OR NOT '.repeat(30)
    for (const q of ['printer\')', '"printer"', 'printer*', '+printer', '(printer', 'printer" OR 1=1 --', 'printer:', wordy.slice(0, 500)]) {
      const ids = await find(admin, { q })
      t.ok(ids.includes(a.id), `found with ${q.slice(0, 40)}`)
    }
    t.same(await find(admin, { q: '+printer -monitor' }), [c.id], 'a minus is no operator: both words wanted')
    t.same(await find(admin, { q: 'NEAR(printer jams)' }), [], 'NEAR is a word like any other')
    for (const hostile of ['"', '*', '\'', '%', '_', '\\', '\')', '+-', '; DROP TABLE lc_chats; --', 'x'.repeat(120)]) {
      // Dee's name holds a % and an _: found by them as characters, and by nothing else.
      t.same(await find(admin, { name: hostile.slice(0, 120) }), hostile === '%' || hostile === '_' ? [d.id] : [], `name ${hostile.slice(0, 20)}`)
      t.same(await find(admin, { email: hostile }), [], `email ${hostile.slice(0, 20)}`)
      t.same(await find(admin, { username: hostile.slice(0, 64) }), [], `username ${hostile.slice(0, 20)}`)
      t.same(await find(admin, { cf_serial: hostile }), [], `custom field ${hostile.slice(0, 20)}`)
    }
    t.ok(await s.knex('lc_chats').count({ n: '*' }).first(), 'the table is still there')
  })

  t.test('messages\' words: alike on both databases, every word in one message', async (t) => {
    const g = (await given.activeChat(s, 'alice')).chat
    await say(g, alice, 'Le café a envoyé mon résumé')
    await say(g, alice, 'The zeppelin left')
    await say(g, alice, 'The quagga stayed')
    // A long message: more words than one statement of knex's own multi-row insert could take on SQLite.
    await say(g, alice, Array.from({ length: 700 }, (_, i) => `w${i}x`).join(' ') + ' lastwordhere')
    t.same(await find(admin, { q: 'resume' }), [g.id], 'a word without its accents finds it')
    t.same(await find(admin, { q: 'RÉSUMÉ café' }), [g.id], 'and with them, in any case')
    t.same(await find(admin, { q: 'envo' }), [g.id], 'the start of a word')
    t.same(await find(admin, { q: 'zeppelin quagga' }), [], 'two words in two messages are not one message holding both')
    t.same(await find(admin, { q: 'lastwordhere w699x' }), [g.id], 'every word of a long message')
    const long = await s.knex('lc_message_words').where('chat_id', g.id).max({ id: 'message_id' }).first()
    t.equal(Number((await s.knex('lc_message_words').where('message_id', long!.id).count({ n: '*' }).first())!.n), 701, 'each of its words once')
    await s.chats.endChat(g.id, { kind: 'agent', id: alice.id, name: alice.name })
  })

  // A subquery for `id IN (…)`: a chat may come back once per message that matched.
  const ids = async (typed: string): Promise<number[]> => sorted([...new Set<number>((await (await search.listMatches(typed)).matching).map((r: { chat_id: number }) => Number(r.chat_id)))])

  t.test('the lists\' search box: ids for a list to narrow itself by', async (t) => {
    t.same(await ids('printer'), sorted([a.id, b.id, c.id]))
    t.same(await ids(`#${f.id}`), [f.id], 'a chat number')
    t.same(await ids(String(d.id)), [d.id])
    await t.rejects(search.listMatches('*'), { code: 'LC_ERR_SEARCH_TEXT' })
  })

  t.test('a list searched keeps its order, and the limit cuts it as it cuts the list unsearched', async (t) => {
    // Three chats started at the same moment: the list's later sort keys (idle time, then id) order them.
    const g = (await given.activeChat(s, 'alice')).chat
    await say(g, alice, 'The printer is fine now')
    await s.chats.endChat(g.id, { kind: 'agent', id: alice.id, name: alice.name })
    await end(c, carol)
    await s.knex('lc_chats').whereIn('id', [a.id, c.id, g.id]).update({ created_at: at('2026-01-10') })
    await s.knex('lc_chats').where('id', g.id).update({ last_agent_message_at: at('2026-01-11'), assigned_at: at('2026-01-10') })
    const closed = ['ended', 'abandoned', 'cancelled'] as const
    for (const dir of ['desc', 'asc'] as const) {
      const unsearched = (await s.chats.list({ statuses: closed, groups: 'all', sort: 'started', dir, limit: 100 })).map((chat) => chat.id)
      const printer = new Set(await ids('printer'))
      const expected = unsearched.filter((id) => printer.has(id))
      t.ok(expected.length >= 3, `${expected.length} chats of the list hold the word`)
      for (const limit of [1, 2, 3, 100]) {
        const searched = (await s.chats.list({ statuses: closed, groups: 'all', sort: 'started', dir, limit, matching: (await search.listMatches('printer')).matching })).map((chat) => chat.id)
        t.same(searched, expected.slice(0, limit), `started ${dir}, ${limit} at most`)
      }
    }
    const mine = (await s.chats.list({ statuses: closed, groups: 'all', agentId: carol.id, sort: 'started', dir: 'desc', limit: 100, matching: (await search.listMatches('printer')).matching })).map((chat) => chat.id)
    t.same(mine, [c.id], 'an agent\'s list')
  })
})
