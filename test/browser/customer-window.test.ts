import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import t from 'tap'
import type { Page } from 'playwright-core'
import { build } from '../helpers/build.ts'
import { chatWithAlice, missing, openBrowser, send, wait } from '../helpers/browser.ts'

// docs/features.md#chat-window: the customer's window on a phone (360×740) as on a desktop:
// nothing scrolls sideways, the reply box stays in view however long the conversation, and the
// conversation takes the room the header and the reply box leave. SCREENSHOTS=1 also writes
// docs/screenshots/customer-phone.png for the README.

/** How the window lies out: sideways overflow, and where the conversation and the reply box are. */
async function layout (page: Page) {
  return await page.evaluate(() => {
    const box = (selector: string) => {
      const r = document.querySelector(selector)!.getBoundingClientRect()
      return { top: r.top, bottom: r.bottom, height: r.height }
    }
    return {
      overflowX: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      viewport: window.innerHeight,
      conversation: box('[aria-label="Conversation"]'),
      message: box('textarea[name="body"]'),
      send: box('.lc-composer button[type="submit"]')
    }
  })
}

t.test('the customer window fits a phone and a desktop', { skip: missing }, async (t) => {
  const { url } = await build(t, { listen: true })
  const alice = await openBrowser(t, 'alice')
  const dana = await openBrowser(t, 'dana')
  await dana.page.setViewportSize({ width: 360, height: 740 })
  await chatWithAlice(alice.page, dana.page, url, 'My laptop will not charge since the update this morning')
  const lines = [
    'Which laptop model is it, and is the charging light on at all?',
    'A ThinkPad T14. The light blinks orange three times, then goes off.',
    'Thanks. Three blinks means the battery firmware is waiting: hold the power button for 15 seconds with the charger in.',
    'That worked, it is charging now!',
    'A long address without spaces: https://support.example.com/articles/battery-firmware-update-thinkpad-t14-generation-3-orange-light'
  ]
  for (const [i, line] of lines.entries()) {
    const from = i % 2 === 0 ? alice.page : dana.page
    await send(from, line)
    await dana.page.locator('.lc-msg__body', { hasText: line.slice(0, 30) }).waitFor(wait)
  }

  for (const size of [{ width: 360, height: 740 }, { width: 1440, height: 900 }]) {
    await dana.page.setViewportSize(size)
    const at = `${size.width}×${size.height}`
    const shown = await layout(dana.page)
    t.equal(shown.overflowX, 0, `${at}: nothing scrolls sideways`)
    t.ok(shown.message.bottom <= shown.viewport && shown.send.bottom <= shown.viewport, `${at}: the reply box and Send are in view`)
    t.ok(shown.conversation.height >= shown.viewport * 0.4, `${at}: the conversation has at least 40% of the height (${Math.round(shown.conversation.height)} of ${shown.viewport} px)`)
  }

  if (process.env.SCREENSHOTS === '1') {
    await dana.page.setViewportSize({ width: 360, height: 740 })
    await dana.page.locator('[aria-label="Conversation"]').evaluate((list) => { list.scrollTop = list.scrollHeight })
    const file = resolve(import.meta.dirname, '../../docs/screenshots/customer-phone.png')
    await mkdir(resolve(file, '..'), { recursive: true })
    await dana.page.screenshot({ path: file })
  }
})

/** Makes the page believe its window is hidden (another tab in front) or shown again, as the browser would tell it. */
async function showWindow (page: Page, visible: boolean): Promise<void> {
  await page.evaluate((state) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state })
    document.dispatchEvent(new Event('visibilitychange'))
  }, visible ? 'visible' : 'hidden')
}

t.test('a reply while the customer\'s window is in the background: a count in the title and a sound, muted by the switch', { skip: missing }, async (t) => {
  const { url } = await build(t, { listen: true })
  const alice = await openBrowser(t, 'alice')
  const dana = await openBrowser(t, 'dana')
  await chatWithAlice(alice.page, dana.page, url, 'Where is my parcel?')
  const page = dana.page
  const plain = await page.title()
  // Counts the sound's plays, whether or not the browser lets it be heard.
  await page.evaluate(() => {
    const w = window as unknown as { __plays: string[] }
    w.__plays = []
    HTMLMediaElement.prototype.play = function () { w.__plays.push(this.currentSrc || this.src); return Promise.resolve() }
  })
  const plays = async () => await page.evaluate(() => (window as unknown as { __plays: string[] }).__plays)
  const reply = async (text: string) => {
    await send(alice.page, text)
    await page.locator('.lc-msg__body', { hasText: text }).waitFor(wait)
  }

  await reply('Seen while you look')
  t.equal(await page.title(), plain, 'no count while the window is in front')
  t.strictSame(await plays(), [], 'and no sound')

  await showWindow(page, false)
  await reply('First while away')
  await reply('Second while away')
  await page.waitForFunction(() => document.title.startsWith('(2) '), null, wait)
  t.equal(await page.title(), `(2) ${plain}`, 'two new replies counted in the title')
  t.equal((await plays()).length, 2, 'a sound for each')
  t.match((await plays())[0], /\/livechat\/assets\/reply\.wav$/, 'the sound is our own file')
  const sound = await page.request.get(`${url}/livechat/assets/reply.wav`)
  t.equal(sound.status(), 200)
  t.match(sound.headers()['content-type'], /^audio\//, 'served as audio')

  await page.getByRole('checkbox', { name: 'Sound for new replies' }).uncheck()
  await reply('Third, muted')
  await page.waitForFunction(() => document.title.startsWith('(3) '), null, wait)
  t.equal((await plays()).length, 2, 'muted: counted, not heard')

  await showWindow(page, true)
  t.equal(await page.title(), plain, 'seen again: the count clears')
  await page.reload()
  t.notOk(await page.getByRole('checkbox', { name: 'Sound for new replies' }).isChecked(), 'muted stays muted in this browser')
})
