import t from 'tap'
import { agentSession, build, startChat } from '../helpers/build.ts'
import { missing, openBrowser, wait } from '../helpers/browser.ts'

// The wallboard in a real browser (docs/features.md#wallboard): the supervisor's board follows
// a chat as it is queued, answered and ended, with no reload; then a report of the same day.
// SCREENSHOTS=1 also writes docs/screenshots/wallboard.png and report.png at 1440×900.

t.test('the wallboard updates live in a browser', { skip: missing }, async (t) => {
  const { app, url } = await build(t, { listen: true })
  const side = await openBrowser(t, 'sam')
  const page = side.page
  await page.setViewportSize({ width: 1440, height: 900 })
  await page.goto(`${url}/login`)
  await page.getByLabel('Username').fill('sam')
  await page.getByLabel('Password').fill('demo')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), wait)
  await page.goto(`${url}/livechat/console/wallboard`)
  const whole = page.locator('[data-section="0"]')
  const value = (id: string) => whole.locator(`[data-tile="${id}"] .lc-tile__value`)
  await value('waiting').filter({ hasText: /^0$/ }).waitFor(wait)
  // Give the socket a moment to be identified before the first change.
  await page.waitForFunction(() => document.querySelector('[hx-ws\\:connect]') !== null)
  await new Promise((resolve) => setTimeout(resolve, 500))

  const { chatId } = await startChat(app, { question: 'Printer keeps jamming' })
  await value('waiting').filter({ hasText: /^1$/ }).waitFor(wait)
  t.pass('queued: one chat waiting')
  await value('started').filter({ hasText: /^1$/ }).waitFor(wait)

  const alice = await agentSession(app, 'alice')
  await alice.post(`/livechat/console/chats/${chatId}/accept`)
  await value('active').filter({ hasText: /^1$/ }).waitFor(wait)
  await value('waiting').filter({ hasText: /^0$/ }).waitFor(wait)
  t.pass('accepted: one active, none waiting')

  await alice.post(`/livechat/console/chats/${chatId}/end`)
  await value('active').filter({ hasText: /^0$/ }).waitFor(wait)
  await value('missed').filter({ hasText: /^1$/ }).waitFor(wait)
  t.pass('ended without a reply: none active, one missed')

  if (process.env.SCREENSHOTS) {
    const second = await startChat(app, { question: 'Cannot sign in to the VPN' })
    await startChat(app, { question: 'Where is my invoice?' })
    await value('waiting').filter({ hasText: /^2$/ }).waitFor(wait)
    void second
    await page.screenshot({ path: 'docs/screenshots/wallboard.png' })
    await page.goto(`${url}/livechat/console/reports?period=7`)
    await page.locator('#lc-report-summary').waitFor(wait)
    await page.screenshot({ path: 'docs/screenshots/report.png' })
  }
  t.same(side.pageErrors, [], 'no script errors')
})
