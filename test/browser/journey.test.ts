import t from 'tap'
import { build } from '../helpers/build.ts'
import type { Page } from 'playwright-core'
import { expectMessages, markPage, type Marked, missing, openBrowser, pressStartChat, send, stillSamePage, wait } from '../helpers/browser.ts'

/** Create Ticket → Create Incident in the chat on screen; returns the new ticket's reference. */
async function createIncident (agent: Page): Promise<string> {
  await agent.locator('.lc-pane:not([hidden]) summary', { hasText: 'Create Ticket' }).click()
  await agent.locator('.lc-pane:not([hidden])').getByRole('button', { name: 'Create Incident' }).click()
  const link = agent.locator('#lc-notice a', { hasText: /^INC\d{6}$/ })
  await link.waitFor(wait)
  return await link.innerText()
}

// One whole chat in two real browsers: the agent's console and a signed-out customer.
// Accessible names only, so the test also checks what a screen reader user would find.

t.test('a customer and an agent chat from start to transcript in real browsers', { skip: missing }, async (t) => {
  const { url } = await build(t, { listen: true })
  const agentSide = await openBrowser(t, 'agent')
  const customerSide = await openBrowser(t, 'customer')
  const agent = agentSide.page
  const customer = customerSide.page

  // The agent signs in on the host and opens the console.
  await agent.goto(`${url}/login`)
  await agent.getByLabel('Username').fill('alice')
  await agent.getByLabel('Password').fill('demo')
  await agent.getByRole('button', { name: 'Sign in' }).click()
  await agent.waitForURL((u) => !u.pathname.startsWith('/login'), wait)
  const socketOpened = agent.waitForEvent('websocket', wait)
  await agent.goto(`${url}/livechat/console`)
  await socketOpened
  const available = agent.getByRole('switch', { name: 'Available' })
  await available.check()
  await agent.getByText('Taking chats').waitFor(wait)
  t.ok(await available.isChecked(), 'alice is available')
  await markPage(agent)

  const question = 'My VPN will not connect since this morning'

  // A signed-out customer starts a chat from the portal.
  await customer.goto(`${url}/portal`)
  await customer.getByRole('link', { name: 'Chat with us' }).click()
  await customer.getByLabel('Name').fill('Dana Doyle')
  await customer.getByLabel('Email').fill('dana@customer.example')
  await customer.getByLabel('Question').fill(question)
  await customer.getByRole('button', { name: 'Start chat' }).click()
  // Suggested solutions first: the VPN articles; none answers it, so on to the chat.
  await customer.getByRole('heading', { name: 'These articles may answer your question' }).waitFor(wait)
  t.ok(await customer.getByRole('link', { name: /Connect to the VPN/ }).first().isVisible(), 'the customer sees suggested articles')
  await customer.getByRole('button', { name: 'Continue to chat' }).click()
  await customer.waitForURL(/\/livechat\/chat\/\d+$/, wait)
  await customer.getByText(/ahead of you|You are next/).waitFor(wait)
  t.pass('the customer sees their place in the queue')
  await markPage(customer)

  // The chat reaches the agent's queue live; alice accepts it.
  const accept = agent.getByRole('button', { name: 'Accept' })
  await accept.waitFor(wait)
  t.ok(await agent.getByText(question).isVisible(), 'the queue shows the question')
  t.ok(await stillSamePage(agent), 'the queue updated without a reload')
  await accept.click()
  await customer.getByText('You are chatting with Alice Adams').waitFor(wait)
  t.pass('the customer is told who is answering')
  await agent.getByRole('textbox', { name: 'Message' }).waitFor(wait)

  // Two messages each way, each seen live on the other side, in order.
  const hostile = 'It says <img src=x onerror="window.__pwned=1"> on the screen'
  const lines = [
    'Hi, the VPN client says my certificate expired.',
    'Thanks Dana. Which operating system are you on?',
    hostile,
    'That is a known issue: reinstall the profile from the portal and it will work.'
  ]
  const expected = [question]
  for (const [i, line] of lines.entries()) {
    const [from, to] = i % 2 === 0 ? [customer, agent] : [agent, customer]
    await send(from, line)
    expected.push(line)
    await expectMessages(t, to, expected, i % 2 === 0 ? 'the agent' : 'the customer')
    await expectMessages(t, from, expected, i % 2 === 0 ? 'the customer' : 'the agent')
  }

  t.ok(await stillSamePage(agent) && await stillSamePage(customer), 'every message arrived without a reload')

  // User text is text: the markup is shown, never run.
  for (const [who, page] of [['customer', customer], ['agent', agent]] as const) {
    t.ok(await page.getByText(hostile, { exact: true }).isVisible(), `the ${who} sees the markup as text`)
    t.equal(await page.evaluate(() => (window as Marked).__pwned), undefined, `nothing ran on the ${who}'s page`)
    t.equal(await page.locator('.lc-messages img').count(), 0, `no image element on the ${who}'s page`)
  }

  // Alice shares the knowledge article for the question; Dana sees its card.
  const resources = agent.getByRole('complementary', { name: /Resources for chat/ })
  await agent.getByRole('button', { name: 'Resources', exact: true }).click()
  const article = resources.locator('.lc-resources__article').first()
  await article.waitFor(wait)
  const title = (await article.locator('.lc-resources__name').innerText()).replace('(opens in a new tab)', '').trim()
  await article.getByRole('button', { name: /^Share / }).click()
  await customer.locator('.lc-kb-card').getByRole('link', { name: title }).waitFor(wait)
  t.pass(`dana sees the shared article “${title}” in her window`)
  const card = await agent.locator('.lc-pane:not([hidden]) .lc-msg:has(.lc-kb-card) .lc-msg__body').textContent() ?? ''
  await resources.getByRole('button', { name: 'Close Resources' }).click()

  // An incident from the transcript: the desk's ticket page shows it, and links back.
  const ref = await createIncident(agent)
  const desk = await agent.context().newPage()
  await desk.goto(`${url}/tickets/${ref}`)
  const description = desk.locator('pre.description')
  await description.getByText(/Dana Doyle: Hi, the VPN client says my certificate expired\./).waitFor(wait)
  t.match(await description.innerText(), `Alice Adams: Shared article: ${title} /kb/`, 'the shared article is in the transcript')
  t.ok(await description.getByText(hostile).isVisible(), 'markup in the transcript is text on the desk too')
  await desk.getByRole('link', { name: /^From live chat #\d+$/ }).click()
  await desk.waitForURL(/\/livechat\/console\/chats\/\d+$/, wait)
  await desk.getByText(question).first().waitFor(wait)
  t.pass('the ticket page shows the transcript and opens the chat again')
  await desk.close()
  await agent.locator('.lc-pane:not([hidden])').getByRole('tab', { name: 'Conversation' }).click()

  // The agent ends the chat (a dialog asks first); the customer's composer gives way to the closing line.
  await agent.getByRole('button', { name: 'End Chat' }).click()
  await agent.getByRole('dialog', { name: /^End chat #\d+/ }).getByRole('button', { name: 'Yes, end the chat' }).click()
  await customer.getByText(/This chat has ended\./).waitFor(wait)
  t.equal(await customer.getByRole('textbox', { name: 'Message' }).count(), 0, 'the customer can no longer write')
  t.equal(await customer.getByRole('button', { name: 'End chat' }).count(), 0, 'nor end the chat again')
  await agent.getByText('This chat has ended.', { exact: true }).waitFor(wait)
  t.equal(await agent.getByRole('textbox', { name: 'Message' }).count(), 0, 'the agent\'s composer is closed too')

  // The chat is in alice's completed list, and its page holds the whole transcript.
  const completed = agent.getByRole('region', { name: /My Completed/ })
  const row = completed.getByRole('link', { name: /Dana Doyle/ })
  await row.waitFor(wait)
  t.ok(await stillSamePage(agent) && await stillSamePage(customer), 'ending the chat updated both pages in place')
  await row.click()
  await agent.waitForURL(/\/livechat\/console\/chats\/\d+$/, wait)
  // The card, as the transcript page renders it; what matters is that it is there, in its place.
  const cardHere = agent.locator('.lc-msg:has(.lc-kb-card) .lc-msg__body')
  await cardHere.waitFor(wait)
  t.equal((await cardHere.textContent() ?? '').replace(/\s+/g, ' ').trim(), card.replace(/\s+/g, ' ').trim(), 'the shared article is in the transcript')
  await expectMessages(t, agent, [question, ...lines, await cardHere.textContent() ?? ''], 'the transcript')
  t.ok(await agent.getByText(hostile, { exact: true }).isVisible(), 'the transcript shows the markup as text')
  t.equal(await agent.evaluate(() => (window as Marked).__pwned), undefined, 'nothing ran on the transcript page')
  t.equal(await agent.locator('.lc-messages img').count(), 0, 'no image element in the transcript')

  // A second chat whose customer leaves: alice files an incident, then abandons the chat
  // from the Actions menu, and the incident becomes Cancelled.
  await agent.goto(`${url}/livechat/console`)
  await customer.goto(`${url}/livechat/start`)
  await customer.getByLabel('Name').fill('Dana Doyle')
  await customer.getByLabel('Email').fill('dana@customer.example')
  await customer.getByLabel('Question').fill('The plotter on floor 2 prints blank pages')
  await pressStartChat(customer)
  await agent.getByRole('button', { name: 'Accept' }).click()
  await customer.getByText('You are chatting with Alice Adams').waitFor(wait)
  const second = await createIncident(agent)
  await agent.locator('.lc-pane:not([hidden])').getByRole('button', { name: 'Abandon' }).click()
  const prompt = agent.getByRole('alertdialog', { name: /Abandon chat #\d+/ })
  await prompt.getByText(`Ticket ${second} will be set to Cancelled (Abandoned chat). Abandon this chat?`).waitFor(wait)
  await prompt.getByRole('button', { name: 'OK' }).click()
  await agent.getByText(new RegExp(`Chat #\\d+ abandoned; ${second} set to Cancelled`)).waitFor(wait)
  await customer.getByText('Alice Adams closed the chat as abandoned').waitFor(wait)
  const cancelled = await agent.context().newPage()
  await cancelled.goto(`${url}/tickets/${second}`)
  await cancelled.getByText('Abandoned chat').first().waitFor(wait)
  t.match(await cancelled.locator('body').innerText(), /Cancelled/, 'the desk shows the incident Cancelled, reason Abandoned chat')
  await cancelled.close()

  const pageErrors = [...agentSide.pageErrors, ...customerSide.pageErrors]
  const consoleErrors = [...agentSide.consoleErrors, ...customerSide.consoleErrors]
  const failedRequests = [...agentSide.failedRequests, ...customerSide.failedRequests]
  t.strictSame(pageErrors, [], 'no script errors on either page')
  t.strictSame(consoleErrors, [], 'no console errors on either page')
  t.strictSame(failedRequests, [], 'no failed requests on either page')
})
