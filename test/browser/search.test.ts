import t from 'tap'
import { agentSession, build, startChat } from '../helpers/build.ts'
import { missing, openBrowser, openConsole, wait } from '../helpers/browser.ts'

// Searching in a real browser: Advanced Search from the Lists nav, a result opening the
// chat, a mistake coming back beside its field, and a list's search box.

t.test('search in a real browser', { skip: missing }, async (t) => {
  const { app, url } = await build(t, { listen: true })
  const sam = await agentSession(app, 'sam')
  const printer = (await startChat(app, { name: 'Pat Printer', email: 'pat@customer.example', question: 'The printer on floor two jams' })).chatId
  await sam.post(`/livechat/console/chats/${printer}/take`)
  const vpn = (await startChat(app, { name: 'Val Vpn', email: 'val@customer.example', question: 'VPN drops every hour' })).chatId
  const side = await openBrowser(t, 'sam')
  const page = side.page
  await openConsole(page, url, 'sam')

  await page.getByRole('link', { name: 'Advanced Search' }).click()
  await page.getByRole('heading', { name: 'Advanced Search' }).waitFor(wait)
  await page.getByLabel('Search string').fill('printer jams')
  await page.getByLabel('Status').selectOption({ label: 'Active' })
  await page.getByRole('button', { name: 'Search', exact: true }).click()
  const results = page.getByRole('region', { name: /found/ })
  await results.getByRole('link', { name: `#${printer}` }).waitFor(wait)
  t.equal(await results.getByRole('row').count(), 2, 'a header and the one chat found')
  t.match(new URL(page.url()).search, /q=printer\+jams/, 'the address is the search')
  t.equal(await page.getByLabel('Search string').inputValue(), 'printer jams', 'the form keeps it')

  await page.getByLabel('Chat number').fill('twelve')
  await page.getByRole('button', { name: 'Search', exact: true }).click()
  await page.getByText('A chat number is a whole number', { exact: false }).waitFor(wait)
  t.equal(await page.getByLabel('Chat number').getAttribute('aria-invalid'), 'true', 'marked beside the field')
  t.equal(await page.getByLabel('Search string').inputValue(), 'printer jams', 'the rest kept')
  t.equal(await page.getByRole('region', { name: /found/ }).count(), 0, 'nothing searched')

  await page.getByLabel('Chat number').fill('')
  await page.getByRole('button', { name: 'Search', exact: true }).click()
  await results.getByRole('link', { name: `#${printer}` }).click()
  await page.waitForURL(new RegExp(`/livechat/console/chats/${printer}$`), wait)
  t.pass('a result opens the chat in the console\'s view')

  await page.goto(`${url}/livechat/console/lists/global-active`)
  const table = page.locator('#lc-list')
  await table.getByText('Val Vpn').waitFor(wait)
  await page.getByRole('searchbox', { name: 'Search this list' }).fill('vpn')
  await page.getByRole('searchbox', { name: 'Search this list' }).press('Enter')
  await page.waitForURL(/q=vpn/, wait)
  await table.getByText('Val Vpn').waitFor(wait)
  t.equal(await table.getByText('Pat Printer').count(), 0, 'the list narrowed to the chat that matches')
  t.ok(await page.locator(`#lc-list-row-${vpn}`).isVisible())
  t.same(side.pageErrors, [])
  // Chromium logs every 4xx answer; the refused chat number's 422 is the one expected.
  t.same(side.consoleErrors.filter((e) => !/status of 422/.test(e)), [])
})
