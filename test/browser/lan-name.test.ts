import t from 'tap'
import { chromium } from 'playwright-core'
import { build } from '../helpers/build.ts'
import { chromiumArgs, executablePath, missing, wait } from '../helpers/browser.ts'

// A desk served over plain HTTP on an intranet name (docs/features.md#plain-http): Chromium
// resolves helpdesk.corp to this machine, so the page is neither localhost nor HTTPS. The
// console must load styled and working: its CSS and htmx from the same http:// origin, and
// nothing told to upgrade to https.
t.test('the console over plain HTTP on a LAN name is styled and working', { skip: missing }, async (t) => {
  const { url } = await build(t, { listen: true })
  const port = new URL(url).port
  const lan = `http://helpdesk.corp:${port}`
  const browser = await chromium.launch({ executablePath, headless: true, args: [...chromiumArgs, '--host-resolver-rules=MAP helpdesk.corp 127.0.0.1'] })
  t.teardown(async () => { await browser.close() })
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage()
  page.setDefaultTimeout(wait.timeout)
  const requested: string[] = []
  const failed: string[] = []
  const csp: string[] = []
  page.on('request', (r) => { requested.push(r.url()) })
  page.on('requestfailed', (r) => { failed.push(`${r.url()} ${r.failure()?.errorText ?? ''}`) })
  page.on('response', (r) => { const h = r.headers()['content-security-policy']; if (h) csp.push(h) })

  await page.goto(`${lan}/login`)
  await page.getByLabel('Username').fill('alice')
  await page.getByLabel('Password').fill('demo')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), wait)
  const socketOpened = page.waitForEvent('websocket', wait)
  await page.goto(`${lan}/livechat/console`)
  const socket = await socketOpened
  t.match(socket.url(), new RegExp(`^ws://helpdesk\\.corp:${port}/livechat/ws/console`), 'the socket on the same name, not wss')

  t.equal(new URL(page.url()).origin, lan, 'still on the LAN name over http')
  t.ok(await page.evaluate(() => typeof (window as unknown as { htmx?: unknown }).htmx === 'object'), 'htmx loaded')
  const sheets = await page.evaluate(() => Array.from(document.styleSheets, (s) => s.href).filter((h): h is string => h !== null))
  t.ok(sheets.some((h) => h.startsWith(`${lan}/livechat/assets/`)), 'the plugin\'s stylesheet is applied')
  // A rule of the plugin's own CSS: the top bar is laid out as flex, not as a plain block.
  t.equal(await page.evaluate(() => getComputedStyle(document.querySelector('.lc-topbar')!).display), 'flex', 'its rules apply')
  await page.getByRole('switch', { name: 'Available' }).check()
  await page.getByText('Taking chats', { exact: true }).waitFor(wait)
  t.pass('htmx and the socket work: Available switched on')

  t.same(requested.filter((u) => u.startsWith('https:')), [], 'nothing was asked for over https')
  t.same(failed, [], 'no request failed')
  t.ok(csp.length > 0, 'pages carry a content security policy')
  t.same(csp.filter((h) => /upgrade-insecure-requests/.test(h)), [], 'without upgrade-insecure-requests')
})
