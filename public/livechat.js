// The small amount of browser code live chat needs; everything else is htmx and
// server-rendered HTML. No inline scripts, so the CSP can forbid them.
(function () {
  'use strict'

  // An agent's hidden tab must keep its socket: presence comes from it (DESIGN §6).
  htmx.config.ws = Object.assign({}, htmx.config.ws, { pauseOnBackground: false })

  function csrfToken () {
    const meta = document.querySelector('meta[name="lc-csrf"]')
    return meta ? meta.getAttribute('content') : null
  }

  document.addEventListener('htmx:config:request', function (e) {
    const token = csrfToken()
    if (token) e.detail.ctx.request.headers['X-CSRF-Token'] = token
  })

  // The socket URL carries, per chat on the page, the last seq we hold, so a reconnect
  // (to any instance) is sent exactly what was missed.
  function socketUrl (el) {
    const parts = []
    document.querySelectorAll('[data-lc-chat]').forEach(function (list) {
      let seq = 0
      list.querySelectorAll('[data-seq]').forEach(function (m) { seq = Math.max(seq, Number(m.getAttribute('data-seq'))) })
      parts.push(list.getAttribute('data-lc-chat') + '.' + seq)
    })
    const url = new URL(el.getAttribute('data-lc-ws-base'), location.href)
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:'
    if (parts.length) url.search = '?since=' + parts.join(',')
    return url.href
  }

  function refreshSocketUrl (connection) {
    const el = document.querySelector('[data-lc-ws-base]')
    if (!el) return
    connection = connection || (el._htmx && el._htmx.ws && el._htmx.ws.connection)
    if (connection) connection.url = socketUrl(el)
  }

  document.addEventListener('htmx:ws:before:connection', function (e) { refreshSocketUrl(e.detail.connection) })

  let focusedId = null
  document.addEventListener('htmx:ws:before:message:incoming', function () {
    focusedId = document.activeElement && document.activeElement.id
  })
  document.addEventListener('htmx:ws:after:message:incoming', function (e) {
    refreshSocketUrl(e.detail.connection)
    afterSwap()
    // A re-rendered composer replaces the textarea the person was typing in.
    if (focusedId && document.activeElement && document.activeElement.id !== focusedId) {
      const el = document.getElementById(focusedId)
      if (el && !el.closest('[hidden]')) el.focus()
    }
  })
  document.addEventListener('htmx:after:swap', function () { refreshSocketUrl(); afterSwap() })

  function localTimes () {
    document.querySelectorAll('time[datetime]:not([data-lc-local])').forEach(function (t) {
      const d = new Date(t.getAttribute('datetime'))
      if (isNaN(d)) return
      t.textContent = t.getAttribute('data-format') === 'datetime'
        ? d.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' })
        : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
      t.setAttribute('data-lc-local', '')
      t.title = d.toLocaleString()
    })
  }

  function scrollTranscripts () {
    document.querySelectorAll('.lc-messages').forEach(function (list) {
      const last = list.lastElementChild
      if (last && list.getAttribute('data-lc-scrolled') !== last.id) {
        list.scrollTop = list.scrollHeight
        list.setAttribute('data-lc-scrolled', last.id)
      }
    })
  }

  function showPane (id) {
    const panes = document.querySelectorAll('.lc-pane[data-lc-pane]')
    if (!panes.length) return
    let found = false
    panes.forEach(function (p) {
      const match = p.getAttribute('data-lc-pane') === String(id)
      p.hidden = !match
      found = found || match
    })
    if (!found) { panes[0].hidden = false; id = panes[0].getAttribute('data-lc-pane') }
    document.querySelectorAll('[data-lc-show]').forEach(function (a) {
      if (a.getAttribute('data-lc-show') === String(id)) a.setAttribute('aria-current', 'true')
      else a.removeAttribute('aria-current')
    })
    const empty = document.querySelector('.lc-panes__empty')
    if (empty) empty.hidden = true
  }

  // ---- alerts: a new queued, assigned or transferred chat (seed 001: "An audible alert will
  // notify agents"); a browser notification too where the agent allowed them.
  let lastAlert = null
  let audio = null
  function beep () {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)()
      const osc = audio.createOscillator()
      const gain = audio.createGain()
      osc.frequency.value = 880
      gain.gain.setValueAtTime(0.15, audio.currentTime)
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4)
      osc.connect(gain).connect(audio.destination)
      osc.start()
      osc.stop(audio.currentTime + 0.4)
    } catch (err) { /* no audio device: the counters still show it */ }
  }
  function alertIfNew () {
    const el = document.querySelector('[data-lc-alert]')
    if (!el || el.getAttribute('data-at') === lastAlert) return
    lastAlert = el.getAttribute('data-at')
    beep()
    if (window.Notification && window.Notification.permission === 'granted' && document.visibilityState !== 'visible') {
      const n = new window.Notification('Live chat', { body: el.getAttribute('data-text'), tag: 'lc-' + el.getAttribute('data-chat') })
      n.onclick = function () { window.focus(); n.close() }
    }
  }
  function offerNotifications () {
    const button = document.querySelector('[data-lc-notify]')
    if (button && window.Notification && window.Notification.permission === 'default') button.hidden = false
  }

  // ---- unread badges: counted here for panes not on screen, cleared (and told to the
  // server, which keeps the count for the next page load) when the pane is shown.
  function lastSeqOf (id) {
    let seq = 0
    const list = document.querySelector('[data-lc-chat="' + id + '"]')
    if (list) list.querySelectorAll('[data-seq]').forEach(function (m) { seq = Math.max(seq, Number(m.getAttribute('data-seq'))) })
    return seq
  }
  const readSeq = {}
  function markRead (id) {
    const badge = document.querySelector('[data-lc-unread="' + id + '"]')
    if (badge) { badge.hidden = true; badge.textContent = '0' }
    const seq = lastSeqOf(id)
    if (!seq || readSeq[id] >= seq) return
    readSeq[id] = seq
    const el = document.querySelector('[data-lc-ws-base]')
    const ws = el && el._htmx && el._htmx.ws && el._htmx.ws.connection && el._htmx.ws.connection.socket
    if (ws && ws.readyState === 1) ws.send(JSON.stringify({ type: 'read', chat_id: String(id), seq: String(seq) }))
  }
  const seenSeq = {}
  function countUnread () {
    document.querySelectorAll('[data-lc-chat]').forEach(function (list) {
      const id = list.getAttribute('data-lc-chat')
      const seq = lastSeqOf(id)
      const before = seenSeq[id]
      seenSeq[id] = seq
      if (before === undefined || seq <= before) return
      const pane = document.getElementById('lc-chat-' + id)
      if (pane && !pane.hidden && document.visibilityState === 'visible') { markRead(id); return }
      const badge = document.querySelector('[data-lc-unread="' + id + '"]')
      if (badge) { badge.textContent = String(Number(badge.textContent || 0) + seq - before); badge.hidden = false }
    })
  }
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && currentPane) markRead(currentPane)
  })

  // A chat's pane can arrive twice (the Accept answer and the socket's push to every tab):
  // the one holding the most messages stays, the newer of two equal ones.
  function lastSeqIn (pane) {
    let seq = 0
    pane.querySelectorAll('[data-seq]').forEach(function (m) { seq = Math.max(seq, Number(m.getAttribute('data-seq'))) })
    return seq
  }
  function dedupePanes () {
    const keep = {}
    document.querySelectorAll('.lc-pane[data-lc-pane]').forEach(function (p) {
      const id = p.getAttribute('data-lc-pane')
      const other = keep[id]
      if (!other) { keep[id] = p; return }
      if (lastSeqIn(p) >= lastSeqIn(other)) { other.remove(); keep[id] = p } else p.remove()
    })
  }

  let currentPane = null
  function afterSwap () {
    dedupePanes()
    localTimes()
    scrollTranscripts()
    alertIfNew()
    const fresh = document.querySelector('.lc-pane[data-lc-new]')
    if (fresh) {
      fresh.removeAttribute('data-lc-new')
      currentPane = fresh.getAttribute('data-lc-pane')
    }
    if (document.querySelector('.lc-console')) {
      showPane(currentPane)
      countUnread()
    }
  }

  document.addEventListener('click', function (e) {
    const show = e.target.closest('[data-lc-show]')
    if (show && document.getElementById('lc-chat-' + show.getAttribute('data-lc-show'))) {
      e.preventDefault()
      currentPane = show.getAttribute('data-lc-show')
      showPane(currentPane)
      markRead(currentPane)
      return
    }
    // A chat's tabs: Conversation is the pane's own part (so drafts survive); the others
    // share one panel that their hx-get fills.
    const tab = e.target.closest('[data-lc-tab]')
    if (tab) {
      const pane = tab.closest('.lc-pane')
      const conversation = tab.getAttribute('data-lc-tab') === 'conversation'
      pane.querySelectorAll('[data-lc-tab]').forEach(function (t) { t.setAttribute('aria-selected', String(t === tab)) })
      pane.querySelector('.lc-conversation').hidden = !conversation
      const panel = pane.querySelector('.lc-tab-panel')
      panel.hidden = conversation
      if (!conversation) panel.setAttribute('aria-labelledby', tab.id)
      return
    }
    // A list action that opens something in a chat's pane (Transfer…) shows that pane too.
    const reveal = e.target.closest('[data-lc-reveal]')
    if (reveal) {
      currentPane = reveal.getAttribute('data-lc-reveal')
      showPane(currentPane)
      const menu = reveal.closest('details')
      if (menu) menu.open = false
    }
    if (e.target.closest('[data-lc-notify]') && window.Notification) {
      window.Notification.requestPermission().then(function () { e.target.hidden = true })
      return
    }
    const closeTools = e.target.closest('[data-lc-close-tools]')
    if (closeTools) {
      const tools = closeTools.closest('.lc-chat-tools')
      if (tools) tools.innerHTML = ''
      return
    }
    const dismiss = e.target.closest('[data-lc-dismiss]')
    if (dismiss) dismiss.parentElement.remove()
  })

  // Enter sends, Shift+Enter starts a new line: what every chat box does.
  document.addEventListener('keydown', function (e) {
    const box = e.target.closest && e.target.closest('textarea[data-lc-enter-sends]')
    if (box && e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault()
      box.form.requestSubmit()
    }
  })

  document.addEventListener('DOMContentLoaded', function () {
    const first = document.querySelector('.lc-pane[data-lc-pane]')
    currentPane = first && first.getAttribute('data-lc-pane')
    afterSwap()
    offerNotifications()
  })
})()
