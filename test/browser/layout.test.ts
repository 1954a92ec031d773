import t from 'tap'
import type { Page } from 'playwright-core'
import { build, startChat } from '../helpers/build.ts'
import { chatWithAlice, missing, openBrowser, openConsole, send, wait } from '../helpers/browser.ts'

// The console's layout and keyboard in a real browser (docs/features.md#layout,
// #keyboard-shortcuts): at a desktop, a laptop and a phone, with a chat open, the transcript
// has at least half the pane, the top bar and the header line keep to one line and nothing in
// them is cut; the tabs follow the arrow keys; ? lists the shortcuts; Ctrl+K jumps; Alt+E ends
// the chat after asking.

const sizes = [
  { width: 1440, height: 900 },
  { width: 1280, height: 800 },
  { width: 360, height: 740 }
]

interface Measured {
  pane: number
  transcript: number
  topbar: { rows: number, scroll: number, client: number }
  header: { height: number, line: number, scroll: number, client: number }
  tabs: { rows: number, scroll: number, client: number }
}

/** Heights, widths and rows of what the layout promises, read from the laid-out page. */
async function measure (page: Page): Promise<Measured> {
  return await page.evaluate(() => {
    const visible = (el: Element) => (el as HTMLElement).offsetParent !== null && el.getBoundingClientRect().width > 0
    // How many lines the visible children of `el` sit on: one distinct top a row.
    const rows = (el: Element) => {
      const middles = Array.from(el.children).filter(visible).map((c) => c.getBoundingClientRect().top + c.getBoundingClientRect().height / 2).sort((a, b) => a - b)
      return middles.filter((y, i) => i === 0 || y - middles[i - 1]! > 8).length
    }
    const pane = document.querySelector('.lc-pane:not([hidden])')!
    const topbar = document.querySelector('.lc-topbar')!
    const line = pane.querySelector('.lc-chat-header__line')!
    const tabs = pane.querySelector('[role="tablist"]')!
    return {
      pane: pane.getBoundingClientRect().height,
      transcript: pane.querySelector('.lc-messages')!.getBoundingClientRect().height,
      topbar: { rows: rows(topbar), scroll: topbar.scrollWidth, client: topbar.clientWidth },
      header: { height: line.getBoundingClientRect().height, line: parseFloat(getComputedStyle(line).lineHeight), scroll: line.scrollWidth, client: line.clientWidth },
      tabs: { rows: rows(tabs), scroll: tabs.scrollWidth, client: tabs.clientWidth }
    }
  })
}

/** The chat pane's tab that has the keyboard focus, by its label. */
async function focusedTab (page: Page): Promise<string | null> {
  return await page.evaluate(() => document.activeElement?.getAttribute('role') === 'tab' ? document.activeElement.textContent : null)
}

/** Focus on the page itself, as after a click on an empty part of it: letters are shortcuts. */
async function leaveFields (page: Page): Promise<void> {
  await page.evaluate(() => { (document.activeElement as HTMLElement | null)?.blur() })
}

t.test('the console at three sizes, by keyboard', { skip: missing }, async (t) => {
  const { url, app } = await build(t, { listen: true })
  const aliceSide = await openBrowser(t, 'alice')
  const danaSide = await openBrowser(t, 'dana')
  const alice = aliceSide.page
  const dana = danaSide.page
  await chatWithAlice(alice, dana, url, 'My VPN will not connect since this morning.')
  const pane = alice.locator('.lc-pane:not([hidden])')
  await pane.getByRole('textbox', { name: 'Message' }).waitFor(wait)
  t.equal(await alice.evaluate(() => document.activeElement?.getAttribute('name')), 'body', 'the accepted chat\'s reply box has the focus')
  await send(alice, 'Hi Dana, what does the VPN client say?')

  for (const size of sizes) {
    const at = `${size.width}×${size.height}`
    await alice.setViewportSize(size)
    await alice.waitForFunction(() => document.querySelector('.lc-pane:not([hidden]) .lc-messages')!.getBoundingClientRect().height > 0)
    const m = await measure(alice)
    t.ok(m.transcript >= m.pane / 2, `${at}: the transcript has at least half the pane (${Math.round(m.transcript)} of ${Math.round(m.pane)} px)`)
    t.equal(m.topbar.rows, 1, `${at}: the top bar is one line`)
    t.ok(m.topbar.scroll <= m.topbar.client, `${at}: nothing in the top bar is cut (${m.topbar.scroll} ≤ ${m.topbar.client})`)
    t.ok(m.header.height < m.header.line * 2, `${at}: the header line is one line (${Math.round(m.header.height)} px, a line is ${Math.round(m.header.line)})`)
    t.ok(m.header.scroll <= m.header.client, `${at}: nothing in the header line is cut`)
    t.equal(m.tabs.rows, 1, `${at}: the tabs are one row`)
    t.ok(m.tabs.scroll <= m.tabs.client, `${at}: no tab is cut (the rest are under More)`)
  }
  await alice.setViewportSize({ width: 360, height: 740 })
  const moreTabs = pane.getByLabel(/^More tabs of chat/)
  await moreTabs.click()
  t.ok(await pane.locator('[data-lc-tabs-more]').getByRole('button', { name: 'Attachments' }).isVisible(), 'a phone puts the tabs that do not fit under More')
  await moreTabs.click()
  await alice.setViewportSize({ width: 1280, height: 800 })

  // WAI-ARIA tabs: only the selected tab is in the Tab order; arrows, Home and End move.
  const conversation = pane.getByRole('tab', { name: 'Conversation' })
  t.equal(await conversation.getAttribute('tabindex'), '0')
  t.equal(await pane.getByRole('tab', { name: 'Comments' }).getAttribute('tabindex'), '-1')
  await conversation.focus()
  await alice.keyboard.press('ArrowRight')
  t.equal(await focusedTab(alice), 'Comments', 'ArrowRight moves to the next tab')
  t.equal(await pane.getByRole('tab', { name: 'Comments' }).getAttribute('aria-selected'), 'true', 'and selects it')
  await pane.getByRole('tabpanel').getByRole('button', { name: 'Add comment' }).waitFor(wait)
  await alice.keyboard.press('End')
  t.equal(await focusedTab(alice), 'Attachments', 'End goes to the last tab (at 1280 px every tab fits)')
  await alice.keyboard.press('ArrowRight')
  t.equal(await focusedTab(alice), 'Conversation', 'ArrowRight from the last wraps to the first')
  await alice.keyboard.press('ArrowLeft')
  t.equal(await focusedTab(alice), 'Attachments', 'ArrowLeft from the first wraps to the last')
  await alice.keyboard.press('Home')
  t.equal(await focusedTab(alice), 'Conversation', 'Home goes to the first tab')
  t.equal(await pane.getByRole('tab', { name: 'Attachments' }).getAttribute('tabindex'), '-1', 'a tab left behind leaves the Tab order')
  t.ok(await pane.getByRole('textbox', { name: 'Message' }).isVisible(), 'the conversation is back with its reply box')

  // ? lists the shortcuts, Escape closes the list; typed in the reply box, ? is just a character.
  await pane.getByRole('textbox', { name: 'Message' }).fill('')
  await pane.getByRole('textbox', { name: 'Message' }).press('?')
  t.equal(await pane.getByRole('textbox', { name: 'Message' }).inputValue(), '?', 'typing ? in the reply box types it')
  await pane.getByRole('textbox', { name: 'Message' }).fill('')
  const shortcuts = alice.getByRole('dialog', { name: 'Keyboard shortcuts' })
  t.notOk(await shortcuts.isVisible(), 'and opens nothing')
  await leaveFields(alice)
  await alice.keyboard.press('?')
  await shortcuts.waitFor(wait)
  t.ok(await shortcuts.getByText('Next open chat').isVisible(), 'the list names the shortcuts')
  await alice.keyboard.press('Escape')
  await shortcuts.waitFor({ state: 'hidden', ...wait })
  t.pass('Escape closes it')

  // Ctrl+K from the reply box: the palette finds the Comments tab by a word.
  await pane.getByRole('textbox', { name: 'Message' }).focus()
  await alice.keyboard.press('Control+k')
  const palette = alice.getByRole('dialog', { name: 'Command palette' })
  await palette.waitFor(wait)
  await palette.getByRole('combobox').fill('history')
  await palette.getByRole('option', { name: /History/ }).first().waitFor(wait)
  await alice.keyboard.press('Enter')
  await palette.waitFor({ state: 'hidden', ...wait })
  t.equal(await pane.getByRole('tab', { name: 'History' }).getAttribute('aria-selected'), 'true', 'Enter opens what was picked')
  await leaveFields(alice)
  await alice.keyboard.press('[')
  t.equal(await pane.getByRole('tab', { name: 'Related Items' }).getAttribute('aria-selected'), 'true', '[ goes to the tab before')
  await alice.keyboard.press('r')
  t.equal(await pane.getByRole('tab', { name: 'Conversation' }).getAttribute('aria-selected'), 'false', 'r does not switch tabs')
  await conversation.click()
  await leaveFields(alice)
  await alice.keyboard.press('r')
  t.equal(await alice.evaluate(() => document.activeElement?.getAttribute('name')), 'body', 'r puts the cursor in the reply box')

  // Emoji beside the reply box go where the cursor was.
  await pane.getByRole('textbox', { name: 'Message' }).fill('Thanks ')
  await pane.getByLabel('Insert emoji').click()
  await pane.getByRole('button', { name: 'thumbs up' }).click()
  t.equal(await pane.getByRole('textbox', { name: 'Message' }).inputValue(), 'Thanks 👍', 'an emoji goes where the cursor was')
  t.equal(await alice.evaluate(() => document.activeElement?.getAttribute('name')), 'body', 'and the reply box keeps the focus')
  await pane.getByRole('textbox', { name: 'Message' }).fill('')

  // Alt+T opens the transfer form at its first field; Cancel gives the focus back to the toolbar.
  await alice.keyboard.press('Alt+t')
  await pane.getByLabel('New group').waitFor(wait)
  await alice.waitForFunction(() => document.activeElement?.getAttribute('name') === 'group_id')
  t.pass('Alt+T opens Transfer with the focus on New group')
  await pane.getByRole('button', { name: 'Cancel' }).click()
  await alice.waitForFunction(() => document.activeElement?.textContent === 'Transfer')
  t.pass('Cancel puts the focus back on Transfer')

  // A waits for nobody: it accepts the chat waiting longest, whose reply box takes the focus;
  // Alt+↑ and J go back and forth between the open chats.
  await startChat(app, { name: 'Erin Evans', email: 'erin@customer.example', question: 'I need the Finance drive' })
  await alice.getByRole('region', { name: /Queue/ }).getByRole('button', { name: 'Accept' }).waitFor(wait)
  await leaveFields(alice)
  await alice.keyboard.press('a')
  await alice.locator('.lc-pane:not([hidden])[aria-label="Chat with Erin Evans"]').waitFor(wait)
  await alice.waitForFunction(() => document.activeElement?.closest('.lc-pane')?.getAttribute('aria-label') === 'Chat with Erin Evans')
  t.pass('A accepts the waiting chat and its reply box has the focus')
  await alice.keyboard.press('Alt+ArrowUp')
  await alice.locator('.lc-pane:not([hidden])[aria-label="Chat with Dana Doyle"]').waitFor(wait)
  t.pass('Alt+↑ shows the chat before')
  await leaveFields(alice)
  await alice.keyboard.press('j')
  await alice.locator('.lc-pane:not([hidden])[aria-label="Chat with Erin Evans"]').waitFor(wait)
  t.pass('J shows the next chat')
  await alice.keyboard.press('Alt+ArrowDown')
  await alice.locator('.lc-pane:not([hidden])[aria-label="Chat with Dana Doyle"]').waitFor(wait)
  t.pass('Alt+↓ wraps round to the first')

  // Alt+E asks first; Escape keeps the chat; confirmed, it ends and the customer is told.
  await alice.keyboard.press('Alt+e')
  const confirm = alice.getByRole('dialog', { name: /^End chat #\d+ with Dana Doyle\?$/ })
  await confirm.waitFor(wait)
  t.equal(await alice.evaluate(() => document.activeElement?.textContent), 'Cancel', 'the safe answer has the focus')
  await alice.keyboard.press('Escape')
  await confirm.waitFor({ state: 'hidden', ...wait })
  t.equal(await pane.getByText('Active', { exact: true }).count(), 1, 'Escape leaves the chat active')
  await pane.getByRole('button', { name: 'End Chat' }).click()
  await confirm.getByRole('button', { name: 'Yes, end the chat' }).click()
  await dana.getByText('This chat has ended', { exact: true }).waitFor(wait)
  t.pass('confirmed, the chat ends')

  // A list too wide for a phone scrolls sideways with its first column kept in view.
  await alice.setViewportSize({ width: 360, height: 740 })
  await alice.goto(`${url}/livechat/console/lists/my-completed`)
  const list = await alice.evaluate(() => {
    const box = document.querySelector('.lc-list-table')!
    const first = box.querySelector('tbody td, tbody th')!
    box.scrollLeft = box.scrollWidth
    return { wider: box.scrollWidth > box.clientWidth, scrolled: box.scrollLeft > 0, kept: Math.abs(first.getBoundingClientRect().left - box.getBoundingClientRect().left) < 2 }
  })
  t.ok(list.wider && list.scrolled, 'the list scrolls sideways on a phone')
  t.ok(list.kept, 'its first column stays in view')
  await alice.setViewportSize({ width: 1280, height: 800 })

  // An administrator's top bar, the fullest (Unassigned, Admin), at 1280 px: on the console
  // and on an administration page.
  const adminSide = await openBrowser(t, 'admin')
  await openConsole(adminSide.page, url, 'admin')
  for (const path of ['/livechat/console', '/livechat/admin/settings']) {
    await adminSide.page.goto(`${url}${path}`)
    const bar = await adminSide.page.evaluate(() => {
      const el = document.querySelector('.lc-topbar')!
      const middles = Array.from(el.querySelectorAll(':scope > *, :scope > nav > *')).filter((c) => c.getBoundingClientRect().width > 0)
        .map((c) => c.getBoundingClientRect().top + c.getBoundingClientRect().height / 2).sort((a, b) => a - b)
      return { rows: middles.filter((y, i) => i === 0 || y - middles[i - 1]! > 8).length, scroll: el.scrollWidth, client: el.clientWidth, user: (el.querySelector('.lc-topbar__user') as HTMLElement).offsetWidth }
    })
    t.equal(bar.rows, 1, `${path}: an administrator's top bar is one line at 1280 px`)
    t.ok(bar.scroll <= bar.client && bar.user > 0, `${path}: nothing in it is cut`)
  }

  for (const side of [aliceSide, danaSide, adminSide]) {
    t.strictSame(side.pageErrors, [], 'no script errors')
    t.strictSame(side.consoleErrors, [], 'no console errors')
  }
})
