import t from 'tap'
import { build } from '../helpers/build.ts'
import { missing, openBrowser, wait } from '../helpers/browser.ts'
import { signatureValid, webhookReceiver } from '../helpers/webhook-receiver.ts'

// The Webhooks page in a real browser (docs/features.md#webhooks): an administrator comes
// from the help desk's admin navigation, a loopback address not allowed is refused beside the
// field, the endpoint is registered and its secret shown once, Send test event reaches the
// receiver signed with that secret, and the delivery log shows the attempt and redelivers it.

t.test('an administrator registers an endpoint and sends it a test event', { skip: missing }, async (t) => {
  const receiver = await webhookReceiver()
  t.teardown(async () => { await receiver.close() })
  const settings = { chatStartsPerMinute: 1000, messagesPerMinute: 10000, webhookAllowedHosts: ['127.0.0.1'] }
  const { url } = await build(t, { listen: true, pluginOptions: { settings } })
  const watched = await openBrowser(t, 'admin')
  const { page } = watched
  await page.goto(`${url}/login`)
  await page.getByLabel('Username').fill('admin')
  await page.getByLabel('Password').fill('demo')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), wait)
  await page.getByRole('link', { name: 'Live chat webhooks' }).click()
  await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor(wait)
  t.ok(await page.getByText('No webhook endpoint yet').isVisible())

  const form = page.locator('#lc-webhook-form')
  await form.getByLabel('URL').fill('http://127.0.0.2:9/hooks')
  await form.getByRole('checkbox', { name: /chat\.ended/ }).check()
  await form.getByRole('button', { name: 'Register' }).click()
  await form.getByText(/127\.0\.0\.2 is a loopback address, where webhooks are not sent/).waitFor(wait)
  t.equal(await form.getByRole('checkbox', { name: /chat\.ended/ }).isChecked(), true, 'the ticked event is kept')

  await form.getByLabel('URL').fill(`${receiver.url}/crm`)
  await form.getByLabel('Description').fill('CRM sync')
  await form.getByRole('button', { name: 'Register' }).click()
  const secret = page.locator('[data-secret]')
  await secret.waitFor(wait)
  const shown = (await secret.textContent())!.trim()
  t.match(shown, /^whsec_/)
  const card = page.locator('article[data-endpoint-id]')
  await card.getByText(`${receiver.url}/crm`).waitFor(wait)
  t.equal(await form.getByLabel('URL').inputValue(), '', 'the form is empty again')

  await card.getByRole('button', { name: 'Send test event' }).click()
  await page.getByText(/Delivered: the receiver answered 200/).waitFor(wait)
  t.equal(receiver.received.length, 1)
  t.ok(signatureValid(shown, receiver.received[0]!), 'signed with the secret shown')

  await page.reload()
  t.equal(await page.locator('[data-secret]').count(), 0, 'the secret is not shown again')
  await page.getByRole('link', { name: 'Delivery log' }).click()
  await page.getByRole('heading', { name: /Delivery log of/ }).waitFor(wait)
  t.ok(await page.getByText(/\(test\): 200 in \d+ ms/).isVisible())
  await page.getByRole('button', { name: 'Redeliver' }).click()
  await page.getByText(/\(redeliver\): 200 in \d+ ms/).waitFor(wait)
  t.equal(receiver.received.length, 2)
  t.equal(receiver.received[1]!.headers['x-livechat-event-id'], receiver.received[0]!.headers['x-livechat-event-id'], 'the same event id')

  t.same(watched.pageErrors, [])
  // The one refusal above is a 422 the browser reports as it loads it; nothing else went wrong.
  t.same(watched.consoleErrors.filter((e) => !/status of 422 .*\/livechat\/admin\/webhooks\)$/.test(e)), [])
  t.equal(watched.consoleErrors.length, 1)
  t.same(watched.failedRequests, [])
})
