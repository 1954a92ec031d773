import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { build } from '../helpers/build.ts'
import { chatWithAlice, missing, openBrowser, wait } from '../helpers/browser.ts'

// Send file in real browsers: dana picks a PNG in her chat window, it appears in alice's
// pane without a reload, alice downloads it and finds it in the Attachments tab; a refused
// file is explained beside the button while dana's typed draft stays.

const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')

t.test('dana sends a PNG, alice sees and downloads it', { skip: missing }, async (t) => {
  const uploadDir = t.testdir()
  const { url } = await build(t, { listen: true, online: false, pluginOptions: { uploadDir } })
  const aliceSide = await openBrowser(t, 'alice')
  const danaSide = await openBrowser(t, 'dana')
  const [alice, dana] = [aliceSide.page, danaSide.page]

  await chatWithAlice(alice, dana, url, 'The installer shows an error')

  // A refused file first: the reason shows by the button and the draft is kept.
  await dana.getByRole('textbox', { name: 'Message' }).fill('Here is what I see')
  await dana.locator('input[type="file"]').setInputFiles({ name: 'error.png', mimeType: 'image/png', buffer: Buffer.from('not really a picture') })
  await dana.getByText('error.png is plain text, though its name says PNG; rename it to match what it is, or pick the right file').waitFor(wait)
  t.equal(await dana.getByRole('textbox', { name: 'Message' }).inputValue(), 'Here is what I see', 'the draft survives a refused file')

  await dana.locator('input[type="file"]').setInputFiles({ name: 'error.png', mimeType: 'image/png', buffer: png })
  await dana.locator('.lc-msg--file').getByRole('link', { name: 'error.png' }).waitFor(wait)
  t.pass('dana sees her file in the conversation')
  t.equal(await dana.getByRole('textbox', { name: 'Message' }).inputValue(), 'Here is what I see', 'the draft is still there after sending a file')

  const inPane = alice.locator('.lc-msg--file').getByRole('link', { name: 'error.png' })
  await inPane.waitFor(wait)
  t.match(await alice.locator('.lc-msg--file .lc-file__meta').innerText(), /70 bytes · image\/png/)
  await alice.locator('.lc-file__preview img').waitFor(wait)
  t.ok(await alice.locator('.lc-file__preview img').evaluate((img) => (img as HTMLImageElement).naturalWidth === 1), 'the preview loads through the authorised route')

  const downloading = alice.waitForEvent('download', wait)
  await inPane.click()
  const download = await downloading
  t.equal(download.suggestedFilename(), 'error.png')
  const saved = join(t.testdir(), 'saved.png')
  await download.saveAs(saved)
  t.same(await readFile(saved), png, 'alice gets the very bytes dana sent')

  await alice.getByRole('tab', { name: 'Attachments' }).click()
  const tab = alice.getByRole('region', { name: /Attachments of chat/ })
  await tab.getByRole('link', { name: 'error.png' }).waitFor(wait)
  t.match(await tab.innerText(), /Dana Doyle\s*\(Customer\)/)
  await alice.screenshot({ path: process.env.LC_SCREENSHOTS ? join(process.env.LC_SCREENSHOTS, 'files-attachments.png') : join(t.testdir(), 'attachments.png') })
  if (process.env.LC_SCREENSHOTS) await dana.screenshot({ path: join(process.env.LC_SCREENSHOTS, 'files-customer.png') })

  for (const side of [aliceSide, danaSide]) {
    t.same(side.pageErrors, [], 'no page errors')
    t.same(side.consoleErrors.filter((e) => !/422|Failed to load resource/.test(e)), [], 'no console errors but the refused upload')
  }
})
