import t from 'tap'
import { build } from '../helpers/build.ts'
import { expectMessages, markPage, type Marked, missing, openBrowser, send, stillSamePage, wait } from '../helpers/browser.ts'

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

  // The agent ends the chat; the customer's composer gives way to the closing line.
  await agent.getByRole('button', { name: 'End Chat' }).click()
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
  await expectMessages(t, agent, [question, ...lines], 'the transcript')
  t.ok(await agent.getByText(hostile, { exact: true }).isVisible(), 'the transcript shows the markup as text')
  t.equal(await agent.evaluate(() => (window as Marked).__pwned), undefined, 'nothing ran on the transcript page')
  t.equal(await agent.locator('.lc-messages img').count(), 0, 'no image element in the transcript')

  const pageErrors = [...agentSide.pageErrors, ...customerSide.pageErrors]
  const consoleErrors = [...agentSide.consoleErrors, ...customerSide.consoleErrors]
  const failedRequests = [...agentSide.failedRequests, ...customerSide.failedRequests]
  t.strictSame(pageErrors, [], 'no script errors on either page')
  t.strictSame(consoleErrors, [], 'no console errors on either page')
  t.strictSame(failedRequests, [], 'no failed requests on either page')
})
