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
  await dana.locator('.lc-msg--file').getByRole('link', { name: 'error.png', exact: true }).waitFor(wait)
  t.pass('dana sees her file in the conversation')
  t.equal(await dana.getByRole('textbox', { name: 'Message' }).inputValue(), 'Here is what I see', 'the draft is still there after sending a file')

  const inPane = alice.locator('.lc-msg--file').getByRole('link', { name: 'error.png', exact: true })
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
  await tab.getByRole('link', { name: 'error.png', exact: true }).waitFor(wait)
  t.match(await tab.innerText(), /Dana Doyle\s*\(Customer\)/)
  await alice.screenshot({ path: process.env.LC_SCREENSHOTS ? join(process.env.LC_SCREENSHOTS, 'files-attachments.png') : join(t.testdir(), 'attachments.png') })
  if (process.env.LC_SCREENSHOTS) await dana.screenshot({ path: join(process.env.LC_SCREENSHOTS, 'files-customer.png') })

  for (const side of [aliceSide, danaSide]) {
    t.same(side.pageErrors, [], 'no page errors')
    t.same(side.consoleErrors.filter((e) => !/422|Failed to load resource/.test(e)), [], 'no console errors but the refused upload')
  }
})

t.test('thumbnails open the viewer; paste and drop send files; a large upload shows its progress', { skip: missing }, async (t) => {
  const uploadDir = t.testdir()
  const { url } = await build(t, { listen: true, online: false, pluginOptions: { uploadDir } })
  const aliceSide = await openBrowser(t, 'alice')
  const danaSide = await openBrowser(t, 'dana')
  const [alice, dana] = [aliceSide.page, danaSide.page]
  await dana.setViewportSize({ width: 360, height: 740 })
  await chatWithAlice(alice, dana, url, 'My screen goes blank')

  // alice pastes a screenshot into her message box: it is sent as if picked.
  const box = alice.getByRole('textbox', { name: 'Message' })
  await box.fill('Like this?')
  await box.evaluate((el, b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
    const data = new DataTransfer()
    data.items.add(new File([bytes], 'pasted.png', { type: 'image/png' }))
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }))
  }, png.toString('base64'))
  const thumb = dana.locator('.lc-msg--agent.lc-msg--file .lc-file__preview')
  await thumb.locator('img').waitFor(wait)
  t.equal(await box.inputValue(), 'Like this?', 'the draft stays')

  // On dana's side the agent's file is a bubble like the agent's text, on the agent's side of the window.
  const bubble = await dana.locator('.lc-msg--agent.lc-msg--file').evaluate((el) => ({ background: getComputedStyle(el).backgroundColor, align: getComputedStyle(el).alignSelf }))
  t.same(bubble, { background: 'rgb(233, 247, 239)', align: 'flex-start' })
  const img = thumb.locator('img')
  t.same([await img.getAttribute('width'), await img.getAttribute('height')], ['1', '1'], 'the thumbnail states its size')
  await dana.waitForFunction(() => (document.querySelector('.lc-file__preview img') as HTMLImageElement | null)?.naturalWidth === 1)

  // The viewer, by keyboard: Enter opens it on Close, Escape shuts it, focus is back on the thumbnail.
  await thumb.focus()
  await dana.keyboard.press('Enter')
  const viewer = dana.getByRole('dialog', { name: 'pasted.png' })
  await viewer.waitFor(wait)
  t.ok(await viewer.getByRole('button', { name: 'Close' }).evaluate((b) => b === document.activeElement), 'focus starts on Close')
  t.equal(await viewer.getByRole('link', { name: 'Download' }).getAttribute('download'), 'pasted.png')
  await dana.waitForFunction(() => (document.querySelector('#lc-viewer img') as HTMLImageElement | null)?.naturalWidth === 1)
  if (process.env.LC_SCREENSHOTS) await dana.screenshot({ path: join(process.env.LC_SCREENSHOTS, 'files-viewer-phone.png') })
  await dana.keyboard.press('Escape')
  await viewer.waitFor({ state: 'hidden', ...wait })
  t.ok(await thumb.evaluate((a) => a === document.activeElement), 'focus returns to the thumbnail')

  // dana drops a file on her conversation: the chat lights up while it is over it, and it is sent.
  const dropped = await dana.locator('.lc-messages').evaluate((el, b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
    const data = new DataTransfer()
    data.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }))
    el.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }))
    const lit = document.querySelectorAll('.lc-drop-target').length
    el.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }))
    return { lit, after: document.querySelectorAll('.lc-drop-target').length }
  }, png.toString('base64'))
  t.same(dropped, { lit: 1, after: 0 })
  await alice.locator('.lc-msg--file').getByRole('link', { name: 'dropped.png', exact: true }).waitFor(wait)

  // A large file on a slow line: the bar and the share sent so far show beside Send file.
  await alice.evaluate(() => {
    const seen: string[] = []
    ;(window as unknown as { lcSeen: string[] }).lcSeen = seen
    new MutationObserver(() => {
      const status = document.querySelector('.lc-composer__file-status')?.textContent ?? ''
      const bar = document.querySelector('.lc-composer__file-progress') as HTMLProgressElement | null
      seen.push(`${status}|${bar && !bar.hidden ? String(bar.value) : '-'}`)
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true })
  })
  const cdp = await alice.context().newCDPSession(alice)
  await cdp.send('Network.enable')
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 2 * 1024 * 1024 })
  await alice.locator('input[type="file"]').setInputFiles({ name: 'server.log', mimeType: 'text/plain', buffer: Buffer.alloc(3 * 1024 * 1024, 'all quiet\n') }, { timeout: 30_000 })
  await dana.locator('.lc-msg--file').getByRole('link', { name: 'server.log', exact: true }).waitFor(wait)
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 })
  const seen = await alice.evaluate(() => (window as unknown as { lcSeen: string[] }).lcSeen)
  t.ok(seen.some((s) => /^Uploading server\.log… \d{1,2}%\|\d+$/.test(s)), 'part way, the share sent is said and drawn')
  await alice.waitForFunction(() => (document.querySelector('.lc-composer__file-progress') as HTMLElement | null)?.hidden === true)
  t.pass('the bar goes once the file is sent')

  for (const side of [aliceSide, danaSide]) {
    t.same(side.pageErrors, [], 'no page errors')
    t.same(side.consoleErrors, [], 'no console errors')
  }
})
