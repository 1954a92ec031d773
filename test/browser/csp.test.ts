import t from 'tap'
import { agentSession, build, startChat } from '../helpers/build.ts'
import { missing, openBrowser, openConsole, wait } from '../helpers/browser.ts'

// docs/features.md#protections: every page keeps to the strict content policy (styles and
// scripts from our own files only). The shared browser helper fails any journey on a refusal
// or console error; this one opens every page a person can reach, on both sides.

t.test('the shared watcher catches a refused inline style', { skip: missing }, async (t) => {
  const { url } = await build(t, { listen: true })
  const side = await openBrowser(t, 'visitor')
  await side.page.goto(`${url}/livechat/start`)
  await side.page.evaluate(() => { document.body.append(Object.assign(document.createElement('p'), { id: 'styled' })); document.getElementById('styled')!.setAttribute('style', 'color: red') })
  await side.page.waitForFunction(() => true)
  // The report comes back to the test through a binding, a round trip after the refusal.
  for (let i = 0; i < 50 && side.cspViolations.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(side.cspViolations.length, 1, 'the refusal is recorded')
  t.match(side.cspViolations[0], /style-src-attr inline/)
  t.match(side.consoleErrors.join('\n'), /Content Security Policy/, 'and Chromium\'s own console error for it')
  // Caused on purpose: emptied, or the watcher would fail this test for them.
  side.cspViolations.length = 0
  side.consoleErrors.length = 0
})

t.test('no page of either side breaks the content policy', { skip: missing }, async (t) => {
  const { app, url } = await build(t, { listen: true })
  const { chatId, cookie } = await startChat(app, { question: 'My VPN will not connect' })
  const alice = await agentSession(app, 'alice')
  await alice.post(`/livechat/console/chats/${chatId}/accept`)

  const admin = await openBrowser(t, 'admin')
  await openConsole(admin.page, url, 'admin')
  const pages = [
    '/console', '/console/lists/my-active', '/console/lists/queue', '/console/lists/global-active', '/console/lists/global-completed',
    '/console/lists/deleted', `/console/chats/${chatId}`, `/console/chats/${chatId}/print`, '/console/search', '/console/canned',
    '/console/groups', '/console/im', '/console/im/new', '/console/rooms', '/console/rooms/new',
    '/console/reports', '/console/wallboard', '/console/audit',
    '/admin/settings', '/admin/groups', '/admin/hours', '/admin/fields', '/admin/blocklist', '/admin/deflections', '/admin/jobs',
    '/admin/webhooks', '/admin/api-tokens', '/admin/audit'
  ]
  for (const path of pages) {
    const res = await admin.page.goto(`${url}/livechat${path}`)
    t.equal(res?.status(), 200, `${path} opens`)
    // A page's own scripts and its socket's first frames have run.
    await admin.page.waitForLoadState('networkidle', wait).catch(() => {})
  }

  const guest = await openBrowser(t, 'guest')
  const [name, value] = cookie.split('; ').find((c) => c.startsWith(`lc_chat_${chatId}=`))!.split('=')
  await guest.page.context().addCookies([{ name: name!, value: value!, url }])
  for (const path of ['/portal', '/livechat/message', `/livechat/chat/${chatId}`, '/livechat/start']) {
    const res = await guest.page.goto(`${url}${path}`)
    t.equal(res?.status(), 200, `${path} opens`)
    await guest.page.waitForLoadState('networkidle', wait).catch(() => {})
  }
  t.match(guest.page.url(), new RegExp(`/livechat/chat/${chatId}$`), 'the start link resumed the open chat')
  t.strictSame([...admin.cspViolations, ...guest.cspViolations], [], 'no refusals')
})
