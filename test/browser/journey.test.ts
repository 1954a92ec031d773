import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core'
import { build } from '../helpers/build.ts'

// One whole chat in two real browsers: the agent's console and a signed-out customer.
// Accessible names only, so the test also checks what a screen reader user would find.

const executablePath = '/usr/bin/chromium'
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']
const wait = { timeout: 10_000 }
const missing = existsSync(executablePath) ? false : `Chromium not found at ${executablePath}; install it with apt-get install -y chromium`

interface Watched {
  page: Page
  pageErrors: string[]
  consoleErrors: string[]
  failedRequests: string[]
}

async function openBrowser (t: Test, label: string): Promise<Watched> {
  const profile = await mkdtemp(join(tmpdir(), `lc-journey-${label}-`))
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath, headless: true, args: chromiumArgs, viewport: { width: 1280, height: 800 }
  })
  t.teardown(async () => {
    await context.close()
    await rm(profile, { recursive: true, force: true })
  })
  const page = context.pages()[0] ?? await context.newPage()
  const watched: Watched = { page, pageErrors: [], consoleErrors: [], failedRequests: [] }
  // Recorded for the final assertions, and shown as they happen so a failure explains itself.
  const note = (list: string[], text: string) => { list.push(`${label}: ${text}`); t.comment(`${label}: ${text}`) }
  page.on('pageerror', (err) => { note(watched.pageErrors, err.message) })
  page.on('console', (msg) => { if (msg.type() === 'error') note(watched.consoleErrors, `${msg.text()} (${msg.location().url})`) })
  page.on('requestfailed', (req) => { note(watched.failedRequests, `${req.method()} ${req.url()} ${req.failure()?.errorText ?? ''}`) })
  page.setDefaultTimeout(wait.timeout)
  return watched
}

/** The bodies of the messages people wrote (not the join/end events), in page order. */
async function spoken (conversation: Locator): Promise<string[]> {
  return await conversation.locator('.lc-msg:not(.lc-msg--event) .lc-msg__body').allInnerTexts()
}

/** Waits until the conversation's spoken messages are exactly `expected`, in order. */
async function expectMessages (t: Test, page: Page, expected: string[], where: string): Promise<void> {
  const conversation = page.getByRole('list', { name: 'Conversation' })
  try {
    await page.waitForFunction((want) => {
      const shown = Array.from(document.querySelectorAll('[aria-label="Conversation"]'))
        .filter((list) => (list as HTMLElement).offsetParent !== null)
        .flatMap((list) => Array.from(list.querySelectorAll('.lc-msg:not(.lc-msg--event) .lc-msg__body')).map((b) => b.textContent))
      return JSON.stringify(shown) === JSON.stringify(want)
    }, expected, wait)
  } catch {
    t.fail(`${where}: messages never became ${JSON.stringify(expected)}`, { found: await spoken(conversation) })
    throw new Error(`${where}: messages did not arrive`)
  }
  t.strictSame(await spoken(conversation), expected, `${where} shows the messages in order`)
}

type Marked = Window & { __lcSamePage?: boolean, __pwned?: unknown }

/** Marks the page's window: the mark survives DOM swaps but not a reload or navigation. */
async function markPage (page: Page): Promise<void> {
  await page.evaluate(() => { (window as Marked).__lcSamePage = true })
}

async function stillSamePage (page: Page): Promise<boolean> {
  return await page.evaluate(() => (window as Marked).__lcSamePage === true)
}

async function send (page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message' })
  await box.fill(text)
  await page.getByRole('button', { name: 'Send', exact: true }).click()
}

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
