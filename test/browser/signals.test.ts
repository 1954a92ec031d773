import { join } from 'node:path'
import t from 'tap'
import { build } from '../helpers/build.ts'
import { missing, openBrowser, openConsole, pressStartChat, wait } from '../helpers/browser.ts'

// The console's running durations (docs/features.md#queue-and-transferred) move on in the
// page, with no push from the server, and turn amber, then red, at the idle thresholds.

t.test('the Queue\'s waiting time runs in the page and takes the idle colours', { skip: missing }, async (t) => {
  const { url } = await build(t, { listen: true, online: false })
  const aliceSide = await openBrowser(t, 'alice')
  const danaSide = await openBrowser(t, 'dana')
  const [alice, dana] = [aliceSide.page, danaSide.page]
  await openConsole(alice, url, 'alice')
  await alice.getByRole('switch', { name: 'Available' }).check()
  await alice.getByText('Taking chats', { exact: true }).waitFor(wait)

  await dana.goto(`${url}/livechat/start`)
  await dana.getByLabel('Name').fill('Dana Doyle')
  await dana.getByLabel('Email').fill('dana@customer.example')
  await dana.getByLabel('Question').fill('The printer is offline')
  await pressStartChat(dana)

  const waiting = alice.locator('[id^="lc-queue-row-"] .lc-since')
  await waiting.waitFor(wait)
  t.equal(await waiting.getAttribute('class'), 'lc-since', 'calm: no colour')
  const first = await waiting.innerText()
  t.match(first, /^\d+s$/)
  // The next second shows without any frame from the server.
  await alice.waitForFunction((before) => document.querySelector('[id^="lc-queue-row-"] .lc-since')?.textContent !== before, first)
  t.pass('the waiting time moves on by itself')

  // The same row, as if the customer had started just under the warning (120 s) and the high mark (300 s) ago.
  for (const [ago, level, words] of [[119_000, 'amber', ' (idle warning)'], [299_000, 'red', ' (high idle)']] as const) {
    await waiting.evaluate((el, ms) => { el.setAttribute('data-since', String(Number(el.closest('[data-now]')?.getAttribute('data-now')) - ms)) }, ago)
    await alice.waitForFunction((cls) => document.querySelector('[id^="lc-queue-row-"] .lc-since')?.classList.contains(cls), `lc-since--${level}`)
    t.equal(await waiting.locator('[data-since-level]').textContent(), words, `${level}, and said in words`)
  }
  t.match(await waiting.evaluate((el) => el.firstChild?.nodeValue), /^5m \d+s$/)
  if (process.env.LC_SCREENSHOTS) {
    await alice.setViewportSize({ width: 1440, height: 900 })
    await alice.screenshot({ path: join(process.env.LC_SCREENSHOTS, 'console-queue-signals.png') })
  }

  for (const side of [aliceSide, danaSide]) {
    t.same(side.pageErrors, [], 'no page errors')
    t.same(side.consoleErrors, [], 'no console errors')
  }
})
