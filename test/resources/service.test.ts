import t from 'tap'
import { createCommentService } from '../../plugin/comments/service.ts'
import type { HostAdapter } from '../../plugin/host/adapter.ts'
import { createItemService } from '../../plugin/items/service.ts'
import { articleOf, createResourceService, matchTemplates, maxQueryLength, prefill, safeUrl } from '../../plugin/resources/service.ts'
import { createTranscriptService } from '../../plugin/transcripts/service.ts'
import { given, services } from '../helpers/given.ts'

t.test('resources service', async (t) => {
  const s = await services(t)
  // Alice holds every chat these tests open: well past the seeded limit of 4.
  await s.knex('lc_group_members').update({ max_chats: 50 })
  const comments = createCommentService({ db: s.knex, bus: s.bus, chats: s.chats })
  const items = createItemService({ db: s.knex, chats: s.chats, host: s.host })
  const make = (host: HostAdapter = s.host) => createResourceService({ db: s.knex, chats: s.chats, comments, items, host })
  const resources = make()
  const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => await p.then(() => undefined, (err: { code?: string }) => err.code)
  const vpnArticle = String((await s.knex('kb_articles').where('title', 'Connect to the VPN on Windows').first('id')).id)
  const printerArticle = String((await s.knex('kb_articles').where('title', 'Clear a stuck printer queue').first('id')).id)
  const messages = async (chatId: number) => (await s.knex('lc_messages').where('chat_id', chatId).orderBy('seq')).map((m) => ({ seq: Number(m.seq), kind: m.kind as string }))
  const history = async (chatId: number) => (await s.knex('lc_chat_history').where('chat_id', chatId).orderBy('id')).map((r) => r.action as string)

  /** An ended chat of `agent`'s whose resolution says `text`. */
  async function resolvedChat (agent: string, question: string, text: string) {
    const { chat } = await given.activeChat(s, agent)
    const scope = await s.scope(agent)
    await comments.add(chat.id, scope, { body: text, resolution: true })
    await comments.add(chat.id, scope, { body: `A note about the VPN that is not the resolution (${question})`, resolution: false })
    await s.chats.endChat(chat.id, { kind: 'agent', id: scope.id, name: scope.name })
    await s.knex('lc_chats').where('id', chat.id).update({ question })
    return chat
  }

  t.test('links, lengths and the question as the first search', async (t) => {
    t.equal(safeUrl('/kb/12'), '/kb/12')
    t.equal(safeUrl('https://desk.example/kb/12'), 'https://desk.example/kb/12')
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', '//evil.example/x', '/\\evil.example', 'kb/12', 'ftp://x/y', `/${'a'.repeat(600)}`]) t.equal(safeUrl(bad), '', bad.slice(0, 40))
    t.match(articleOf({ id: '7', title: `  ${'T'.repeat(300)} `, excerpt: 'e', url: 'javascript:x' }), { id: '7', url: '' })
    t.equal([...articleOf({ id: '7', title: 'T'.repeat(300), excerpt: 'e', url: '/kb/7' }).title].length, 255)
    t.equal(prefill('  My VPN\n will   not connect '), 'My VPN will not connect')
    const long = prefill(`${'word '.repeat(200)}end`)
    t.ok([...long].length <= maxQueryLength && long.endsWith('word'), 'a long question is cut between words')
    const templates = [
      { id: '1', kind: 'incident' as const, name: 'Network or VPN problem', summary: 'Cannot connect', description: '' },
      { id: '2', kind: 'incident' as const, name: 'Printer', summary: 'VPN printer', description: '' },
      { id: '3', kind: 'work_order' as const, name: 'Laptop', summary: 'New laptop', description: '' }
    ]
    t.same(matchTemplates(templates, ['vpn'], 5).map((x) => x.id), ['1', '2'], 'a name hit first; no hit, not listed')
    t.same(matchTemplates(templates, ['vpn'], 1).map((x) => x.id), ['1'])
  })

  t.test('suggestions for the question: articles, templates, resolved tickets and past resolutions the agent may see', async (t) => {
    const own = await resolvedChat('alice', 'VPN drops at home', 'Reinstalled the VPN client; it connects again')
    const others = await resolvedChat('bob', 'VPN error 809', 'Opened UDP 500 on the home router for the VPN')
    const { chat } = await given.activeChat(s, 'alice')
    const alice = await s.scope('alice')
    await comments.add(chat.id, alice, { body: 'VPN fixed in this very chat', resolution: true })
    const found = await resources.suggestions(chat.id, alice)
    t.equal(found.query, 'My VPN will not connect')
    t.ok(found.articles.some((a) => a.id === vpnArticle && a.url === `/kb/${vpnArticle}` && a.excerpt !== ''), 'the VPN article')
    t.ok(found.templates.some((x) => x.name === 'Network or VPN problem'), 'the network template')
    t.ok(found.tickets !== null && found.tickets.length > 0 && found.tickets.every((x) => x.url.startsWith('/tickets/')), 'resolved tickets')
    t.same(found.resolutions.map((r) => r.chatId), [own.id], 'her own past chat only: not this chat, not one she may not see')
    t.match(found.resolutions[0], { authorName: 'Alice Adams', question: 'VPN drops at home', excerpt: /Reinstalled the VPN client/ })
    t.same(found.failed, [])
    const sam = await s.scope('sam')
    t.same((await resources.suggestions(chat.id, sam)).resolutions.map((r) => r.chatId).sort(), [own.id, others.id].sort(), 'a supervisor of the group sees both')
    await s.knex('lc_chats').where('id', own.id).update({ deleted_at: Date.now() })
    t.same((await resources.suggestions(chat.id, alice)).resolutions, [], 'a deleted chat is no suggestion')
    await s.knex('lc_chats').where('id', own.id).update({ deleted_at: null })
  })

  t.test('a typed search replaces the question; the help desk\'s kinds and optional sources are respected', async (t) => {
    const { chat } = await given.activeChat(s, 'alice')
    const alice = await s.scope('alice')
    const found = await resources.search(chat.id, alice, '  printer   queue stuck ')
    t.equal(found.query, 'printer queue stuck')
    t.equal(found.articles[0]?.id, printerArticle)
    const { searchResolvedTickets: _, ...bare } = s.host
    const plain = make({ ...bare, ticketKinds: ['work_order'] })
    const withoutTickets = await plain.search(chat.id, alice, 'VPN network')
    t.equal(withoutTickets.tickets, null, 'a help desk without resolutions: no section, no error')
    t.same(withoutTickets.templates.map((x) => x.kind).filter((k) => k !== 'work_order'), [], 'only the kinds the help desk has')
    const nothing = await resources.search(chat.id, alice, 'zzzqqq xylophone')
    t.same([nothing.articles, nothing.templates, nothing.tickets, nothing.resolutions], [[], [], [], []])
  })

  t.test('a source that fails is named; the others still answer', async (t) => {
    const { chat } = await given.activeChat(s, 'alice')
    const failing = make({ ...s.host, searchKnowledge: async () => { throw new Error('kb down') }, ticketTemplates: async () => { throw new Error('templates down') } })
    const found = await failing.search(chat.id, await s.scope('alice'), 'VPN')
    t.same(found.failed.map((f) => f.source).sort(), ['articles', 'templates'])
    t.match(found.failed[0]?.err, { message: /down/ })
    t.ok(found.tickets!.length > 0, 'resolved tickets still found')
  })

  t.test('search refusals: empty, no real words, too long, a chat out of sight', async (t) => {
    const { chat } = await given.activeChat(s, 'alice')
    const alice = await s.scope('alice')
    for (const q of ['', '   ', 'how do I', '?!']) t.equal(await codeOf(resources.search(chat.id, alice, q)), 'LC_ERR_RESOURCES_QUERY_EMPTY', `"${q}"`)
    t.equal(await codeOf(resources.search(chat.id, alice, 'vpn '.repeat(130))), 'LC_ERR_RESOURCES_QUERY_TOO_LONG')
    t.equal(await codeOf(resources.search(chat.id, await s.scope('carol'), 'vpn')), 'LC_ERR_CHAT_NOT_FOUND')
    t.equal(await codeOf(resources.suggestions(chat.id, await s.scope('carol'))), 'LC_ERR_CHAT_NOT_FOUND')
    await s.knex('lc_chats').where('id', chat.id).update({ question: 'Hello?' })
    const none = await resources.suggestions(chat.id, alice)
    t.same([none.query, none.articles, none.failed], ['Hello?', [], []], 'a question of no words opens with nothing found, not an error')
  })

  t.test('share: a kb_share message at the next seq with its History; both sides and the transcript have it', async (t) => {
    const { chat } = await given.activeChat(s, 'alice')
    const alice = await s.scope('alice')
    await s.chats.postMessage(chat.id, { kind: 'customer', id: null, name: 'Dana Doyle' }, 'Still broken', null)
    const before = await messages(chat.id)
    const { message, article, activity } = await resources.share(chat.id, alice, vpnArticle)
    t.match(article, { id: vpnArticle, title: 'Connect to the VPN on Windows', url: `/kb/${vpnArticle}` })
    t.match(message, { kind: 'kb_share', seq: before.at(-1)!.seq + 1, authorKind: 'agent', authorId: alice.id, article })
    t.same(JSON.parse(message.body), article, 'the body is the card as JSON')
    t.same(activity, { written: [], failed: [] }, 'no ticket: nothing to note')
    await new Promise((resolve) => setImmediate(resolve))
    const published = s.events.filter((e) => e.type === 'chat.message' && e.chatId === chat.id).map((e) => (e as { message: { seq: number, kind: string } }).message)
    t.match(published.at(-1), { seq: message.seq, kind: 'kb_share', article: { id: vpnArticle } }, 'published with its card (through JSON, as Redis carries it)')
    t.equal((await history(chat.id)).at(-1), 'article_shared')
    const seen = await s.chats.customerMessages(chat.id)
    t.match(seen.at(-1), { kind: 'kb_share', article: { title: 'Connect to the VPN on Windows' } }, 'the customer sees it')
    const reread = await s.chats.get(chat.id)
    t.equal(reread.lastSeq, message.seq)
    t.ok(reread.lastAgentMessageAt !== null, 'an article is an answer: idle time restarts')
    const transcripts = createTranscriptService({ chats: s.chats, routing: s.routing, host: s.host })
    const printed = await transcripts.print(chat.id, alice)
    t.equal(printed.lines.at(-1)?.body, `Shared article: Connect to the VPN on Windows /kb/${vpnArticle}`)
    t.match(await transcripts.plainText(reread), new RegExp(`Alice Adams: Shared article: Connect to the VPN on Windows /kb/${vpnArticle}\\n`))
    // The card renders from the stored row alone, escaped like every message.
    await s.knex('lc_messages').insert({ chat_id: chat.id, seq: 999, kind: 'kb_share', author_kind: 'agent', author_id: alice.id, author_name: 'Alice Adams', body: 'not json', client_msg_id: null, created_at: Date.now() })
    const broken = (await s.chats.messages(chat.id)).at(-1)!
    t.same([broken.kind, broken.article], ['kb_share', undefined], 'an unreadable body shows as text, never breaks the chat')
  })

  t.test('share notes the link on every ticket of the chat; a help desk failing there does not undo it', async (t) => {
    const { chat } = await given.activeChat(s, 'alice')
    const alice = await s.scope('alice')
    const one = await s.host.createTicket({ kind: 'incident', summary: 'VPN down', description: 'x', requesterId: null, assigneeId: null, chatId: null })
    const two = await s.host.createTicket({ kind: 'work_order', summary: 'New token', description: 'x', requesterId: null, assigneeId: null, chatId: null })
    await items.add(chat.id, alice, 'ticket', { ref: one.ref })
    await items.add(chat.id, alice, 'ticket', { ref: two.ref })
    const activity = async (ref: string) => (await s.knex('ticket_activity').join('tickets', 'tickets.id', 'ticket_activity.ticket_id').where('tickets.ref', ref).select('ticket_activity.text', 'ticket_activity.author_id')).map((r) => [r.text as string, String(r.author_id)])
    const shared = await resources.share(chat.id, alice, vpnArticle)
    t.same(shared.activity.written.sort(), [one.ref, two.ref].sort())
    const line = `Knowledge article shared in live chat #${chat.id} by Alice Adams: Connect to the VPN on Windows /kb/${vpnArticle}`
    t.same(await activity(one.ref), [[line, alice.id]])
    t.same(await activity(two.ref), [[line, alice.id]])

    const flaky = make({ ...s.host, addTicketActivity: async (ref, text, author) => { if (ref === one.ref) throw new Error('desk down'); await s.host.addTicketActivity(ref, text, author) } })
    const seq = (await s.chats.get(chat.id)).lastSeq
    const outcome = await flaky.share(chat.id, alice, printerArticle)
    t.equal(outcome.message.seq, seq + 1, 'the share stands')
    t.same(outcome.activity.written, [two.ref])
    t.same(outcome.activity.failed.map((f) => f.ref), [one.ref])
    t.match(outcome.activity.failed[0]?.err, { message: 'desk down' })
    t.equal((await activity(one.ref)).length, 1, 'nothing half-written on the failing ticket')
    t.equal((await activity(two.ref)).length, 2)
    t.equal((await messages(chat.id)).at(-1)?.kind, 'kb_share')
  })

  t.test('share refusals write nothing', async (t) => {
    const { chat } = await given.activeChat(s, 'alice')
    const alice = await s.scope('alice')
    const before = await messages(chat.id)
    const historyBefore = await history(chat.id)
    t.equal(await codeOf(resources.share(chat.id, alice, '999999')), 'LC_ERR_RESOURCES_ARTICLE_UNKNOWN')
    t.equal(await codeOf(resources.share(chat.id, alice, 'abc')), 'LC_ERR_RESOURCES_ARTICLE_UNKNOWN')
    t.equal(await codeOf(resources.share(chat.id, await s.scope('sam'), vpnArticle)), 'LC_ERR_RESOURCES_SHARE_NOT_YOURS', 'a supervisor watching')
    const notYours = await resources.share(chat.id, await s.scope('sam'), vpnArticle).catch((err: Error) => err)
    t.match(notYours, { message: /^Only Alice Adams, who has this chat/ })
    t.equal(await codeOf(resources.share(chat.id, await s.scope('bob'), vpnArticle)), 'LC_ERR_CHAT_NOT_FOUND', 'an agent who may not see it')
    t.equal(await codeOf(resources.share(chat.id, await s.scope('carol'), vpnArticle)), 'LC_ERR_CHAT_NOT_FOUND')
    const down = make({ ...s.host, knowledgeArticle: async () => { throw new Error('kb down') } })
    const failed = await down.share(chat.id, alice, vpnArticle).catch((err: Error & { code?: string, cause?: Error }) => err)
    t.match(failed, { code: 'LC_ERR_RESOURCES_KB_FAILED', statusCode: 502, message: /nothing was shared/, cause: { message: 'kb down' } })
    t.same(await messages(chat.id), before)
    t.same(await history(chat.id), historyBefore)
    const queued = await given.queuedChat(s)
    t.equal(await codeOf(resources.share(queued.chat.id, alice, vpnArticle)), 'LC_ERR_RESOURCES_SHARE_NOT_ACTIVE')
    await s.chats.endChat(chat.id, { kind: 'agent', id: alice.id, name: alice.name })
    t.equal(await codeOf(resources.share(chat.id, alice, vpnArticle)), 'LC_ERR_RESOURCES_SHARE_NOT_ACTIVE')
    t.equal(await codeOf(s.chats.shareArticle(chat.id, { kind: 'agent', id: alice.id, name: alice.name }, { id: vpnArticle, title: 'x', excerpt: '', url: '' })), 'LC_ERR_CHAT_STATE_CONFLICT', 'the guard holds without the caller\'s checks')
    const taken = await given.activeChat(s, 'alice')
    await s.chats.takeChat(taken.chat.id, await s.scope('sam'))
    t.equal(await codeOf(s.chats.shareArticle(taken.chat.id, { kind: 'agent', id: alice.id, name: alice.name }, { id: vpnArticle, title: 'x', excerpt: '', url: '' })), 'LC_ERR_CHAT_TAKEN', 'taken over meanwhile: a 409 naming who has it')
  })

  t.test('pin and unpin: anyone who sees the chat; History; one pin per article; refusals write nothing', async (t) => {
    const { chat } = await given.queuedChat(s)
    const [alice, bob, carol] = [await s.scope('alice'), await s.scope('bob'), await s.scope('carol')]
    const pin = await resources.pin(chat.id, alice, vpnArticle)
    t.match(pin, { chatId: chat.id, articleId: vpnArticle, title: 'Connect to the VPN on Windows', url: `/kb/${vpnArticle}`, pinnedBy: alice.id, pinnedByName: 'Alice Adams' })
    await resources.pin(chat.id, bob, printerArticle)
    t.same((await resources.pins(chat.id)).map((p) => p.articleId), [printerArticle, vpnArticle], 'newest first')
    const again = await resources.pin(chat.id, bob, vpnArticle).catch((err: Error & { code?: string }) => err)
    t.match(again, { code: 'LC_ERR_RESOURCES_PINNED', statusCode: 409, message: 'Alice Adams already pinned this article to the chat' })
    t.equal(await codeOf(resources.pin(chat.id, alice, '424242')), 'LC_ERR_RESOURCES_ARTICLE_UNKNOWN')
    t.equal(await codeOf(resources.pin(chat.id, carol, printerArticle)), 'LC_ERR_CHAT_NOT_FOUND')
    t.equal(await codeOf(resources.unpin(chat.id, carol, vpnArticle)), 'LC_ERR_CHAT_NOT_FOUND')
    t.equal(await codeOf(resources.unpin(chat.id, alice, '424242')), 'LC_ERR_RESOURCES_PIN_NOT_FOUND')
    t.equal((await resources.pins(chat.id)).length, 2)
    const off = await resources.unpin(chat.id, bob, vpnArticle)
    t.equal(off.pinnedByName, 'Alice Adams', 'someone else\'s pin may go too')
    t.equal(await codeOf(resources.unpin(chat.id, bob, vpnArticle)), 'LC_ERR_RESOURCES_PIN_NOT_FOUND')
    t.same((await history(chat.id)).filter((a) => a.startsWith('article_')), ['article_pinned', 'article_pinned', 'article_unpinned'])
    const rows = await s.knex('lc_chat_history').where({ chat_id: chat.id, action: 'article_unpinned' }).first()
    t.same(JSON.parse(rows.data), { articleId: vpnArticle, title: 'Connect to the VPN on Windows', pinnedBy: 'Alice Adams' })
  })

  t.test('two agents pinning one article at once: one pin, the other told who pinned it', async (t) => {
    const { chat } = await given.queuedChat(s)
    const [alice, bob] = [await s.scope('alice'), await s.scope('bob')]
    const results = await Promise.all([alice, bob, alice, bob].map(async (who) => await codeOf(resources.pin(chat.id, who, vpnArticle))))
    t.equal(results.filter((r) => r === undefined).length, 1)
    t.equal(results.filter((r) => r === 'LC_ERR_RESOURCES_PINNED').length, 3)
    t.equal((await s.knex('lc_chat_pins').where('chat_id', chat.id)).length, 1)
    t.equal((await history(chat.id)).filter((a) => a === 'article_pinned').length, 1, 'one History row, with the pin')
  })

  t.test('deleting a chat deletes its pins', async (t) => {
    const { chat } = await given.queuedChat(s)
    await resources.pin(chat.id, await s.scope('alice'), vpnArticle)
    await s.knex('lc_chats').where('id', chat.id).delete()
    t.same(await s.knex('lc_chat_pins').where('chat_id', chat.id), [])
  })
})
