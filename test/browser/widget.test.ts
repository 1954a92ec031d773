import { createServer, type Server } from 'node:http'
import t, { type Test } from 'tap'
import { SignJWT } from 'jose'
import type { FrameLocator, Page } from 'playwright-core'
import { build } from '../helpers/build.ts'
import { markPage, missing, openBrowser, openConsole, stillSamePage, wait } from '../helpers/browser.ts'

// docs/features.md#embeddable-widget: a shop on another site (127.0.0.2, so another origin
// and another site: the frame is third-party, its cookies partitioned) embeds the widget,
// signs its customer in with a token, and keeps the chat across its own pages.

const secret = 'the-shop-and-the-desk-share-this-secret'

async function identity (claims: Record<string, string>): Promise<string> {
  return await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('10m').setAudience('livechat')
    .sign(new TextEncoder().encode(secret))
}

/** The shop: plain pages with the widget's one tag, under a CSP that allows nothing inline. */
async function shop (t: Test, tokens: Record<string, string>): Promise<{ origin: string, setDesk: (url: string) => void }> {
  let desk = ''
  const server: Server = createServer((request, response) => {
    const [path, query] = (request.url ?? '/').split('?')
    const page = /^\/page-(\d)$/.exec(path ?? '')?.[1]
    if (!page) { response.writeHead(404).end(); return }
    const token = tokens[new URLSearchParams(query).get('as') ?? 'dana'] ?? ''
    response.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'none'; script-src ${desk}; style-src ${desk}; connect-src ${desk}; frame-src ${desk}`
    })
    response.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop page ${page}</title></head>
<body><h1>Shop page ${page}</h1><p><a href="/page-${Number(page) + 1}${query ? `?${query}` : ''}">Next page</a></p>
<script src="${desk}/livechat/widget.js" data-department="1" data-identity="${token}" async></script></body></html>`)
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.2', resolve) })
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => { resolve() }) }))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return { origin: `http://127.0.0.2:${port}`, setDesk: (url) => { desk = url } }
}

async function sendIn (frame: FrameLocator, text: string): Promise<void> {
  await frame.getByRole('textbox', { name: 'Message' }).fill(text)
  await frame.getByRole('button', { name: 'Send', exact: true }).click()
}

async function agentSays (alice: Page, text: string): Promise<void> {
  const pane = alice.locator('.lc-pane:not([hidden])')
  await pane.getByRole('textbox', { name: 'Message' }).fill(text)
  await pane.getByRole('button', { name: 'Send', exact: true }).click()
}

t.test('the widget on another site: a verified customer chats, and keeps the chat across pages', { skip: missing }, async (t) => {
  const dana = { sub: 'shop-customer-42', name: 'Dana Doyle', email: 'dana@customer.example' }
  const tokens: Record<string, string> = { dana: await identity(dana) }
  const [head, body, signature] = tokens.dana!.split('.')
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), name: 'Ada Admin' })).toString('base64url')
  tokens.forged = `${head}.${forged}.${signature}`
  const site = await shop(t, tokens)
  const { url } = await build(t, { listen: true, pluginOptions: { settings: { widgetOrigins: [site.origin], identitySecret: secret } } })
  site.setDesk(url)

  const agentSide = await openBrowser(t, 'agent')
  const customerSide = await openBrowser(t, 'customer')
  const alice = agentSide.page
  const customer = customerSide.page
  await openConsole(alice, url, 'alice')
  await alice.getByRole('switch', { name: 'Available' }).check()
  await alice.getByText('Taking chats', { exact: true }).waitFor(wait)
  await markPage(alice)

  await customer.goto(`${site.origin}/page-1`)
  const button = customer.locator('.lcw-button')
  await button.getByText('Online now').waitFor(wait)
  t.equal(await button.getAttribute('aria-expanded'), 'false', 'the button says the panel is closed')

  // Keyboard: Enter on the button opens the panel, focus goes into the frame.
  await button.focus()
  await customer.keyboard.press('Enter')
  const panel = customer.getByRole('dialog', { name: 'Chat with us' })
  await panel.waitFor(wait)
  t.equal(await button.getAttribute('aria-expanded'), 'true')
  const frame = customer.frameLocator('iframe[title="Live chat"]')
  await frame.getByText('Verified as Dana Doyle').waitFor(wait)
  t.equal(await frame.getByLabel('Name').inputValue(), 'Dana Doyle', 'the token filled the name')
  t.ok(await frame.getByLabel('Email').getAttribute('readonly') !== null, 'and locked the email')
  await frame.getByLabel('Question').fill('Where is my parcel 7731')
  if (process.env.LC_WIDGET_SCREENSHOTS) await customer.screenshot({ path: `${process.env.LC_WIDGET_SCREENSHOTS}/widget-prechat-1280.png` })
  await frame.getByRole('button', { name: 'Start chat' }).click()
  const suggestions = frame.locator('#lc-suggestions')
  await suggestions.or(frame.locator('[id^="lc-status-"]')).first().waitFor(wait)
  if (await suggestions.count() > 0) await frame.getByRole('button', { name: 'Continue to chat' }).click()
  await frame.locator('[id^="lc-status-"]').waitFor(wait)
  t.pass('the chat started inside the frame (its cookies kept in a third-party frame)')

  // Alice accepts; she sees the customer is verified.
  await alice.getByRole('button', { name: 'Accept' }).click()
  await frame.getByText('You are chatting with Alice Adams').waitFor(wait)
  await alice.locator('.lc-pane:not([hidden]) .lc-badge--verified').waitFor(wait)
  t.pass('the agent sees "verified"')
  await agentSays(alice, 'Hello Dana, let me look that up.')
  await frame.getByText('Hello Dana, let me look that up.').waitFor(wait)
  await sendIn(frame, 'Thank you!')
  await alice.getByText('Thank you!').waitFor(wait)

  // Escape inside the frame closes the panel and gives focus back to the button.
  await frame.getByRole('textbox', { name: 'Message' }).press('Escape')
  await panel.waitFor({ state: 'hidden', ...wait })
  t.ok(await button.evaluate((b) => b === document.activeElement), 'focus is back on the button')

  // A reply while the panel is closed shows as unread on the button.
  await agentSays(alice, 'It left our warehouse this morning.')
  await button.locator('.lcw-badge').getByText('1').waitFor(wait)
  if (process.env.LC_WIDGET_SCREENSHOTS) await button.screenshot({ path: `${process.env.LC_WIDGET_SCREENSHOTS}/widget-unread.png` })
  t.equal(await button.getAttribute('aria-label'), 'Continue chat, 1 unread'.replace('Continue chat', await button.locator('.lcw-button__label').innerText()), 'the count is read out with the label')

  // The shop's next page: the chat is there again, unread count and all.
  await customer.getByRole('link', { name: 'Next page' }).click()
  await customer.waitForURL(/page-2/, wait)
  await button.getByText('Continue chat').waitFor(wait)
  await button.locator('.lcw-badge').getByText('1').waitFor(wait)
  t.pass('the next page still counts the unread reply')
  await button.click()
  await frame.getByText('It left our warehouse this morning.').waitFor(wait)
  t.ok(await frame.getByText('Hello Dana, let me look that up.').isVisible(), 'the whole conversation is kept')
  t.ok(await button.locator('.lcw-badge').isHidden(), 'opened, nothing is unread')
  await sendIn(frame, 'Great, thanks again')
  await alice.getByText('Great, thanks again').waitFor(wait)
  t.ok(await stillSamePage(alice), 'the agent\'s console never reloaded')

  // Screenshots for a person to look at (not committed): desktop and a phone.
  if (process.env.LC_WIDGET_SCREENSHOTS) {
    await customer.setViewportSize({ width: 1440, height: 900 })
    await customer.screenshot({ path: `${process.env.LC_WIDGET_SCREENSHOTS}/widget-1440.png` })
    await customer.setViewportSize({ width: 360, height: 740 })
    await customer.screenshot({ path: `${process.env.LC_WIDGET_SCREENSHOTS}/widget-360.png` })
    await button.click()
    await customer.screenshot({ path: `${process.env.LC_WIDGET_SCREENSHOTS}/widget-360-closed.png` })
  }

  // A kept chat the desk no longer opens (its cookie gone): the next page starts afresh.
  await customer.context().clearCookies()
  await customer.goto(`${site.origin}/page-3`)
  await button.getByText('Chat with us').waitFor(wait)
  await button.click()
  await frame.getByText('Verified as Dana Doyle').waitFor(wait)
  t.pass('a chat the desk no longer opens is forgotten, and the pre-chat form is offered')

  // Another visitor whose token was changed after signing: refused, and a visitor's form.
  const other = await openBrowser(t, 'forged')
  await other.page.goto(`${site.origin}/page-1?as=forged`)
  await other.page.locator('.lcw-button').getByText('Online now').waitFor(wait)
  await other.page.locator('.lcw-button').click()
  const forgedFrame = other.page.frameLocator('iframe[title="Live chat"]')
  await forgedFrame.locator('[data-code="LC_ERR_IDENTITY_SIGNATURE"]').waitFor(wait)
  t.equal(await forgedFrame.getByLabel('Name').inputValue(), '', 'the forged name is not filled in')
  t.equal(await forgedFrame.getByLabel('Name').getAttribute('readonly'), null, 'and the visitor may type their own')

  for (const side of [agentSide, customerSide, other]) {
    t.strictSame(side.pageErrors, [], 'no script errors')
    // The one expected: the forgotten chat's 404, in the frame, before the widget starts afresh.
    const expected = (e: string) => /status of 404 .*\/livechat\/chat\/\d+\)$/.test(e)
    t.strictSame(side.consoleErrors.filter((e) => !expected(e)), [], 'no console errors (no CSP refusals)')
  }
})
