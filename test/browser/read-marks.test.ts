import t from 'tap'
import type { Page } from 'playwright-core'
import { build } from '../helpers/build.ts'
import { chatWithAlice, missing, openBrowser, send, wait } from '../helpers/browser.ts'

// docs/features.md#read-marks: each side's own messages show Delivered once the other side's
// window holds them and Read once it has seen them; a hidden customer window reads nothing.

/** Makes the page believe its window is hidden (another tab in front) or shown again, as the browser would tell it. */
async function showWindow (page: Page, visible: boolean): Promise<void> {
  await page.evaluate((state) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state })
    document.dispatchEvent(new Event('visibilitychange'))
  }, visible ? 'visible' : 'hidden')
}

/** The newest message with `text` as the page shows it: read or not, and the words a screen reader hears. */
async function markOf (page: Page, text: string): Promise<{ read: boolean, words: string | null }> {
  const message = page.locator('.lc-msg', { hasText: text }).last()
  return await message.evaluate((m) => ({ read: m.classList.contains('lc-msg--read'), words: m.querySelector('.lc-msg__mark')?.textContent ?? null }))
}

t.test('read marks both ways, in the console and the customer\'s window', { skip: missing }, async (t) => {
  const { url } = await build(t, { listen: true })
  const alice = await openBrowser(t, 'alice')
  const dana = await openBrowser(t, 'dana')
  await chatWithAlice(alice.page, dana.page, url, 'My printer jams on every page')

  // The customer's window is hidden: the agent's message arrives but is not read.
  await showWindow(dana.page, false)
  await send(alice.page, 'Which tray do you print from?')
  await dana.page.locator('.lc-msg__body', { hasText: 'Which tray do you print from?' }).waitFor(wait)
  await alice.page.locator('.lc-msg--delivered', { hasText: 'Which tray do you print from?' }).waitFor(wait)
  t.same(await markOf(alice.page, 'Which tray do you print from?'), { read: false, words: 'Delivered' }, 'delivered, not read, while the window is hidden')

  await showWindow(dana.page, true)
  await alice.page.locator('.lc-msg--read', { hasText: 'Which tray do you print from?' }).waitFor(wait)
  t.same(await markOf(alice.page, 'Which tray do you print from?'), { read: true, words: 'Read' }, 'read once the window is seen')

  // The agent's console shows the chat: the customer's answer is read at once.
  await send(dana.page, 'The bottom tray')
  await dana.page.locator('.lc-msg--read', { hasText: 'The bottom tray' }).waitFor(wait)
  t.same(await markOf(dana.page, 'The bottom tray'), { read: true, words: 'Read' }, 'the customer sees the agent read it')
  t.equal(await dana.page.locator('.lc-msg__mark').count(), 1, 'only the newest own message says so in words')

  await alice.page.setViewportSize({ width: 1440, height: 900 })
  await dana.page.setViewportSize({ width: 360, height: 740 })
  if (process.env.SHOTS) {
    await alice.page.screenshot({ path: `${process.env.SHOTS}/console.png` })
    await dana.page.screenshot({ path: `${process.env.SHOTS}/customer.png` })
  }
})
