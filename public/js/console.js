// The agent's side: the console's panes, alerts and unread counts, canned replies, the lists,
// the layout and keyboard layer, Resources and instant messages; the admin pages run it too.
// Served after public/js/core.js in one file (plugin/web/assets.ts).
;(function () {
  'use strict'

  function showPane (id, reveal) {
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
    // On a phone the chat takes the screen and the lists wait behind its ‹ (CSS); only
    // the agent's own choice (or a chat they accepted) brings it forward, never a push.
    if (reveal) document.body.classList.add('lc-console--chat')
    loadSlot(document.getElementById('lc-chat-' + id), reveal)
    document.dispatchEvent(new CustomEvent('lc:pane-shown', { detail: { id: String(id) } }))
  }

  // ---- panes drawn when first shown (docs/features.md#chat-pane): the console page draws one
  // chat's pane; the others are slots (views/console/pane-slot.hbs) whose hx-get brings the
  // pane into their place. The slot's hidden list has taken the chat's pushed messages
  // meanwhile; any the pane was read too early to hold are moved into it, so none is lost.
  // A slot is asked once as swaps go by; a refused one (the chat was deleted, say) again only
  // when the agent shows it themselves, never on every push.
  const slotsLoading = {}
  const slotsAsked = new WeakSet()
  let focusOnLoad = null
  function isSlot (pane) { return Boolean(pane && pane.hasAttribute('data-lc-slot')) }
  function loadSlot (pane, again) {
    if (!isSlot(pane) || (slotsAsked.has(pane) && !again)) return
    slotsAsked.add(pane)
    slotsLoading[pane.getAttribute('data-lc-pane')] = pane
    const failed = pane.querySelector('[data-lc-slot-failed]')
    if (failed) failed.remove()
    pane.removeAttribute('data-lc-failed')
    pane.setAttribute('aria-busy', 'true')
    pane.dispatchEvent(new CustomEvent('lc-pane-load'))
  }

  // A list action that works in the chat's pane (Transfer… opens its form there) waits while
  // the pane is still a slot: its answer would have nowhere to go. It is asked again, as it
  // was, once the pane is in, and forgotten when the slot could not be loaded. (GET only: the
  // list's actions that reach a pane are.)
  const waitingForPane = {}
  document.addEventListener('htmx:config:request', function (e) {
    const source = e.target.closest && e.target.closest('[data-lc-reveal]')
    const request = e.detail.ctx.request
    if (!source || request.method !== 'GET') return
    const id = source.getAttribute('data-lc-reveal')
    if (!isSlot(document.getElementById('lc-chat-' + id))) return
    e.preventDefault()
    ;(waitingForPane[id] = waitingForPane[id] || []).push({ action: request.action, target: e.detail.ctx.target, swap: e.detail.ctx.swap })
  })
  function paneIn (id, loaded) {
    const waiting = waitingForPane[id] || []
    delete waitingForPane[id]
    if (loaded) waiting.forEach(function (r) { window.htmx.ajax('GET', r.action, { target: r.target, swap: r.swap }) })
  }

  // A slot whose pane the server refused, or that the network lost, says so and offers to
  // try again, rather than saying it is opening for ever; showing the chat again retries too.
  function slotFailed (e) {
    const slot = e.target
    if (!isSlot(slot) || !slot.isConnected) return
    const id = slot.getAttribute('data-lc-pane')
    if (slotsLoading[id] === slot) delete slotsLoading[id]
    paneIn(id, false)
    slot.removeAttribute('aria-busy')
    slot.setAttribute('data-lc-failed', '')
    if (slot.querySelector('[data-lc-slot-failed]')) return
    const note = document.createElement('p')
    note.setAttribute('data-lc-slot-failed', '')
    note.setAttribute('role', 'alert')
    note.textContent = 'This chat could not be opened. '
    const retry = document.createElement('button')
    retry.type = 'button'
    retry.textContent = 'Try again'
    retry.addEventListener('click', function () { loadSlot(slot, true) })
    note.appendChild(retry)
    slot.appendChild(note)
    if (currentPane === id && document.activeElement === document.body) retry.focus()
  }
  document.addEventListener('htmx:response:error', slotFailed)
  document.addEventListener('htmx:error', slotFailed)
  function slotsLoaded () {
    Object.keys(slotsLoading).forEach(function (id) {
      const pane = document.getElementById('lc-chat-' + id)
      if (!pane || isSlot(pane)) return
      const slot = slotsLoading[id]
      delete slotsLoading[id]
      const list = pane.querySelector('[data-lc-chat="' + id + '"]')
      const held = list ? lastSeqIn(list) : Infinity
      slot.querySelectorAll('.lc-msg[data-seq]').forEach(function (m) {
        if (Number(m.getAttribute('data-seq')) > held) list.appendChild(m)
      })
      paneIn(id, true)
      if (focusOnLoad !== id) return
      focusOnLoad = null
      const box = currentPane === id && pane.querySelector('.lc-composer textarea')
      if (box) box.focus()
    })
  }

  // ---- alerts: a new queued, assigned or transferred chat (docs/features.md#alerts);
  // a browser notification too where the agent allowed them.
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
  // The agent's Alerts choices (views/console/alert-prefs.hbs): a kind switched off is silent.
  function wanted (kind) {
    const box = document.querySelector('[data-lc-alert-kind="' + kind + '"]')
    return !box || box.checked
  }
  function announce (kind, text, tag) {
    if (!wanted(kind)) return
    beep()
    if (window.Notification && window.Notification.permission === 'granted' && document.visibilityState !== 'visible') {
      const n = new window.Notification('Live chat', { body: text, tag })
      n.onclick = function () { window.focus(); n.close() }
    }
  }
  // The instant messages' pop-ups (below) announce themselves through here.
  document.addEventListener('lc:announce', function (e) { announce(e.detail.kind, e.detail.text, e.detail.tag) })
  function alertIfNew () {
    const el = document.querySelector('[data-lc-alert]')
    if (!el || el.getAttribute('data-at') === lastAlert) return
    lastAlert = el.getAttribute('data-at')
    announce(el.getAttribute('data-lc-alert'), el.getAttribute('data-text'), 'lc-' + el.getAttribute('data-chat'))
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
      announce('message', 'New message in the chat with ' + ((pane && pane.getAttribute('aria-label')) || 'a customer').replace(/^Chat with /, ''), 'lc-msg-' + id)
    })
  }
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && currentPane) markRead(currentPane)
  })

  // A chat's pane can arrive twice (the Accept answer and the socket's push to every tab):
  // the one already on the page stays, unless the newcomer holds more messages; then the
  // newcomer stays and takes over whatever was typed in the old one.
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
      // A slot gives way to the chat's pane, which takes the messages only the slot holds.
      if (isSlot(p) !== isSlot(other)) {
        const slot = isSlot(p) ? p : other
        keep[id] = slot === p ? other : p
        slotsLoading[id] = slot
        slot.remove()
        return
      }
      if (lastSeqIn(p) > lastSeqIn(other)) {
        other.querySelectorAll('textarea').forEach(function (box) {
          const twin = box.id && p.querySelector('#' + window.CSS.escape(box.id))
          if (twin && box.value && !twin.value) twin.value = box.value
        })
        other.remove()
        keep[id] = p
      } else {
        // The Accept answer's copy asks to be shown: the copy kept is shown instead.
        if (p.hasAttribute('data-lc-new')) other.setAttribute('data-lc-new', '')
        p.remove()
      }
    })
  }

  // Queue and Transferred rows are pushed one by one at the end of their list (docs/design.md
  // §6); the list is kept oldest first, as the page draws it (queued time, then chat number).
  function rowOrder (a, b) {
    return (Number(a.getAttribute('data-lc-at')) - Number(b.getAttribute('data-lc-at'))) ||
      (Number(a.getAttribute('data-lc-id')) - Number(b.getAttribute('data-lc-id')))
  }
  function orderRows () {
    document.querySelectorAll('[data-lc-ordered]').forEach(function (list) {
      const rows = Array.prototype.slice.call(list.children)
      for (let i = 1; i < rows.length; i++) {
        if (rowOrder(rows[i - 1], rows[i]) > 0) {
          rows.sort(rowOrder).forEach(function (row) { list.appendChild(row) })
          return
        }
      }
    })
  }

  // Set as the script runs (it comes after the page's body): the first swap step already
  // knows which chat is shown.
  let currentPane = (function () {
    const first = document.querySelector('.lc-pane[data-lc-pane]')
    return first && first.getAttribute('data-lc-pane')
  })()
  window.lc.onSwap(function () {
    orderRows()
    dedupePanes()
    slotsLoaded()
    alertIfNew()
    const fresh = document.querySelector('.lc-pane[data-lc-new]')
    if (fresh) {
      fresh.removeAttribute('data-lc-new')
      currentPane = fresh.getAttribute('data-lc-pane')
    }
    if (document.querySelector('.lc-console')) {
      showPane(currentPane, Boolean(fresh))
      countUnread()
    }
    offerNotifications()
    // A chat just accepted here: the agent's next move is to greet the customer.
    if (fresh) {
      const box = fresh.querySelector('.lc-composer textarea')
      if (box && !fresh.hidden) box.focus()
    }
  })

  document.addEventListener('click', function (e) {
    const show = e.target.closest('[data-lc-show]')
    if (show && document.getElementById('lc-chat-' + show.getAttribute('data-lc-show'))) {
      e.preventDefault()
      currentPane = show.getAttribute('data-lc-show')
      showPane(currentPane, true)
      markRead(currentPane)
      // Opening a chat is for answering it; a pointer click leaves the focus where it was.
      if (e.detail === 0) {
        const box = document.querySelector('#lc-chat-' + currentPane + ' .lc-composer textarea')
        if (box) box.focus()
        else if (isSlot(document.getElementById('lc-chat-' + currentPane))) focusOnLoad = currentPane
      }
      return
    }
    // A chat's tabs: Conversation is the pane's own part (so drafts survive); the others
    // share one panel that their hx-get fills.
    const tab = e.target.closest('[data-lc-tab]')
    if (tab) {
      const pane = tab.closest('.lc-pane')
      const conversation = tab.getAttribute('data-lc-tab') === 'conversation'
      pane.querySelectorAll('[data-lc-tab]').forEach(function (t) {
        t.setAttribute('aria-selected', String(t === tab))
        t.setAttribute('tabindex', t === tab ? '0' : '-1')
      })
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
      showPane(currentPane, true)
      const menu = reveal.closest('details')
      if (menu) menu.open = false
    }
    if (e.target.closest('[data-lc-notify]') && window.Notification) {
      window.Notification.requestPermission().then(function () { e.target.hidden = true })
      return
    }
    if (e.target.closest('[data-lc-back]')) {
      document.body.classList.remove('lc-console--chat')
      const link = currentPane && document.querySelector('[data-lc-show="' + currentPane + '"]')
      if (link) link.focus()
      return
    }
    const closeTools = e.target.closest('[data-lc-close-tools]')
    if (closeTools) {
      const tools = closeTools.closest('.lc-chat-tools')
      if (tools) tools.innerHTML = ''
    }
  })

  // ---- a list's Actions menu (views/console/my-active.hbs): drawn once for the list, not once
  // a row. A row's button is a WAI-ARIA menu button (aria-haspopup, aria-expanded): it moves
  // the menu under its row and puts the row's chat where the items say :id. Enter, Space, a
  // click or Down open it on its first item, Up on its last; in it, the arrows, Home and End
  // move, Escape closes it and gives the focus back to the button, Tab or a click elsewhere
  // closes it.
  function rowMenuOf (button) {
    const list = button.closest('.lc-list')
    return list && list.querySelector('.lc-row-menu')
  }
  function rowMenuItems (menu) { return Array.prototype.slice.call(menu.querySelectorAll('[role="menuitem"]')) }
  function closeRowMenu (menu, giveFocusBack) {
    if (!menu || menu.hidden) return
    menu.hidden = true
    const button = menu._lcButton
    menu._lcButton = null
    if (!button) return
    button.setAttribute('aria-expanded', 'false')
    if (giveFocusBack && button.isConnected) button.focus()
  }
  function openRowMenu (button, at) {
    const menu = rowMenuOf(button)
    if (!menu) return
    document.querySelectorAll('.lc-row-menu:not([hidden])').forEach(function (m) { closeRowMenu(m, false) })
    const id = button.getAttribute('data-lc-row-menu')
    rowMenuItems(menu).forEach(function (item) {
      // The attributes as drawn, with :id, kept the first time: every opening fills them anew.
      if (!item._lcTemplate) {
        item._lcTemplate = {}
        Array.prototype.forEach.call(item.attributes, function (a) { if (a.value.indexOf(':id') >= 0) item._lcTemplate[a.name] = a.value })
      }
      Object.keys(item._lcTemplate).forEach(function (name) { item.setAttribute(name, item._lcTemplate[name].replace(':id', id)) })
    })
    button.parentElement.appendChild(menu)
    menu._lcButton = button
    menu.hidden = false
    button.setAttribute('aria-expanded', 'true')
    button.setAttribute('aria-controls', menu.id)
    const items = rowMenuItems(menu)
    const first = at === 'last' ? items[items.length - 1] : items[0]
    if (first) first.focus()
  }
  document.addEventListener('click', function (e) {
    const button = e.target.closest && e.target.closest('[data-lc-row-menu]')
    if (button) {
      const menu = rowMenuOf(button)
      if (menu && !menu.hidden && menu._lcButton === button) closeRowMenu(menu, true)
      else openRowMenu(button, 'first')
      return
    }
    // An item has done its work (its own hx-get runs on the same click): the menu closes.
    const inMenu = e.target.closest && e.target.closest('.lc-row-menu')
    if (inMenu && e.target.closest('[role="menuitem"]')) { closeRowMenu(inMenu, false); return }
    if (!inMenu) document.querySelectorAll('.lc-row-menu:not([hidden])').forEach(function (m) { closeRowMenu(m, false) })
  })
  document.addEventListener('keydown', function (e) {
    const button = e.target.closest && e.target.closest('[data-lc-row-menu]')
    if (button && (e.key === 'ArrowDown' || e.key === 'ArrowUp') && !e.altKey) {
      e.preventDefault()
      openRowMenu(button, e.key === 'ArrowUp' ? 'last' : 'first')
      return
    }
    const menu = e.target.closest && e.target.closest('.lc-row-menu')
    if (!menu || menu.hidden) return
    const items = rowMenuItems(menu)
    const at = items.indexOf(e.target)
    const next = { ArrowDown: items[(at + 1) % items.length], ArrowUp: items[(at - 1 + items.length) % items.length], Home: items[0], End: items[items.length - 1] }[e.key]
    if (next && !e.altKey) { e.preventDefault(); next.focus(); return }
    if (e.key === 'Escape') { e.preventDefault(); closeRowMenu(menu, true); return }
    if (e.key === 'Tab') closeRowMenu(menu, false)
  })

  // Double-click opens a chat in its own window (docs/features.md#chat-pane); a single
  // click still shows it in the preview pane.
  document.addEventListener('dblclick', function (e) {
    const link = e.target.closest && e.target.closest('a[href*="/console/chats/"]')
    if (!link) return
    e.preventDefault()
    const id = (link.getAttribute('href').match(/\/console\/chats\/(\d+)/) || [])[1]
    window.open(link.href, 'lc-chat-' + id, 'popup,width=960,height=760')
  })

  // The customer's email in a chat's header and the returning-customer line open the
  // Customer tab by clicking that tab, so the tab's own
  // hx-get and the tab switching above stay the one way it opens.
  document.addEventListener('click', function (e) {
    const opener = e.target.closest('[data-lc-open-tab]')
    const pane = opener && opener.closest('.lc-pane')
    const tab = pane && pane.querySelector('[data-lc-tab="' + opener.getAttribute('data-lc-open-tab') + '"]')
    if (!tab) return
    e.preventDefault()
    tab.click()
    tab.focus()
  })

  // ---- canned replies (plugin/canned). A "/" typed at the start of an agent's reply box, or
  // the Insert canned reply button, asks the server for a listbox of replies (their text
  // already filled in for this chat) under the composer. Choosing one puts its text into the
  // box, never sends it: the agent edits and sends as usual, and the rest of the draft stays.
  // The box (or the list's search field) keeps focus and points at the active option with
  // aria-activedescendant; arrows move, Enter or Tab choose, Escape closes.
  let cannedTimer = null
  function cannedParts (el) {
    const composer = el && el.closest('.lc-composer')
    const list = composer && composer.querySelector('[data-lc-canned]')
    if (!list) return null
    return { composer, list, box: composer.querySelector('textarea[name="body"]'), search: list.querySelector('[data-lc-canned-search]') }
  }
  // What follows a "/" that starts the box, up to the caret; null when the box does not start so.
  function slashQuery (box) {
    const m = /^\/([A-Za-z0-9-]{0,40})$/.exec(box.value.slice(0, box.selectionStart))
    return m ? m[1] : null
  }
  function cannedOwner (parts) { return parts.search || parts.box }
  function cannedOptions (parts) { return Array.prototype.slice.call(parts.list.querySelectorAll('[role="option"]')) }
  function closeCanned (parts, focusBox) {
    clearTimeout(cannedTimer)
    parts.list.innerHTML = ''
    parts.box.removeAttribute('aria-activedescendant')
    if (focusBox) parts.box.focus()
  }
  function setActive (parts, option) {
    cannedOptions(parts).forEach(function (o) { o.setAttribute('aria-selected', String(o === option)) })
    cannedOwner(parts).setAttribute('aria-activedescendant', option.id)
    option.scrollIntoView({ block: 'nearest' })
  }
  function pickCanned (option) {
    const parts = cannedParts(option)
    const text = option.getAttribute('data-lc-text')
    const box = parts.box
    const menu = parts.list.querySelector('[data-lc-canned-mode="menu"]')
    // From a typed /shortcut: the shortcut becomes the text. From the list: the text goes in at the caret.
    const start = menu && slashQuery(box) !== null ? 0 : box.selectionStart
    box.setRangeText(text, start, box.selectionEnd, 'end')
    closeCanned(parts, true)
  }
  function askCanned (parts, query) {
    htmx.ajax('GET', parts.list.getAttribute('data-lc-canned') + '?q=' + encodeURIComponent(query), { source: parts.list, target: '#lc-notice', swap: 'none' })
  }
  // After each answer: point the owner at the option the server marked active, drop a menu
  // whose "/" the agent has typed away meanwhile, and move focus into a list just opened.
  // A menu answering an earlier text than the box holds now (a slow answer to "/h" landing
  // after "/hel" was typed) is asked for again, so the list never stands for an older text.
  function syncCanned () {
    document.querySelectorAll('[data-lc-canned]').forEach(function (list) {
      const parts = cannedParts(list)
      if (!parts || !parts.box) return
      const menu = list.querySelector('[data-lc-canned-mode="menu"]')
      const typed = slashQuery(parts.box)
      if (menu && typed === null) { closeCanned(parts, false); return }
      if (menu && menu.getAttribute('data-lc-canned-q') !== typed) {
        clearTimeout(cannedTimer)
        cannedTimer = setTimeout(function () { askCanned(parts, typed) }, 0)
        return
      }
      const active = list.querySelector('[role="option"][aria-selected="true"]')
      if (active) cannedOwner(parts).setAttribute('aria-activedescendant', active.id)
      else cannedOwner(parts).removeAttribute('aria-activedescendant')
      if (parts.search && !parts.search.hasAttribute('data-lc-focused')) {
        parts.search.setAttribute('data-lc-focused', '')
        parts.search.focus()
      }
    })
  }
  document.addEventListener('htmx:after:swap', syncCanned)
  document.addEventListener('input', function (e) {
    const parts = e.target.matches && e.target.matches('textarea[name="body"]') && cannedParts(e.target)
    if (!parts || parts.search) return
    const query = slashQuery(parts.box)
    clearTimeout(cannedTimer)
    if (query === null) { if (parts.list.firstElementChild) closeCanned(parts, false); return }
    cannedTimer = setTimeout(function () { askCanned(parts, query) }, 120)
  })
  // Capture phase: ahead of the Enter-sends handler, so Enter on an option chooses it instead.
  document.addEventListener('keydown', function (e) {
    const parts = e.target.matches && e.target.matches('textarea[name="body"], [data-lc-canned-search]') && cannedParts(e.target)
    if (!parts || !parts.list.firstElementChild) return
    if (e.key === 'Escape') { e.preventDefault(); closeCanned(parts, true); return }
    const options = cannedOptions(parts)
    const index = options.findIndex(function (o) { return o.getAttribute('aria-selected') === 'true' })
    if (!options.length) return
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault()
      const step = e.key === 'ArrowDown' ? 1 : -1
      setActive(parts, options[index < 0 ? (step > 0 ? 0 : options.length - 1) : (index + step + options.length) % options.length])
    } else if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey && !e.isComposing && index >= 0) {
      e.preventDefault()
      e.stopPropagation()
      pickCanned(options[index])
    }
  }, true)
  // mousedown would take focus from the box before the click lands.
  document.addEventListener('mousedown', function (e) {
    if (e.target.closest('[data-lc-canned] [role="option"]')) e.preventDefault()
  })
  document.addEventListener('click', function (e) {
    const option = e.target.closest('[data-lc-canned] [role="option"]')
    if (option) { pickCanned(option); return }
    const close = e.target.closest('[data-lc-canned-close]')
    const parts = close && cannedParts(close)
    if (parts) closeCanned(parts, true)
  })

  document.addEventListener('DOMContentLoaded', function () {
    if (currentPane) showPane(currentPane, true)
    offerNotifications()
    // A second copy of a pane is removed as it lands (in the same turn), not after the swap
    // events, so nothing ever sees two.
    const panes = document.querySelector('.lc-panes')
    if (panes && window.MutationObserver) new window.MutationObserver(dedupePanes).observe(panes, { childList: true })
  })
})()

// ---------------------------------------------------------------- running durations
// lcTickSince(root): every element under root with data-since="<epoch ms>" shows the time
// since then, "45s", "3m 20s", "2h 5m" (formatDuration, plugin/console/list-view-models.ts),
// as its first text. With data-idle it turns lc-since--amber, then lc-since--red, at the
// data-idle-warn and data-idle-high (ms) of the element or its nearest ancestor having them,
// and says so in a [data-since-level] child, made when first needed. data-now (on the
// element or an ancestor), the server's clock when it rendered, keeps a wrong clock here
// from showing a wrong time. It runs every second over the page, so any view (the lists, the chat header)
// gets a live duration by rendering those attributes; no push is needed to move it on.
;(function () {
  'use strict'

  function format (ms) {
    const s = Math.max(0, Math.round(ms / 1000))
    return s < 60 ? s + 's' : s < 3600 ? Math.floor(s / 60) + 'm ' + (s % 60) + 's' : Math.floor(s / 3600) + 'h ' + Math.floor(s % 3600 / 60) + 'm'
  }
  const levelWords = { calm: '', amber: ' (idle warning)', red: ' (high idle)' }

  function lcTickSince (root) {
    (root || document).querySelectorAll('[data-since]').forEach(function (el) {
      if (el._lcSkew === undefined) {
        const clock = el.closest('[data-now]')
        el._lcSkew = clock ? Number(clock.getAttribute('data-now')) - Date.now() : 0
      }
      const ms = Date.now() + el._lcSkew - Number(el.getAttribute('data-since'))
      const shown = format(ms)
      if (!el.firstChild || el.firstChild.nodeType !== 3) el.insertBefore(document.createTextNode(''), el.firstChild)
      if (el.firstChild.nodeValue !== shown) el.firstChild.nodeValue = shown
      const limits = el.hasAttribute('data-idle') && el.closest('[data-idle-warn]')
      if (!limits) return
      const level = ms >= Number(limits.getAttribute('data-idle-high')) ? 'red' : ms >= Number(limits.getAttribute('data-idle-warn')) ? 'amber' : 'calm'
      const was = el.classList.contains('lc-since--red') ? 'red' : el.classList.contains('lc-since--amber') ? 'amber' : 'calm'
      if (level === was) return
      el.classList.remove('lc-since--amber', 'lc-since--red')
      if (level !== 'calm') el.classList.add('lc-since--' + level)
      let words = el.querySelector('[data-since-level]')
      if (!words) {
        words = document.createElement('span')
        words.className = 'lc-visually-hidden'
        words.setAttribute('data-since-level', '')
        el.appendChild(words)
      }
      words.textContent = levelWords[level]
    })
  }
  lcTickSince.format = format
  window.lcTickSince = lcTickSince

  document.addEventListener('DOMContentLoaded', function () {
    lcTickSince()
    setInterval(lcTickSince, 1000)
  })
  // A fragment swapped in is right as rendered; ticking it at once keeps it in step with its neighbours.
  document.addEventListener('htmx:after:swap', function () { lcTickSince() })
  document.addEventListener('htmx:ws:after:message:incoming', function () { lcTickSince() })
})()

// ---- chat lists (views/console/list*.hbs): Select All, ticks kept across refreshes, the
// refresh signal, and idle colours that move on as time passes between refreshes.
;(function () {
  'use strict'

  function list () { return document.getElementById('lc-list') }

  // Ticks survive the list being re-read (a push, a re-sort): they are the agent's, not the server's.
  let ticked = []
  document.addEventListener('change', function (e) {
    if (e.target.matches('[data-lc-select-all]')) {
      document.querySelectorAll('[data-lc-select]').forEach(function (box) { box.checked = e.target.checked })
    }
    if (e.target.matches('[data-lc-select], [data-lc-select-all]')) {
      ticked = Array.prototype.map.call(document.querySelectorAll('[data-lc-select]:checked'), function (b) { return b.value })
    }
  })
  function restoreTicks () {
    const boxes = document.querySelectorAll('[data-lc-select]')
    boxes.forEach(function (box) { box.checked = ticked.indexOf(box.value) !== -1 })
    const all = document.querySelector('[data-lc-select-all]')
    if (all) all.checked = boxes.length > 0 && Array.prototype.every.call(boxes, function (b) { return b.checked })
  }

  function duration (ms) { return window.lcTickSince.format(ms) }
  const labels = { green: 'Active', yellow: 'Idle warning', red: 'High idle' }

  // Idle is measured against the server's clock: the table says what time it was rendered at.
  function tick () {
    const el = list()
    if (!el) return
    if (el._lcSkew === undefined) el._lcSkew = Number(el.getAttribute('data-lc-now')) - Date.now()
    const now = Date.now() + el._lcSkew
    const warn = Number(el.getAttribute('data-lc-warn'))
    const high = Number(el.getAttribute('data-lc-high'))
    el.querySelectorAll('[data-lc-idle][data-lc-idle-from]').forEach(function (icon) {
      const idle = now - Number(icon.getAttribute('data-lc-idle-from'))
      const level = idle >= high ? 'red' : idle >= warn ? 'yellow' : 'green'
      if (icon.classList.contains('lc-idle--' + level)) return
      icon.className = 'lc-idle lc-idle--' + level
      icon.title = labels[level]
      icon.querySelector('[data-lc-idle-label]').textContent = labels[level]
      const row = icon.closest('tr')
      if (row) row.className = 'lc-list-row lc-list-row--' + level
    })
    el.querySelectorAll('[data-lc-idle-text][data-lc-idle-from]').forEach(function (cell) {
      cell.textContent = duration(now - Number(cell.getAttribute('data-lc-idle-from')))
    })
  }

  // The refresh signal (socket push, or after saving fields or transferring): the table
  // re-reads itself from its own address, with this tab's filters and sort.
  const readIfStale = window.lc.staleReader('lc-list-stale', list)

  function afterListSwap () {
    // A transfer's outcome is in: the chats it named are no longer the agent's selection.
    const outcome = document.querySelector('.lc-list-results:not([data-lc-seen])')
    if (outcome) { outcome.setAttribute('data-lc-seen', ''); ticked = [] }
    readIfStale()
    restoreTicks()
    tick()
  }
  document.addEventListener('htmx:after:swap', afterListSwap)
  document.addEventListener('htmx:ws:after:message:incoming', afterListSwap)
  document.addEventListener('DOMContentLoaded', function () {
    afterListSwap()
    if (list()) setInterval(tick, 5000)
  })
})()

// ---------------------------------------------------------------- The console's layout and keyboard
// (docs/features.md#keyboard-shortcuts, #layout): running durations, confirmations, the chat's
// WAI-ARIA tabs and their More menu, the shortcuts and their ? list, the Ctrl+K palette.
;(function () {
  'use strict'

  function shownPane () { return document.querySelector('.lc-pane[data-lc-pane]:not([hidden])') }
  function typing (el) {
    return Boolean(el && el.closest && el.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]'))
  }

  // ---- the overlays (views/console/overlays.hbs): the shortcut list, the palette, the emoji
  // set and the End confirmation are asked of the server the first time one is wanted, and
  // kept; a page without the holder has none.
  let loading = null
  function overlays () {
    const holder = document.querySelector('[data-lc-overlays]')
    if (!holder) return Promise.resolve(null)
    if (holder.firstElementChild) return Promise.resolve(holder)
    loading = loading || htmx.ajax('GET', holder.getAttribute('data-lc-overlays'), { source: holder, target: '#lc-notice', swap: 'none' })
      .catch(function () { /* the notice area says why */ })
      .then(function () { loading = null; return holder.firstElementChild ? holder : null })
    return loading
  }

  // ---- confirmations of destructive actions: a native modal dialog, so the keyboard, Escape
  // and the focus (back on the button that opened it) behave as everywhere else. The button
  // names the overlays' template (data-lc-confirm="end": lc-end-confirm); the copy is filled in
  // with the chat of the pane the button is in.
  function confirmFor (opener) {
    const template = document.getElementById('lc-' + opener.getAttribute('data-lc-confirm') + '-confirm')
    const pane = opener.closest('[data-lc-pane]')
    if (!template || !pane || !opener.isConnected || document.querySelector('dialog.lc-confirm[open]')) return
    // One closed earlier is done with; removed now rather than on close, so the request its
    // Yes started still has its element.
    document.querySelectorAll('dialog.lc-confirm').forEach(function (d) { d.remove() })
    const id = pane.getAttribute('data-lc-pane')
    const customer = pane.querySelector('.lc-chat-header__name')
    const dialog = template.content.firstElementChild.cloneNode(true)
    // One text node, so the dialog's name reads as one sentence.
    const title = dialog.querySelector('h2')
    title.textContent = title.textContent.replace(':id', id).replace(':customer', function () { return customer ? customer.textContent : '' })
    dialog.setAttribute('data-lc-confirm-post', template.getAttribute('data-lc-confirm-post').replace(':id', id))
    template.parentElement.appendChild(dialog)
    if (dialog.showModal) dialog.showModal()
  }
  document.addEventListener('click', function (e) {
    const opener = e.target.closest && e.target.closest('[data-lc-confirm]')
    if (opener) { overlays().then(function () { confirmFor(opener) }); return }
    const done = e.target.closest && e.target.closest('[data-lc-confirm-done]')
    const open = done && done.closest('dialog')
    if (!open) return
    const url = open.getAttribute('data-lc-confirm-post')
    if (url) htmx.ajax('POST', url, { source: done, target: '#lc-notice', swap: 'none' })
    open.close()
  })

  // ---- a form opened in a chat's tools slot (Transfer, a related item, a ticket's fields)
  // takes the focus at its first field; closed with Cancel, the focus goes back to the
  // chat's toolbar rather than to nowhere.
  function focusToolForms () {
    document.querySelectorAll('.lc-chat-tools > form:not([data-lc-focused])').forEach(function (form) {
      form.setAttribute('data-lc-focused', '')
      const first = form.querySelector('select, textarea, input:not([type="hidden"])')
      if (first && !form.closest('[hidden]')) first.focus()
    })
  }
  document.addEventListener('htmx:after:swap', focusToolForms)
  document.addEventListener('click', function (e) {
    const close = e.target.closest && e.target.closest('[data-lc-close-tools]')
    const pane = close && close.closest('.lc-pane')
    if (!pane) return
    setTimeout(function () {
      const back = pane.querySelector('.lc-chat-toolbar button')
      if (back) back.focus()
    }, 0)
  }, true)

  // ---- the focus after a swap: when the element that had it was replaced (a chat's header
  // re-rendered after an action from its menu, say), the same control in the new markup
  // takes it, or else the first control of the part that was replaced; never the page's top.
  let held = null
  function hold () {
    const el = document.activeElement
    if (!el || el === document.body) { held = null; return }
    const home = el.closest('[id]')
    held = { el, id: el.id, home: home && home.id, tag: el.tagName, label: el.getAttribute('aria-label'), text: (el.textContent || '').trim() }
  }
  function restore () {
    const was = held
    held = null
    if (!was || was.el.isConnected || (document.activeElement && document.activeElement !== document.body)) return
    let next = was.id && document.getElementById(was.id)
    const home = !next && was.home && document.getElementById(was.home)
    if (home) {
      // A control named apart from its text (a row's Actions: "Actions for the chat with …") by that name.
      next = Array.prototype.find.call(home.querySelectorAll(was.tag), function (c) {
        return was.label ? c.getAttribute('aria-label') === was.label : (c.textContent || '').trim() === was.text
      }) ||
        home.querySelector('button, summary, a[href], textarea, input:not([type="hidden"]), select')
    }
    // Inside a menu the new markup shows closed, its summary stands in.
    const menu = next && next.closest('details:not([open])')
    if (menu && next.tagName !== 'SUMMARY') next = menu.querySelector('summary')
    if (next && !next.closest('[hidden]')) next.focus()
  }
  document.addEventListener('htmx:before:request', hold)
  document.addEventListener('htmx:ws:before:message:incoming', hold)
  document.addEventListener('htmx:after:swap', restore)
  document.addEventListener('htmx:ws:after:message:incoming', restore)

  // ---- emoji beside the reply box: the menu gets its panel when it first opens; the character
  // goes where the cursor was, and the cursor after it, as typing it would.
  document.addEventListener('toggle', function (e) {
    const menu = e.target
    if (!menu.open || !menu.matches || !menu.matches('details.lc-emoji') || menu.querySelector('.lc-emoji__panel')) return
    overlays().then(function () {
      const set = document.getElementById('lc-emoji-set')
      if (set && !menu.querySelector('.lc-emoji__panel')) menu.appendChild(set.content.cloneNode(true))
    })
  }, true)
  document.addEventListener('click', function (e) {
    const pick = e.target.closest && e.target.closest('[data-lc-emoji]')
    const box = pick && pick.closest('form') && pick.closest('form').querySelector('textarea')
    if (!box) return
    const text = pick.getAttribute('data-lc-emoji')
    const start = box.selectionStart
    box.setRangeText(text, start, box.selectionEnd, 'end')
    const menu = pick.closest('details')
    if (menu) menu.open = false
    box.focus()
  })

  // ---- a chat's tabs: one row that never wraps. Tabs that do not fit move to More (the
  // selected one always stays in the row); arrows, Home and End follow the WAI-ARIA pattern.
  function tabsOf (list) { return Array.prototype.slice.call(list.querySelectorAll('[role="tab"]')) }
  function fitTabs (bar) {
    const list = bar.querySelector('[role="tablist"]')
    const more = bar.querySelector('.lc-tabs__more')
    if (!list || !more || !bar.offsetWidth) return
    const tabs = tabsOf(list)
    tabs.forEach(function (t) { t.classList.remove('lc-tab--over') })
    more.hidden = true
    if (list.scrollWidth <= list.clientWidth) { more.querySelector('[data-lc-tabs-more]').innerHTML = ''; return }
    more.hidden = false
    const over = []
    for (let i = tabs.length - 1; i > 0 && list.scrollWidth > list.clientWidth; i--) {
      if (tabs[i].getAttribute('aria-selected') === 'true') continue
      tabs[i].classList.add('lc-tab--over')
      over.unshift(tabs[i])
    }
    const menu = more.querySelector('[data-lc-tabs-more]')
    menu.innerHTML = ''
    over.forEach(function (tab) {
      const item = document.createElement('button')
      item.type = 'button'
      item.textContent = tab.textContent
      item.setAttribute('data-lc-tab-proxy', tab.id)
      menu.appendChild(item)
    })
  }
  function fitAll () { document.querySelectorAll('.lc-tabbar').forEach(fitTabs) }
  function visibleTabs (list) { return tabsOf(list).filter(function (t) { return !t.classList.contains('lc-tab--over') }) }
  function choose (tab) {
    tab.click()
    const bar = tab.closest('.lc-tabbar')
    if (bar) fitTabs(bar)
    const moved = document.getElementById(tab.id)
    if (moved && moved.classList.contains('lc-tab--over')) return
    if (moved) moved.focus()
  }
  document.addEventListener('click', function (e) {
    const proxy = e.target.closest && e.target.closest('[data-lc-tab-proxy]')
    if (!proxy) return
    const tab = document.getElementById(proxy.getAttribute('data-lc-tab-proxy'))
    const menu = proxy.closest('details')
    if (menu) menu.open = false
    if (tab) choose(tab)
  })
  document.addEventListener('keydown', function (e) {
    const tab = e.target.closest && e.target.closest('[role="tab"]')
    const list = tab && tab.closest('[role="tablist"]')
    if (!list || e.altKey || e.ctrlKey || e.metaKey) return
    const tabs = visibleTabs(list)
    const at = tabs.indexOf(tab)
    const next = { ArrowRight: tabs[(at + 1) % tabs.length], ArrowLeft: tabs[(at - 1 + tabs.length) % tabs.length], Home: tabs[0], End: tabs[tabs.length - 1] }[e.key]
    if (!next) return
    e.preventDefault()
    choose(next)
  })
  window.addEventListener('resize', fitAll)
  document.addEventListener('lc:pane-shown', fitAll)
  document.addEventListener('htmx:after:swap', fitAll)
  document.addEventListener('htmx:ws:after:message:incoming', fitAll)
  document.addEventListener('DOMContentLoaded', fitAll)

  // ---- keyboard shortcuts. Single letters only when the agent is not typing; the ones
  // meant for the reply box carry Alt or Ctrl.
  function dialogNamed (id) { return document.getElementById(id) }
  function press (selector) {
    const pane = shownPane()
    const el = pane && pane.querySelector(selector)
    if (el) { el.click(); return true }
    return false
  }
  function moveChat (step) {
    const links = Array.prototype.slice.call(document.querySelectorAll('a[data-lc-show]'))
    if (!links.length) return
    const at = links.findIndex(function (a) { return a.hasAttribute('aria-current') })
    const next = links[(at + step + links.length) % links.length]
    next.focus()
    next.click()
  }
  function moveTab (step) {
    const pane = shownPane()
    const list = pane && pane.querySelector('[role="tablist"]')
    if (!list) return
    const tabs = tabsOf(list)
    const at = tabs.findIndex(function (t) { return t.getAttribute('aria-selected') === 'true' })
    choose(tabs[(at + step + tabs.length) % tabs.length])
  }
  function reply () {
    const pane = shownPane()
    const box = pane && pane.querySelector('.lc-composer textarea')
    if (box) box.focus()
  }
  document.addEventListener('keydown', function (e) {
    if (e.defaultPrevented || e.isComposing || !document.querySelector('.lc-console')) return
    const inField = typing(e.target)
    if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === 'k' || e.key === 'K')) { e.preventDefault(); overlays().then(openPalette); return }
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter' && e.target.form && e.target.matches('textarea')) {
      e.preventDefault()
      e.target.form.requestSubmit()
      return
    }
    if (document.querySelector('dialog[open]')) return
    if (e.altKey && !e.ctrlKey && !e.metaKey) {
      const act = { ArrowDown: function () { moveChat(1) }, ArrowUp: function () { moveChat(-1) } }[e.key] ||
        { KeyT: function () { press('[data-lc-key="transfer"]') }, KeyE: function () { press('[data-lc-key="end"]') }, KeyC: function () { press('.lc-composer__canned') } }[e.code]
      if (act) { e.preventDefault(); act() }
      return
    }
    if (inField || e.ctrlKey || e.metaKey) return
    const act = {
      '?': showShortcuts,
      j: function () { moveChat(1) },
      k: function () { moveChat(-1) },
      a: function () { const b = document.querySelector('#lc-queue button.lc-primary'); if (b) b.click() },
      r: reply,
      '[': function () { moveTab(-1) },
      ']': function () { moveTab(1) }
    }[e.key]
    if (act) { e.preventDefault(); act() }
  })
  function showShortcuts () {
    overlays().then(function () {
      const d = dialogNamed('lc-shortcuts')
      if (d && !d.open) d.showModal()
    })
  }
  document.addEventListener('click', function (e) {
    if (e.target.closest && e.target.closest('[data-lc-shortcuts-open]')) showShortcuts()
  })
  // Escape closes an open menu (a <details>) and gives the focus back to its summary.
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape') return
    const menu = e.target.closest && e.target.closest('details[open]')
    if (!menu || menu.closest('dialog')) return
    menu.open = false
    const summary = menu.querySelector('summary')
    if (summary) summary.focus()
  })

  // ---- the command palette (Ctrl+K): every open chat, the lists, the top bar's pages and
  // the shown chat's actions, narrowed by the words typed; Enter does what was picked.
  let entries = []
  let active = 0
  function label (el) { return (el.getAttribute('aria-label') || el.textContent || '').replace(/\s+/g, ' ').trim() }
  function gather () {
    const found = []
    const seen = {}
    function add (kind, text, el) {
      const key = kind + ':' + text
      if (!text || seen[key]) return
      seen[key] = true
      found.push({ kind, text, el })
    }
    document.querySelectorAll('a[data-lc-show]').forEach(function (a) {
      const name = a.querySelector('strong')
      add('Chat', (name ? name.textContent : label(a)) + ' #' + a.getAttribute('data-lc-show'), a)
    })
    const pane = shownPane()
    if (pane) {
      pane.querySelectorAll('.lc-chat-toolbar > button, .lc-chat-toolbar__danger > button, .lc-chat-more button, .lc-chat-more a').forEach(function (b) { add('Action', label(b), b) })
      pane.querySelectorAll('[role="tab"]').forEach(function (t) { add('Tab', label(t), t) })
    }
    document.querySelectorAll('.lc-list-nav a, .lc-topbar a[href]').forEach(function (a) { add('Go to', label(a), a) })
    add('Help', 'Keyboard shortcuts', document.querySelector('[data-lc-shortcuts-open]'))
    return found
  }
  function render () {
    const input = document.getElementById('lc-palette-input')
    const list = document.getElementById('lc-palette-list')
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean)
    const shown = entries.filter(function (en) {
      const hay = (en.kind + ' ' + en.text).toLowerCase()
      return words.every(function (w) { return hay.indexOf(w) >= 0 })
    }).slice(0, 30)
    active = Math.min(active, Math.max(0, shown.length - 1))
    list.innerHTML = ''
    shown.forEach(function (en, i) {
      const li = document.createElement('li')
      li.id = 'lc-palette-' + i
      li.setAttribute('role', 'option')
      li.setAttribute('aria-selected', String(i === active))
      li._lcEntry = en
      const kind = document.createElement('span')
      kind.className = 'lc-palette__kind'
      kind.textContent = en.kind
      li.appendChild(kind)
      li.appendChild(document.createTextNode(' ' + en.text))
      list.appendChild(li)
    })
    if (shown.length) input.setAttribute('aria-activedescendant', 'lc-palette-' + active)
    else input.removeAttribute('aria-activedescendant')
    const current = document.getElementById('lc-palette-' + active)
    if (current) current.scrollIntoView({ block: 'nearest' })
  }
  function run (li) {
    const dialog = dialogNamed('lc-palette')
    if (!li || !li._lcEntry) return
    dialog.close()
    const el = li._lcEntry.el
    if (!el) return
    if (li._lcEntry.kind === 'Tab') { choose(el); return }
    // An entry inside a closed menu is clicked all the same; its menu stays closed.
    el.click()
    if (li._lcEntry.kind === 'Chat') el.focus()
  }
  function openPalette () {
    const dialog = dialogNamed('lc-palette')
    if (!dialog || !dialog.showModal) return
    entries = gather()
    active = 0
    const input = document.getElementById('lc-palette-input')
    input.value = ''
    if (!dialog.open) dialog.showModal()
    render()
    input.focus()
  }
  document.addEventListener('input', function (e) {
    if (e.target.id === 'lc-palette-input') { active = 0; render() }
  })
  document.addEventListener('keydown', function (e) {
    if (e.target.id !== 'lc-palette-input') return
    const count = document.querySelectorAll('#lc-palette-list [role="option"]').length
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault()
      if (count) active = (active + (e.key === 'ArrowDown' ? 1 : -1) + count) % count
      render()
    } else if (e.key === 'Enter') {
      e.preventDefault()
      run(document.getElementById('lc-palette-' + active))
    }
  })
  document.addEventListener('click', function (e) {
    const li = e.target.closest && e.target.closest('#lc-palette-list [role="option"]')
    if (li) run(li)
  })
})()

// ---------------------------------------------------------------- transcript printout
// The print page (views/transcripts/print.page.hbs) opens the print dialog itself only when
// asked (?print=1 from the chat header's Print); its own Print button asks again. From here,
// not inline: the CSP allows no inline script.
;(function () {
  document.addEventListener('click', function (e) {
    const button = e.target.closest && e.target.closest('[data-lc-print]')
    if (button) window.print()
  })
  window.addEventListener('load', function () {
    if (document.querySelector('[data-lc-autoprint]')) window.print()
  })
})()

// ---------------------------------------------------------------- Resources beside a chat
// The chat header's Resources toggle (and the panel's ×) shows and hides the panel
// (views/resources/); its first opening loads it, so the console page never pays for
// panels nobody opens. A header re-rendered by a push takes its state from the panel.
;(function () {
  'use strict'

  function panelOf (id) { return document.getElementById('lc-resources-' + id) }

  function sync () {
    document.querySelectorAll('.lc-chat-resources-toggle[data-lc-resources-toggle]').forEach(function (button) {
      const panel = panelOf(button.getAttribute('data-lc-resources-toggle'))
      button.setAttribute('aria-expanded', String(Boolean(panel) && !panel.hidden))
    })
  }

  document.addEventListener('click', function (e) {
    const toggle = e.target.closest && e.target.closest('[data-lc-resources-toggle]')
    if (!toggle) return
    const id = toggle.getAttribute('data-lc-resources-toggle')
    const panel = panelOf(id)
    if (!panel) return
    panel.hidden = !panel.hidden
    sync()
    if (panel.hidden) {
      // Closed from inside the panel: focus goes back to the toggle rather than to nowhere.
      const opener = document.querySelector('.lc-chat-resources-toggle[data-lc-resources-toggle="' + id + '"]')
      if (opener && opener !== toggle) opener.focus()
      return
    }
    if (!panel.firstElementChild) htmx.ajax('GET', panel.getAttribute('data-lc-resources-url'), { source: panel, target: '#lc-notice', swap: 'none' })
  })
  document.addEventListener('htmx:after:swap', sync)
  document.addEventListener('htmx:ws:after:message:incoming', sync)
})()

// ---------------------------------------------------------------- Instant messages
// (views/im/): the New dialog, pop-ups, a conversation's scrolling, "mine" marks and
// read marks, and the Instant Messages list's refresh signal. Rooms share the
// conversation parts.
;(function () {
  'use strict'

  function modal () { return document.getElementById('lc-im-modal') }

  // New (the topbar's New menu, the list's New, a chat's Actions → Assistance): in the
  // console's dialog where the page has one; elsewhere the link opens the New page.
  document.addEventListener('click', function (e) {
    const link = e.target.closest && e.target.closest('a[data-lc-im-new]')
    const dialog = modal()
    if (!link || !dialog || !dialog.showModal || e.ctrlKey || e.metaKey || e.shiftKey) return
    e.preventDefault()
    const menu = link.closest('details')
    if (menu) menu.open = false
    htmx.ajax('GET', link.getAttribute('href'), { source: link, target: '#lc-notice', swap: 'none' })
  })
  document.addEventListener('click', function (e) {
    if (!e.target.closest || !e.target.closest('[data-lc-im-close]')) return
    const dialog = modal()
    if (dialog && dialog.open) dialog.close()
  })
  function openModal () {
    const dialog = modal()
    if (!dialog || dialog.open || !dialog.firstElementChild || !dialog.showModal) return
    dialog.showModal()
    const first = dialog.querySelector('[data-lc-im-search]')
    if (first) first.focus()
  }
  document.addEventListener('close', function (e) {
    if (e.target === modal()) e.target.innerHTML = ''
  }, true)

  // The agent search filters as it is typed; Enter there must not send the message.
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && e.target.matches && e.target.matches('[data-lc-im-search]')) e.preventDefault()
  })

  // A newer pop-up of the same thread takes the older one's place, and the reply being
  // typed in it (and the focus) moves along.
  function dedupePopups () {
    const seen = {}
    const all = Array.prototype.slice.call(document.querySelectorAll('[data-lc-im-popup]'))
    for (let i = all.length - 1; i >= 0; i--) {
      const popup = all[i]
      const id = popup.getAttribute('data-lc-im-popup')
      const newer = seen[id]
      if (!newer) { seen[id] = popup; continue }
      const old = popup.querySelector('textarea[name="body"]')
      const box = newer.querySelector('textarea[name="body"]')
      if (old && box && old.value && !box.value) box.value = old.value
      const focused = old && document.activeElement === old
      popup.remove()
      if (focused && box) { box.focus(); box.setSelectionRange(box.value.length, box.value.length) }
    }
  }

  // Own messages look like one's own; the stream renders them the same for everyone.
  function markMine () {
    document.querySelectorAll('[data-lc-im-me]').forEach(function (scroll) {
      const me = scroll.getAttribute('data-lc-im-me')
      scroll.querySelectorAll('.lc-im-msg[data-author]:not([data-lc-mine-checked])').forEach(function (m) {
        m.setAttribute('data-lc-mine-checked', '')
        if (m.getAttribute('data-author') === me) m.classList.add('lc-msg--mine')
      })
    })
  }

  // A conversation stays at its newest message while the reader is there; older messages
  // put above it (the loader at the top) do not move what the reader is looking at.
  function remember (scroll) {
    const list = scroll.querySelector('[data-lc-im-seq]')
    scroll._lcHeight = scroll.scrollHeight
    scroll._lcFirst = list && list.firstElementChild
    scroll._lcAtBottom = scroll.scrollHeight - scroll.scrollTop - scroll.clientHeight < 48
  }
  function watch (scroll) {
    if (scroll._lcWatched) return
    scroll._lcWatched = true
    const list = scroll.querySelector('[data-lc-im-seq]')
    scroll.scrollTop = scroll.scrollHeight
    remember(scroll)
    scroll.addEventListener('scroll', function () { remember(scroll) })
    if (!list || !window.MutationObserver) return
    new window.MutationObserver(function () {
      if (list.firstElementChild !== scroll._lcFirst && scroll._lcFirst) scroll.scrollTop += scroll.scrollHeight - scroll._lcHeight
      else if (scroll._lcAtBottom) scroll.scrollTop = scroll.scrollHeight
      remember(scroll)
    }).observe(list, { childList: true })
  }

  // What the thread's page shows is read: the server keeps the mark (and answers with the
  // topbar badge) whenever a newer message is on screen.
  let readSent = 0
  function markRead () {
    const thread = document.querySelector('[data-lc-im-read-url]')
    if (!thread || document.visibilityState !== 'visible') return
    let seq = 0
    thread.querySelectorAll('[data-lc-im-seq] [data-seq]').forEach(function (m) { seq = Math.max(seq, Number(m.getAttribute('data-seq'))) })
    if (seq <= readSent) return
    readSent = seq
    htmx.ajax('POST', thread.getAttribute('data-lc-im-read-url'), { target: '#lc-notice', swap: 'none', values: { seq: String(seq) } })
  }
  document.addEventListener('visibilitychange', markRead)

  // The list's refresh signal: the table re-reads itself from its own address.
  const readIfStale = window.lc.staleReader('lc-im-list-stale', function () { return document.getElementById('lc-im-list') })

  // A reply box re-rendered by its own answer takes the focus back.
  let focusedBox = null
  document.addEventListener('htmx:before:request', function () {
    const el = document.activeElement
    focusedBox = el && el.id && el.id.indexOf('lc-im-body-') === 0 ? el.id : null
  })

  // A conversation put on the page after the socket opened (a room a new permission now
  // admits, a thread opened in place) is followed with an im_follow frame from the seq the
  // page holds; those on the page when the socket opened were in its `im` query already.
  const followed = new WeakMap()
  function consoleSocket () {
    const el = document.querySelector('[data-lc-ws-base]')
    return el && el._htmx && el._htmx.ws && el._htmx.ws.connection && el._htmx.ws.connection.socket
  }
  const shownConversations = window.lc.shownConversations
  document.addEventListener('htmx:ws:after:connection', function () {
    const ws = consoleSocket()
    if (ws) followed.set(ws, new Set(Object.keys(shownConversations())))
  })
  function followShown () {
    const ws = consoleSocket()
    if (!ws || ws.readyState !== 1 || !followed.has(ws)) return
    const done = followed.get(ws)
    const shown = shownConversations()
    // One gone from the page (shut out by a permission removed, say) is followed again
    // when it comes back.
    done.forEach(function (id) { if (!(id in shown)) done.delete(id) })
    Object.keys(shown).forEach(function (id) {
      if (done.has(id)) return
      done.add(id)
      ws.send(JSON.stringify({ type: 'im_follow', conversation_id: id, seq: String(shown[id]) }))
    })
  }

  // A pop-up with someone else's new message sounds (and notifies, where allowed) once.
  const alerted = {}
  function alertPopups () {
    document.querySelectorAll('[data-lc-im-alert]').forEach(function (popup) {
      const key = popup.getAttribute('data-lc-im-alert-key')
      if (alerted[key]) return
      alerted[key] = true
      document.dispatchEvent(new CustomEvent('lc:announce', { detail: { kind: 'im', text: popup.getAttribute('data-lc-im-alert'), tag: 'lc-im-' + popup.getAttribute('data-lc-im-popup') } }))
    })
  }

  function afterSwap () {
    followShown()
    dedupePopups()
    alertPopups()
    markMine()
    document.querySelectorAll('.lc-im-scroll').forEach(watch)
    markRead()
    readIfStale()
    openModal()
    if (focusedBox) {
      const box = document.getElementById(focusedBox)
      if (box && document.activeElement !== box) box.focus()
      focusedBox = null
    }
  }
  document.addEventListener('htmx:after:swap', afterSwap)
  document.addEventListener('htmx:ws:after:message:incoming', afterSwap)
  // At once, before htmx starts: a conversation opens at its newest message, so the
  // loader above the oldest shown does not fire for a page nobody scrolled.
  document.querySelectorAll('.lc-im-scroll').forEach(watch)
  document.addEventListener('DOMContentLoaded', afterSwap)
})()
