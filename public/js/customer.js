// The customer's side (views/customer/): what their chat window tells about reading, its
// sound and title count for replies in the background, and the widget frame's messages.
// Served after public/js/core.js in one file (plugin/web/assets.ts).
;(function () {
  'use strict'

  // The customer has read what their window shows when it is in front, focused and at its
  // newest message: the highest seq is sent once things settle, not per message.
  if (document.querySelector('.lc-chat-window [data-lc-read-mark]')) {
    let readSent = 0
    let readTimer = null
    const sendRead = function () {
      readTimer = null
      const list = document.querySelector('.lc-chat-window [data-lc-chat]')
      if (!list || document.visibilityState !== 'visible' || !document.hasFocus()) return
      if (list.scrollHeight - list.scrollTop - list.clientHeight > 24) return
      const seq = window.lc.highestSeq(list)
      if (seq <= readSent) return
      const ws = window.lc.socket()
      if (!ws) return
      readSent = seq
      ws.send(JSON.stringify({ type: 'read', chat_id: list.getAttribute('data-lc-chat'), seq: String(seq) }))
    }
    const readSoon = function () {
      if (readTimer) clearTimeout(readTimer)
      readTimer = setTimeout(sendRead, 600)
    }
    document.addEventListener('htmx:ws:after:message:incoming', readSoon)
    document.addEventListener('htmx:ws:after:connection', readSoon)
    document.addEventListener('visibilitychange', readSoon)
    window.addEventListener('focus', readSoon)
    const list = document.querySelector('.lc-chat-window [data-lc-chat]')
    if (list) list.addEventListener('scroll', readSoon, { passive: true })
    readSoon()
  }

  // ---- the customer's window in the background (docs/features.md#chat-window): each new
  // reply counts in the title, "(2) Your chat · Live Chat", and plays a short sound from our
  // own origin unless the customer muted it (kept in this browser); both clear once the
  // window is seen again.
  const replySound = document.querySelector('audio[data-lc-reply-sound]')
  if (replySound) {
    const soundSwitch = document.querySelector('[data-lc-sound]')
    const plainTitle = document.title
    let unseen = 0
    let lastReply = null
    const muted = function () { try { return window.localStorage.getItem('lc-sound') === 'off' } catch (err) { return false } }
    if (soundSwitch) {
      soundSwitch.checked = !muted()
      soundSwitch.addEventListener('change', function () {
        try { window.localStorage.setItem('lc-sound', soundSwitch.checked ? 'on' : 'off') } catch (err) { /* private mode: this page only */ }
      })
    }
    const replySeqs = function () {
      const seqs = []
      document.querySelectorAll('[data-lc-chat] .lc-msg--agent:not(.lc-msg--event)[data-seq]').forEach(function (m) { seqs.push(Number(m.getAttribute('data-seq'))) })
      return seqs
    }
    const noticeReplies = function () {
      const seqs = replySeqs()
      const newest = seqs.length ? Math.max.apply(null, seqs) : 0
      // What the page came with was seen; only what arrives later counts.
      if (lastReply === null || document.visibilityState === 'visible') { lastReply = newest; return }
      const fresh = seqs.filter(function (s) { return s > lastReply }).length
      lastReply = Math.max(lastReply, newest)
      if (!fresh) return
      unseen += fresh
      document.title = '(' + unseen + ') ' + plainTitle
      if (soundSwitch && !soundSwitch.checked) return
      try { replySound.currentTime = 0 } catch (err) { /* not loaded yet */ }
      const playing = replySound.play()
      if (playing && playing.catch) playing.catch(function () { /* the browser refused sound before any click: the title still counts */ })
    }
    const seenAgain = function () {
      if (document.visibilityState !== 'visible') return
      unseen = 0
      document.title = plainTitle
      noticeReplies()
    }
    noticeReplies()
    document.addEventListener('htmx:ws:after:message:incoming', noticeReplies)
    document.addEventListener('htmx:after:swap', noticeReplies)
    document.addEventListener('visibilitychange', seenAgain)
    window.addEventListener('focus', seenAgain)
  }

  // Inside the chat widget's frame on one of the desk's widget sites (docs/features.md#embeddable-widget):
  // the page tells the widget which chat it shows and the agent's messages in it, so the
  // site can resume it on its next page and count replies while the panel is closed; Escape
  // here closes the panel there. It answers only a parent whose origin the page lists
  // (lc-frame-origins), and only to that origin.
  const frameOrigins = (document.querySelector('meta[name="lc-frame-origins"]') || { content: '' }).content.split(' ').filter(Boolean)
  let widget = null
  function tellWidget () {
    if (!widget) return
    const list = document.querySelector('[data-lc-chat]')
    const status = document.querySelector('.lc-status')
    const seqs = []
    if (list) list.querySelectorAll('.lc-msg--agent[data-seq]').forEach(function (m) { seqs.push(Number(m.getAttribute('data-seq'))) })
    widget.source.postMessage({
      lc: 'page',
      chat: list ? location.pathname : null,
      ended: Boolean(status && /lc-status--(ended|abandoned|cancelled)/.test(status.className)),
      error: Boolean(document.querySelector('.lc-error-page')),
      agentSeqs: seqs
    }, widget.origin)
  }
  if (window.parent !== window && frameOrigins.length) {
    window.addEventListener('message', function (e) {
      if (e.source !== window.parent || frameOrigins.indexOf(e.origin) < 0 || !e.data || e.data.lc !== 'hello') return
      widget = { source: e.source, origin: e.origin }
      tellWidget()
    })
    document.addEventListener('htmx:ws:after:message:incoming', tellWidget)
    document.addEventListener('htmx:after:swap', tellWidget)
    document.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && widget) widget.source.postMessage({ lc: 'escape' }, widget.origin)
    })
  }
})()
