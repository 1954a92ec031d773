import t from 'tap'
import { build } from '../helpers/build.ts'
import { markPage, missing, openBrowser, stillSamePage, wait } from '../helpers/browser.ts'

// The API tokens page in a real browser (docs/features.md#api-tokens): a refused form keeps
// what was typed, a new token is shown once and works, Revoke asks first and then the token
// is refused; the reference page opens from it.

t.test('API tokens in a real browser', { skip: missing }, async (t) => {
  const { url } = await build(t, { listen: true })
  const side = await openBrowser(t, 'admin')
  const page = side.page
  await page.goto(`${url}/login`)
  await page.getByLabel('Username').fill('admin')
  await page.getByLabel('Password').fill('demo')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), wait)
  await page.goto(`${url}/livechat/admin/api-tokens`)
  await page.getByText('No API tokens yet', { exact: false }).waitFor(wait)
  await markPage(page)

  const form = page.locator('#lc-api-token-form')
  await form.getByLabel('Name', { exact: true }).fill('CRM sync')
  await form.getByLabel('Allowed addresses').fill('127.0.0.1\nnot an address')
  await form.getByRole('button', { name: 'Create token' }).click()
  await page.locator('#lc-api-token-form-ipAllow-error').filter({ hasText: 'not an address is not an address or range' }).waitFor(wait)
  t.equal(await page.locator('#lc-api-token-form').getByLabel('Name', { exact: true }).inputValue(), 'CRM sync', 'what was typed is kept')

  await page.locator('#lc-api-token-form').getByLabel('Allowed addresses').fill('127.0.0.1')
  await page.locator('#lc-api-token-form').getByLabel(/messages:write/).check()
  await page.locator('#lc-api-token-form').getByRole('button', { name: 'Create token' }).click()
  const shown = page.locator('code.lc-secret')
  await shown.waitFor(wait)
  const secret = await shown.innerText()
  t.match(secret, /^lc_[A-Za-z0-9_-]{43}$/, 'the token is shown')
  const card = page.getByRole('article', { name: 'CRM sync' })
  await card.getByText('chats:read, messages:write').waitFor(wait)
  t.equal(await page.locator('#lc-api-token-form').getByLabel('Name', { exact: true }).inputValue(), '', 'the form is empty again')

  const call = async (): Promise<number> => (await fetch(`${url}/livechat/api/v1/groups`, { headers: { authorization: `Bearer ${secret}` } })).status
  t.equal(await call(), 200, 'the token works')

  page.once('dialog', (dialog) => { t.match(dialog.message(), /Revoke the token CRM sync\?/); void dialog.accept() })
  await card.getByRole('button', { name: 'Revoke' }).click()
  await page.getByText('Token "CRM sync" is revoked', { exact: false }).waitFor(wait)
  await page.getByRole('article', { name: 'CRM sync' }).getByText('Revoked', { exact: true }).waitFor(wait)
  t.equal(await page.locator('code.lc-secret').count(), 0, 'the token is no longer on the page')
  t.equal(await call(), 401, 'and is refused')
  t.ok(await stillSamePage(page), 'no reload')

  await page.getByRole('link', { name: 'CRM sync' }).click()
  await page.getByRole('heading', { name: 'Latest calls' }).waitFor(wait)
  t.equal(await page.locator('tr[data-status="200"]').count(), 1)
  t.equal(await page.locator('tr[data-status="401"]').count(), 1)

  await page.goto(`${url}/livechat/api/v1/reference`)
  await page.getByRole('heading', { name: 'Live chat JSON API' }).waitFor(wait)
  await page.getByRole('link', { name: 'POST /livechat/api/v1/chats/{id}/messages' }).click()
  await page.locator('#post-livechat-api-v1-chats-id-messages').getByText('Request body').waitFor(wait)
  t.same(side.pageErrors, [])
  // Chromium logs every 4xx answer; the refused form's 422 is the one expected.
  t.same(side.consoleErrors.filter((e) => !/status of 422 .*\/api-tokens\)$/.test(e)), [])
  t.same(side.failedRequests, [])
})
