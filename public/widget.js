// The chat widget a site puts on its pages (docs/widget.md): a button saying whether anyone
// is there, and the chat in a frame from the help desk. It loads nothing but the desk's own
// files, writes no inline style or script, and keeps the chat across the site's pages in
// sessionStorage (this tab only).
(function () {
  'use strict'
  const script = document.currentScript
  if (!script || document.querySelector('.lcw')) return
  const base = script.src.replace(/\/widget\.js(\?.*)?$/, '')
  const desk = new URL(base).origin
  const opts = script.dataset
  const label = opts.label || 'Chat with us'
  const key = 'lc-widget ' + base
  const saved = read()
  let frame = null
  let lastAgentSeqs = []

  function read () {
    try { return JSON.parse(sessionStorage.getItem(key)) || {} } catch (e) { return {} }
  }
  function save () {
    try { sessionStorage.setItem(key, JSON.stringify(saved)) } catch (e) {}
  }
  function el (tag, cls, text) {
    const node = document.createElement(tag)
    node.className = cls
    if (text) node.textContent = text
    return node
  }

  const css = document.createElement('link')
  css.rel = 'stylesheet'
  css.href = base + '/widget.css'
  document.head.appendChild(css)

  const root = el('div', 'lcw' + (opts.position === 'left' ? ' lcw--left' : ''))
  const button = el('button', 'lcw-button')
  button.type = 'button'
  button.setAttribute('aria-expanded', 'false')
  button.setAttribute('aria-controls', 'lcw-panel')
  const title = el('span', 'lcw-button__label', label)
  const line = el('span', 'lcw-button__status')
  const badge = el('span', 'lcw-badge')
  badge.hidden = true
  button.append(title, line, badge)

  const panel = el('section', 'lcw-panel')
  panel.id = 'lcw-panel'
  panel.setAttribute('role', 'dialog')
  panel.setAttribute('aria-label', label)
  panel.hidden = true
  const head = el('div', 'lcw-panel__head')
  const close = el('button', 'lcw-panel__close', 'Close')
  close.type = 'button'
  close.setAttribute('aria-label', 'Close chat')
  head.append(el('span', 'lcw-panel__title', label), close)
  panel.append(head)
  root.append(panel, button)
  // Hidden until the stylesheet has placed it, so it never flashes unstyled in the page.
  root.hidden = true
  css.onload = function () { root.hidden = false }
  document.body.appendChild(root)

  // The button's line: available, or closed until when (business hours), from the desk.
  const query = opts.department ? '?department=' + encodeURIComponent(opts.department) : ''
  fetch(base + '/widget/status' + query, { credentials: 'omit' }).then(function (res) {
    return res.ok ? res.json() : null
  }).then(function (status) {
    if (!status) return
    root.classList.toggle('lcw--away', !status.available)
    if (!saved.chat) title.textContent = status.available ? label : status.label
    line.textContent = status.detail || 'Online now'
  }).catch(function () {})

  function startUrl () {
    const params = new URLSearchParams()
    if (opts.department) params.set('department', opts.department)
    if (opts.identity) params.set('identity', opts.identity)
    const q = params.toString()
    return base + '/start' + (q ? '?' + q : '')
  }

  // The frame is made on first opening, or at once when a chat is going on, so its replies
  // count as unread while the panel is closed.
  function ensureFrame () {
    if (frame) return
    frame = el('iframe', 'lcw-panel__frame')
    frame.title = 'Live chat'
    frame.src = saved.chat && saved.chat.indexOf(base + '/chat/') === 0 ? saved.chat : startUrl()
    frame.addEventListener('load', function () { frame.contentWindow.postMessage({ lc: 'hello' }, desk) })
    panel.append(frame)
  }

  function unread () {
    const seen = saved.seen || 0
    const n = lastAgentSeqs.filter(function (s) { return s > seen }).length
    badge.hidden = n === 0
    badge.textContent = String(n)
    button.setAttribute('aria-label', title.textContent + (n ? ', ' + n + ' unread' : ''))
  }

  function markSeen () {
    saved.seen = Math.max.apply(null, [saved.seen || 0].concat(lastAgentSeqs))
    save()
    unread()
  }

  function open () {
    ensureFrame()
    panel.hidden = false
    button.setAttribute('aria-expanded', 'true')
    root.classList.add('lcw--open')
    markSeen()
    frame.focus()
  }

  function shut () {
    panel.hidden = true
    button.setAttribute('aria-expanded', 'false')
    root.classList.remove('lcw--open')
    button.focus()
  }

  button.addEventListener('click', function () { if (panel.hidden) open(); else shut() })
  close.addEventListener('click', shut)
  root.addEventListener('keydown', function (e) { if (e.key === 'Escape' && !panel.hidden) shut() })

  // Only the desk's frame is listened to: its origin and its window, both.
  window.addEventListener('message', function (e) {
    if (e.origin !== desk || !frame || e.source !== frame.contentWindow || !e.data) return
    const data = e.data
    if (data.lc === 'escape' && !panel.hidden) shut()
    if (data.lc !== 'page') return
    // A kept chat the desk no longer opens (its cookie gone, the chat purged): start afresh.
    if (data.error && saved.chat) {
      delete saved.chat
      save()
      title.textContent = label
      frame.src = startUrl()
      return
    }
    if (data.chat && !data.ended) saved.chat = desk + data.chat
    else delete saved.chat
    if (!data.chat) saved.seen = 0
    lastAgentSeqs = data.agentSeqs || []
    if (!panel.hidden) markSeen()
    save()
    unread()
  })

  if (saved.chat) {
    title.textContent = 'Continue chat'
    ensureFrame()
  }
  unread()
})()
