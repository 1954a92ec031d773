import { existsSync } from 'node:fs'
import tap, { type Test } from 'tap'
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core'

/** Browser journeys' shared parts: Debian's Chromium, watched pages, accessible-name helpers. */

/**
 * Debian's Chromium as its headless shell (package chromium-headless-shell) where it is
 * installed: the same Blink and V8 without the full browser's own layers, a third less CPU
 * a journey. Otherwise the full browser (package chromium), which the screenshot scripts use.
 */
const chromiumCandidates = ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium']
export const executablePath = chromiumCandidates.find((path) => existsSync(path)) ?? '/usr/bin/chromium'
export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']
export const wait = { timeout: 10_000 }
export const missing = existsSync(executablePath) ? false : `Chromium not found at ${chromiumCandidates.join(' or ')}; install it with apt-get install -y chromium-headless-shell`

export interface Watched {
  page: Page
  pageErrors: string[]
  consoleErrors: string[]
  failedRequests: string[]
  /** What the pages' Content-Security-Policy refused (docs/features.md#security), in any frame. */
  cspViolations: string[]
}

let sharedBrowser: Promise<Browser> | undefined

/**
 * The test file's one Chromium, started on first use and closed when the file's tests end:
 * starting a browser costs far more than opening a context in it.
 */
async function browser (): Promise<Browser> {
  sharedBrowser ??= (async () => {
    const launched = await chromium.launch({ executablePath, headless: true, args: chromiumArgs })
    tap.teardown(async () => { await launched.close() })
    return launched
  })()
  return await sharedBrowser
}

/**
 * A console error Chromium logs for an answer with a 4xx status. Those are answers the pages
 * expect and show (a form's 422, a lost race's 409, a forgotten chat's 404); a 5xx is a fault.
 */
const refusedRequest = /: Failed to load resource: the server responded with a status of 4\d\d /

/** The windows each test opened, checked once the test has run (below). */
const watching = new Map<Test, Watched[]>()

// Every journey, whatever else it checks, fails on a CSP refusal, a script error or a console
// error other than an expected refusal, on any page it opened: a fault a person would not
// notice is still a fault. Thrown, since a test that has ended takes no more assertions.
tap.afterEach((test) => {
  const windows = watching.get(test)
  if (!windows) return
  watching.delete(test)
  const faults = windows.flatMap((w) => [...w.cspViolations, ...w.pageErrors, ...w.consoleErrors.filter((e) => !refusedRequest.test(e))])
  if (faults.length > 0) throw new Error(`the pages logged ${faults.length} fault(s):\n${faults.join('\n')}`)
})

/**
 * A person's own browser window: a context of its own (cookies, storage and cache apart
 * from everyone else's, as in a separate browser), closed when the test ends. Every page
 * the context opens is watched.
 */
export async function openBrowser (t: Test, label: string): Promise<Watched> {
  const context: BrowserContext = await (await browser()).newContext({ viewport: { width: 1280, height: 800 } })
  t.teardown(async () => { await context.close() })
  const watched: Watched = { page: undefined as unknown as Page, pageErrors: [], consoleErrors: [], failedRequests: [], cspViolations: [] }
  // Recorded for the final assertions, and shown as they happen so a failure explains itself.
  const note = (list: string[], text: string) => { list.push(`${label}: ${text}`); t.comment(`${label}: ${text}`) }
  await context.exposeBinding('__lcCspViolation', (_source, text: string) => { note(watched.cspViolations, `CSP refused ${text}`) })
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const report = (window as unknown as { __lcCspViolation: (text: string) => void }).__lcCspViolation
      void report(`${e.effectiveDirective} ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber} ${e.sample}`)
    })
  })
  context.on('page', (page) => {
    page.on('pageerror', (err) => { note(watched.pageErrors, err.message) })
    page.on('console', (msg) => { if (msg.type() === 'error') note(watched.consoleErrors, `${msg.text()} (${msg.location().url})`) })
    page.on('requestfailed', (req) => { note(watched.failedRequests, `${req.method()} ${req.url()} ${req.failure()?.errorText ?? ''}`) })
    page.setDefaultTimeout(wait.timeout)
  })
  watched.page = await context.newPage()
  watching.set(t, [...watching.get(t) ?? [], watched])
  return watched
}

/** The bodies of the messages people wrote (not the join/end events), in page order. */
export async function spoken (conversation: Locator): Promise<string[]> {
  // textContent, as expectMessages waits on: innerText would also differ by layout (a card's lines).
  return await conversation.locator('.lc-msg:not(.lc-msg--event) .lc-msg__body').allTextContents()
}

/** Waits until the conversation's spoken messages are exactly `expected`, in order. */
export async function expectMessages (t: Test, page: Page, expected: string[], where: string): Promise<void> {
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

export type Marked = Window & { __lcSamePage?: boolean, __pwned?: unknown }

/** Marks the page's window: the mark survives DOM swaps but not a reload or navigation. */
export async function markPage (page: Page): Promise<void> {
  await page.evaluate(() => { (window as Marked).__lcSamePage = true })
}

export async function stillSamePage (page: Page): Promise<boolean> {
  return await page.evaluate(() => (window as Marked).__lcSamePage === true)
}

export async function send (page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message' })
  await box.fill(text)
  await page.getByRole('button', { name: 'Send', exact: true }).click()
}

/** Signs in on the host's login form and opens the agent console with its socket up. */
export async function openConsole (page: Page, url: string, username: string): Promise<void> {
  await page.goto(`${url}/login`)
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill('demo')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), wait)
  const socketOpened = page.waitForEvent('websocket', wait)
  await page.goto(`${url}/livechat/console`)
  await socketOpened
}

/**
 * Presses Start chat on a filled pre-chat form. Where the knowledge base has articles for
 * the question, the customer sees them first (docs/features.md#suggested-solutions) and continues to chat, as one
 * whom they did not help; either way this returns on the chat window.
 */
export async function pressStartChat (page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Start chat' }).click()
  const suggestions = page.locator('#lc-suggestions')
  await suggestions.or(page.locator('[id^="lc-status-"]')).first().waitFor(wait)
  if (await suggestions.count() > 0) await page.getByRole('button', { name: 'Continue to chat' }).click()
  await page.waitForURL(/\/livechat\/chat\/\d+$/, wait)
}

/** A customer fills the pre-chat form (no department chosen) and starts a chat; returns on the chat window. */
export async function customerStarts (page: Page, url: string, who: { name: string, email: string, question: string }): Promise<void> {
  await page.goto(`${url}/livechat/start`)
  await page.getByLabel('Name').fill(who.name)
  await page.getByLabel('Email').fill(who.email)
  await page.getByLabel('Question').fill(who.question)
  await pressStartChat(page)
}

/** Dana (printer) and then Erin (Finance drive) start chats, and alice accepts each from her Queue. */
export async function aliceTakesDanaAndErin (alice: Page, dana: Page, erin: Page, url: string): Promise<void> {
  for (const [page, who] of [
    [dana, { name: 'Dana Doyle', email: 'dana@customer.example', question: 'My printer keeps jamming' }],
    [erin, { name: 'Erin Evans', email: 'erin@customer.example', question: 'I need the Finance drive' }]
  ] as const) {
    await customerStarts(page, url, who)
    await alice.getByRole('region', { name: /Queue/ }).getByRole('button', { name: 'Accept' }).click()
    await page.getByText('You are chatting with Alice Adams').waitFor(wait)
  }
}

/**
 * Alice available in her console (the page marked, to check later that it never reloaded)
 * and Dana, from the pre-chat form, chatting with her once she accepts.
 */
export async function chatWithAlice (alice: Page, dana: Page, url: string, question: string): Promise<void> {
  await openConsole(alice, url, 'alice')
  await alice.getByRole('switch', { name: 'Available' }).check()
  await alice.getByText('Taking chats', { exact: true }).waitFor(wait)
  await markPage(alice)
  await customerStarts(dana, url, { name: 'Dana Doyle', email: 'dana@customer.example', question })
  await alice.getByRole('button', { name: 'Accept' }).click()
  await dana.getByText('You are chatting with Alice Adams').waitFor(wait)
}
