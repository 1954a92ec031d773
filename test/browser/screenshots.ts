// The README's screenshots: the suggested articles before a chat, the agent console holding
// an active chat, its keyboard shortcuts, the customer's chat window, a chat in its own window on its Customer tab,
// the Resources panel after sharing an article, the transfer form, an instant message
// thread about a chat and a chat room. Run with `npx tsx test/browser/screenshots.ts`; it starts the demo
// help desk on a throwaway SQLite database, writes docs/screenshots/*.png and exits.
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import knexFactory from 'knex'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { buildDemoHost } from '../../demo-host/app.ts'
import { prepareDatabase } from '../../demo-host/setup.ts'
import { knexConfig } from '../../knexfile.ts'
import { agentSession, standBy, startChat } from '../helpers/build.ts'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const outDir = join(root, 'docs/screenshots')
const viewport = { width: 1280, height: 800 }
const wait = { timeout: 10_000 }
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

const work = await mkdtemp(join(tmpdir(), 'lc-screenshots-'))
const knex = knexFactory(knexConfig({}, join(work, 'livechat.sqlite3')))
await prepareDatabase(knex)
await standBy(knex, 'bob')
const app = await buildDemoHost({ knex, logger: false, pluginOptions: { jobs: false } })
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
const contexts: BrowserContext[] = []

async function browser (name: string, size = viewport): Promise<Page> {
  const context = await chromium.launchPersistentContext(join(work, `${name}-profile`), {
    executablePath: '/usr/bin/chromium', headless: true, args, viewport: size
  })
  contexts.push(context)
  const page = context.pages()[0] ?? await context.newPage()
  page.setDefaultTimeout(wait.timeout)
  page.on('pageerror', (err) => { console.error(`${name}: ${err.message}`) })
  return page
}

async function signIn (page: Page, username: string): Promise<void> {
  await page.goto(`${url}/login`)
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill('demo')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), wait)
}

async function say (page: Page, text: string, other: Page): Promise<void> {
  await page.getByRole('textbox', { name: 'Message' }).fill(text)
  await page.getByRole('button', { name: 'Send', exact: true }).click()
  await other.locator('.lc-msg__body', { hasText: text }).waitFor(wait)
  await page.locator('.lc-msg__body', { hasText: text }).waitFor(wait)
}

try {
  // Some history for alice's lists: one chat already answered.
  const earlier = await startChat(app, { name: 'Marco Rossi', email: 'marco@customer.example', question: 'How do I reset my password?' })
  const session = await agentSession(app, 'alice')
  await session.post(`/livechat/console/chats/${earlier.chatId}/accept`)
  await session.post(`/livechat/console/chats/${earlier.chatId}/end`)

  // The agent's console at a desktop's 1440×900, as docs/features.md#layout is measured.
  const agent = await browser('agent', { width: 1440, height: 900 })
  const customer = await browser('customer')

  await signIn(agent, 'alice')
  await agent.goto(`${url}/livechat/console`)
  await agent.getByRole('switch', { name: 'Available' }).check()
  await agent.getByText('Taking chats').waitFor(wait)

  await customer.goto(`${url}/livechat/start`)
  await customer.getByLabel('Name').fill('Dana Doyle')
  await customer.getByLabel('Email').fill('dana@customer.example')
  await customer.getByLabel('Question').fill('My VPN will not connect since this morning.')
  await customer.getByRole('button', { name: 'Start chat' }).click()
  // The VPN articles are suggested first; Dana still needs an agent.
  await customer.getByRole('button', { name: 'Continue to chat' }).waitFor(wait)
  await mkdir(outDir, { recursive: true })
  await customer.screenshot({ path: join(outDir, 'suggestions.png') })
  await customer.getByRole('button', { name: 'Continue to chat' }).click()
  await customer.waitForURL(/\/livechat\/chat\/\d+$/, wait)

  await agent.getByRole('button', { name: 'Accept' }).click()
  await customer.getByText('You are chatting with Alice Adams').waitFor(wait)
  await say(agent, 'Hi Dana, I am Alice from IT support. Sorry about the trouble! What does the VPN client say?', customer)
  await say(customer, 'It says "Certificate expired" and then disconnects.', agent)
  await say(agent, 'Thanks, that helps. Your device certificate was renewed last night. Open the portal, go to My Devices and click "Reinstall VPN profile".', customer)
  await say(customer, 'Done, and it connects now. Thank you!', agent)

  // Someone else is waiting, so the queue is not empty in the picture.
  await startChat(app, { name: 'Erin Evans', email: 'erin@customer.example', question: 'Can I get access to the shared Finance drive?' })
  await agent.getByRole('button', { name: 'Accept' }).waitFor(wait)

  await mkdir(outDir, { recursive: true })
  await customer.getByRole('textbox', { name: 'Message' }).fill('')
  await agent.getByRole('textbox', { name: 'Message' }).fill('Great! Is there anything else I can help with?')
  await agent.screenshot({ path: join(outDir, 'console.png') })
  await customer.screenshot({ path: join(outDir, 'customer.png') })

  // The keyboard shortcuts, as ? (or the top bar's ?) lists them.
  await agent.getByRole('button', { name: 'Keyboard shortcuts' }).click()
  await agent.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor(wait)
  await agent.screenshot({ path: join(outDir, 'shortcuts.png') })
  await agent.keyboard.press('Escape')

  // The chat in its own window (double-click), on its Customer tab, with a comment added first.
  const chatPath = new URL(customer.url()).pathname.replace('/livechat/chat/', '/livechat/console/chats/')
  const view = await agent.context().newPage()
  view.setDefaultTimeout(wait.timeout)
  await view.setViewportSize(viewport)
  await view.goto(`${url}${chatPath}`)
  await view.getByRole('tab', { name: 'Comments' }).click()
  await view.getByLabel(/Add comment/).fill('Certificate had expired; reinstalled the VPN profile with the customer.')
  await view.getByLabel('Mark as the resolution').check()
  await view.getByRole('button', { name: 'Add comment' }).click()
  await view.getByText('Resolution', { exact: true }).waitFor(wait)
  await view.getByRole('tab', { name: 'Customer' }).click()
  await view.getByRole('heading', { name: 'Previous live chats' }).waitFor(wait)
  await view.screenshot({ path: join(outDir, 'chat-view.png') })
  await view.close()

  // Resources beside the conversation, after alice shared the macOS VPN article.
  await agent.getByRole('button', { name: 'Resources', exact: true }).click()
  const resources = agent.getByRole('complementary', { name: /Resources for chat/ })
  const macArticle = resources.locator('.lc-resources__article').filter({ hasText: 'macOS' }).first()
  await macArticle.getByRole('button', { name: /^Share / }).click()
  await customer.locator('.lc-kb-card').waitFor(wait)
  await agent.getByRole('textbox', { name: 'Message' }).fill('')
  await agent.screenshot({ path: join(outDir, 'resources.png') })
  await resources.getByRole('button', { name: 'Close Resources' }).click()

  // The transfer form, filled in, as alice is about to hand the chat to level 2.
  await agent.getByRole('button', { name: 'Transfer', exact: true }).click()
  await agent.getByLabel('New group').selectOption({ label: 'Support L2' })
  await agent.getByLabel('New agent').selectOption({ label: 'Carol Chen (not available) · Support L2, Sales' })
  await agent.getByLabel(/Transfer comment/).fill('Certificate reinstalled, but the VPN still drops every few minutes; please check the gateway logs.')
  await agent.screenshot({ path: join(outDir, 'transfer.png') })
  await agent.keyboard.press('Escape')

  // An instant message about the chat: alice asks carol, who answers; alice's thread page.
  const chatId = chatPath.split('/').pop()!
  await agent.goto(`${url}/livechat/console/im/new?related=chat:${chatId}`)
  const newForm = agent.getByRole('form', { name: 'New instant message' })
  await newForm.getByLabel('Carol Chen').check()
  await newForm.getByLabel(/^Message/).fill('Dana\'s VPN keeps dropping after the certificate reinstall. Have you seen this on the new gateway?')
  await newForm.getByRole('button', { name: 'Send' }).click()
  await agent.waitForURL(/\/livechat\/console\/im\/\d+$/, wait)
  const carol = await browser('carol')
  await signIn(carol, 'carol')
  await carol.goto(agent.url())
  const joinButton = carol.getByRole('button', { name: 'Join', exact: true })
  if (await joinButton.count() > 0) {
    await joinButton.click()
    await joinButton.waitFor({ state: 'detached', ...wait })
  }
  await carol.getByRole('textbox', { name: /^Message/ }).fill('Yes: gateway 2 drops idle tunnels. Ask her to switch to gateway 1 in the profile; I will fix the timeout today.')
  await carol.getByRole('button', { name: 'Send', exact: true }).click()
  await agent.locator('.lc-im-messages').getByText('gateway 2 drops idle tunnels', { exact: false }).waitFor(wait)
  await agent.screenshot({ path: join(outDir, 'instant-message.png') })

  // A chat room for the Support department, as sam creates it.
  const sam = await browser('sam')
  await signIn(sam, 'sam')
  await sam.goto(`${url}/livechat/console/rooms/new`)
  await sam.getByLabel(/^Name/).fill('Support huddle')
  await sam.getByLabel(/^Add Permission/).selectOption({ label: 'Support' })
  await sam.getByRole('button', { name: 'Add', exact: true }).click()
  await sam.getByRole('button', { name: /^Remove .*Support/ }).waitFor(wait)
  await sam.getByRole('button', { name: 'Save', exact: true }).click()
  await sam.waitForURL(/\/livechat\/console\/rooms\/\d+$/, wait)
  await sam.getByRole('textbox', { name: /^Message/ }).fill('Morning all: gateway 2 is being patched at noon, send VPN chats to Carol until then.')
  await sam.getByRole('button', { name: 'Send', exact: true }).click()
  await sam.locator('.lc-im-messages').getByText('gateway 2 is being patched', { exact: false }).waitFor(wait)
  await sam.screenshot({ path: join(outDir, 'chat-room.png') })
  console.log(`Wrote suggestions.png, console.png, shortcuts.png, customer.png, chat-view.png, resources.png, transfer.png, instant-message.png and chat-room.png in ${outDir}`)
} finally {
  for (const context of contexts) await context.close()
  await app.close()
  await knex.destroy()
  await rm(work, { recursive: true, force: true })
}
