import t from 'tap'
import { buildDemoHost } from '../../demo-host/app.ts'
import { prepareDatabase } from '../../demo-host/setup.ts'
import { agentSession, build, login, openSocket, standBy, startChat } from '../helpers/build.ts'
import { testDatabase } from '../helpers/db.ts'

t.test('Email Transcript and Print over HTTP', async (t) => {
  const { app, knex, url } = await build(t, { listen: true })
  const [alice, carol, sam] = [await agentSession(app, 'alice'), await agentSession(app, 'carol'), await agentSession(app, 'sam')]
  const outbox = async () => await knex('mail_outbox').orderBy('id')
  const history = async (chatId: number) => (await knex('lc_chat_history').where('chat_id', chatId).orderBy('id')).map((r) => r.action as string)

  /** A chat alice answered, with a coaching line from sam that the customer never saw, then ended. */
  async function coachedChat () {
    const { chatId, cookie } = await startChat(app, { question: 'My VPN <will not> connect\nsince Monday' })
    await alice.post(`/livechat/console/chats/${chatId}/accept`)
    const watching = await openSocket(url, `/livechat/ws/console?since=${chatId}.2`, { cookie: sam.cookie, origin: url })
    const agent = await openSocket(url, `/livechat/ws/console?since=${chatId}.2`, { cookie: alice.cookie, origin: url })
    t.teardown(async () => { await watching.close(); await agent.close() })
    await watching.waitFor(/hx-target="#lc-queue"/)
    await agent.waitFor(/hx-target="#lc-my-active"/)
    watching.send({ type: 'coach', chat_id: String(chatId), body: 'Ask for the client version', client_msg_id: `coach-${chatId}-000001` })
    await agent.waitFor(/Ask for the client version/)
    agent.send({ type: 'message', chat_id: String(chatId), body: 'Which client version & OS?', client_msg_id: `reply-${chatId}-00001` })
    await agent.waitFor(/Which client version &amp; OS\?/)
    await alice.post(`/livechat/console/chats/${chatId}/end`)
    return { chatId, cookie }
  }

  t.test('the header offers both, to any agent who may see the chat, ended or not', async (t) => {
    const { chatId } = await startChat(app)
    await alice.post(`/livechat/console/chats/${chatId}/accept`)
    const view = await app.inject({ url: `/livechat/console/chats/${chatId}`, headers: { cookie: alice.cookie } })
    t.match(view.body, new RegExp(`<button type="button" hx-post="/livechat/console/chats/${chatId}/transcript/email" hx-confirm="Email the transcript of chat #${chatId} to dana@customer.example\\?" hx-target="#lc-notice" hx-swap="none">Email Transcript</button>`))
    t.match(view.body, new RegExp(`<a class="lc-chat-actions__item" href="/livechat/console/chats/${chatId}/print\\?print=1" target="_blank" rel="noopener">Print</a>`))
    await alice.post(`/livechat/console/chats/${chatId}/end`)
    const ended = await app.inject({ url: `/livechat/console/chats/${chatId}`, headers: { cookie: alice.cookie } })
    t.match(ended.body, />Email Transcript</, 'still there once the chat has ended')
    t.match(ended.body, />Print</)
  })

  t.test('emailing: customer-visible messages only, with times and names, escaped HTML; recorded in History', async (t) => {
    const { chatId } = await coachedChat()
    const before = (await outbox()).length
    const res = await alice.post(`/livechat/console/chats/${chatId}/transcript/email`)
    t.equal(res.statusCode, 200)
    t.match(res.body, /<hx-partial hx-target="#lc-notice" hx-swap="innerHTML">[\s\S]*Emailed the transcript to dana@customer\.example/)
    const mail = (await outbox()).slice(before)
    t.equal(mail.length, 1)
    const [m] = mail
    t.equal(m.to_address, 'dana@customer.example')
    t.equal(m.subject, `Transcript of your chat #${chatId}`)
    t.match(m.body_text, new RegExp(`^Transcript of chat #${chatId}\\nDana Doyle with Alice Adams \\(Support / Support L1\\)\\nStarted \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC, ended `))
    t.match(m.body_text, /\d\d:\d\d {2}Dana Doyle: My VPN <will not> connect\n {7}since Monday\n/)
    t.match(m.body_text, /\d\d:\d\d {2}\* Alice Adams joined the chat\n/)
    t.match(m.body_text, /\d\d:\d\d {2}Alice Adams: Which client version & OS\?\n/)
    t.match(m.body_text, /\* Alice Adams ended the chat\n$/)
    t.notMatch(m.body_text + m.body_html, /Ask for the client version|coaching/i, 'no coaching in either part')
    t.match(m.body_html, /<strong>Dana Doyle:<\/strong> My VPN &lt;will not&gt; connect\nsince Monday/)
    t.match(m.body_html, /Which client version &amp; OS\?/)
    t.match(m.body_html, /white-space: nowrap;">\d\d:\d\d<\/td>/, 'each line has its time')
    t.same((await history(chatId)).filter((a) => a === 'transcript_emailed'), ['transcript_emailed'])
    const hist = await app.inject({ url: `/livechat/console/chats/${chatId}/tabs/history`, headers: { cookie: alice.cookie, 'hx-request': 'true' } })
    t.match(hist.body, /<td>Alice Adams<\/td><td>Emailed the transcript to dana@customer\.example<\/td>/)

    // The demo desk lists its outbox for administrators.
    const admin = await app.inject({ url: '/admin/mail', headers: { cookie: await login(app, 'admin') } })
    t.equal(admin.statusCode, 200)
    t.match(admin.body, new RegExp(`<td>dana@customer\\.example</td>\\s*<td><details><summary>Transcript of your chat #${chatId}</summary><pre class="mail-body">Transcript of chat #${chatId}\\n`))
    t.match(admin.body, /My VPN &lt;will not&gt; connect/, 'escaped')
    t.equal((await app.inject({ url: '/admin/mail', headers: { cookie: alice.cookie } })).statusCode, 403, 'agents do not read the outbox')
    t.equal((await sam.post(`/livechat/console/chats/${chatId}/transcript/email`)).statusCode, 200, 'a supervisor of the group may send it too')
    const denied = await carol.post(`/livechat/console/chats/${chatId}/transcript/email`)
    t.equal(denied.statusCode, 404, 'carol works another group')
    t.match(denied.body, /data-code="LC_ERR_CHAT_NOT_FOUND"/)
    t.equal((await outbox()).length, before + 2, 'nothing sent for carol')
    const noToken = await app.inject({ method: 'POST', url: `/livechat/console/chats/${chatId}/transcript/email`, headers: { cookie: alice.cookie, origin: url.replace(/:\d+$/, ':1') } })
    t.equal(noToken.statusCode, 403, 'foreign origin refused')
    const dana = await app.inject({ method: 'POST', url: `/livechat/console/chats/${chatId}/transcript/email`, headers: { cookie: await login(app, 'dana'), 'x-csrf-token': alice.token, 'hx-request': 'true', origin: 'http://localhost' } })
    t.ok(dana.statusCode === 403, 'customers are no agents')
  })

  t.test('a host mail failure: a notice with Retry, nothing recorded; the retry sends it', async (t) => {
    const { chatId } = await coachedChat()
    const before = (await outbox()).length
    // The host's outbox is gone for a moment: its sendMail throws, as a refused SMTP delivery would.
    await knex.schema.renameTable('mail_outbox', 'mail_outbox_away')
    let res
    try {
      res = await alice.post(`/livechat/console/chats/${chatId}/transcript/email`)
    } finally {
      await knex.schema.renameTable('mail_outbox_away', 'mail_outbox')
    }
    t.equal(res.statusCode, 502)
    t.match(res.body, /<hx-partial hx-target="#lc-notice" hx-swap="innerHTML"><div class="lc-notice__item lc-notice__item--error" role="alert" data-code="LC_ERR_MAIL_FAILED">/)
    t.match(res.body, /The help desk could not send the transcript to dana@customer\.example just now; nothing was sent, so try again/)
    t.match(res.body, new RegExp(`<button type="button" class="lc-notice__retry" hx-post="/livechat/console/chats/${chatId}/transcript/email" hx-target="#lc-notice" hx-swap="none">Retry</button>`))
    t.notOk((await history(chatId)).includes('transcript_emailed'), 'nothing recorded')
    t.equal((await outbox()).length, before)
    const retry = await alice.post(`/livechat/console/chats/${chatId}/transcript/email`)
    t.equal(retry.statusCode, 200)
    t.equal((await outbox()).length, before + 1)
    t.same((await history(chatId)).filter((a) => a === 'transcript_emailed'), ['transcript_emailed'])
  })

  t.test('print: the full record with coaching marked, no comments; the dialog only when asked', async (t) => {
    const { chatId } = await coachedChat()
    await alice.post(`/livechat/console/chats/${chatId}/comments`, { body: 'Internal note about the VPN' })
    const res = await app.inject({ url: `/livechat/console/chats/${chatId}/print`, headers: { cookie: alice.cookie } })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /text\/html/)
    t.match(res.headers['content-security-policy'], /script-src 'self'/)
    t.match(res.body, new RegExp(`<h1>Transcript of chat #${chatId}</h1>`))
    t.match(res.body, /<dt>Customer<\/dt><dd>Dana Doyle \(dana@customer\.example\)<\/dd>/)
    t.match(res.body, /<dt>Agent<\/dt><dd>Alice Adams · Support \/ Support L1<\/dd>/)
    t.match(res.body, /<dt>Status<\/dt><dd>Ended<\/dd>/)
    t.match(res.body, /<dt>Printed<\/dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d UTC by Alice Adams<\/dd>/)
    t.match(res.body, /My VPN &lt;will not&gt; connect\nsince Monday/)
    t.match(res.body, /lc-print__line--coaching" data-seq="\d+">[\s\S]*?Sam Supervisor <em class="lc-print__tag">Coaching – agents only<\/em><\/span> <span class="lc-print__body">Ask for the client version</)
    t.match(res.body, /lc-print__line--event[\s\S]*Alice Adams ended the chat/)
    t.match(res.body, /<span class="lc-print__time">\d\d:\d\d<\/span>\s*<span class="lc-print__who">Dana Doyle<\/span>/, 'each line has its time')
    t.notMatch(res.body, /Internal note about the VPN/, 'comments are not part of it')
    t.notMatch(res.body, /data-lc-autoprint/)
    t.notMatch(res.body, /<script>|<script [^>]*>[^<]/, 'no inline script')
    t.match(res.body, /<button type="button" class="lc-primary" data-lc-print>Print<\/button>/)
    const asked = await app.inject({ url: `/livechat/console/chats/${chatId}/print?print=1`, headers: { cookie: alice.cookie } })
    t.match(asked.body, /<main class="lc-print" data-lc-autoprint>/)
    t.equal((await app.inject({ url: `/livechat/console/chats/${chatId}/print?print=yes`, headers: { cookie: alice.cookie } })).statusCode, 400)
    t.equal((await app.inject({ url: `/livechat/console/chats/${chatId}/print`, headers: { cookie: carol.cookie } })).statusCode, 404)
    t.equal((await app.inject({ url: `/livechat/console/chats/${chatId}/print`, headers: {} })).statusCode, 401)
    t.notOk((await history(chatId)).includes('transcript_emailed'), 'printing records nothing')
  })
})

t.test('a host without sendMail: no Email Transcript button, and the route says why', async (t) => {
  const { knex, drop } = await testDatabase()
  await prepareDatabase(knex)
  await standBy(knex, 'bob')
  const app = await buildDemoHost({ knex, mail: false, pluginOptions: { jobs: false, settings: { chatStartsPerMinute: 1000 } } })
  t.teardown(async () => { await app.close(); await drop() })
  await app.ready()
  const alice = await agentSession(app, 'alice')
  const { chatId } = await startChat(app)
  await alice.post(`/livechat/console/chats/${chatId}/accept`)
  const view = await app.inject({ url: `/livechat/console/chats/${chatId}`, headers: { cookie: alice.cookie } })
  t.notMatch(view.body, /Email Transcript/)
  t.match(view.body, />Print</, 'printing needs no mail')
  const res = await alice.post(`/livechat/console/chats/${chatId}/transcript/email`)
  t.equal(res.statusCode, 409)
  t.match(res.body, /data-code="LC_ERR_MAIL_UNAVAILABLE"[\s\S]*This help desk has no way to send email from live chat; print the transcript instead/)
  t.equal((await knex('mail_outbox').count({ n: '*' }))[0]!.n, 0)
  t.notOk((await knex('lc_chat_history').where({ chat_id: chatId, action: 'transcript_emailed' })).length)
})
