// The browser code every page of live chat runs, customer's or agent's: the socket's resume
// point, the CSRF header, local times, typing, sending files, the image viewer and read marks.
// Each side's own script follows it in the same file (plugin/web/assets.ts); everything else
// is htmx and server-rendered HTML. No inline scripts, so the CSP can forbid them.
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
      parts.push(list.getAttribute('data-lc-chat') + '.' + highestSeq(list))
    })
    // The same per instant message thread or chat room on the page (`im`), so a reconnect
    // follows them again from where the page is; one conversation shown twice counts once.
    const im = shownConversations()
    const imParts = Object.keys(im).map(function (id) { return id + '.' + im[id] })
    const url = new URL(el.getAttribute('data-lc-ws-base'), location.href)
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:'
    const query = new URLSearchParams(url.search)
    if (parts.length) query.set('since', parts.join(','))
    if (imParts.length) query.set('im', imParts.join(','))
    url.search = query.toString()
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

  // What a side's own script does after every swap runs here, inside the same step and
  // before the focus is put back where the person was typing (lc.onSwap).
  const swapSteps = []
  function afterSwap () {
    swapSteps.forEach(function (step) { step() })
    localTimes()
    scrollTranscripts()
  }

  // The page's socket, once open; null before or while it reconnects.
  function socket () {
    const el = document.querySelector('[data-lc-ws-base]')
    const ws = el && el._htmx && el._htmx.ws && el._htmx.ws.connection && el._htmx.ws.connection.socket
    return ws && ws.readyState === 1 ? ws : null
  }
  /** The newest message a transcript holds, by its seq. */
  function highestSeq (list) {
    let seq = 0
    list.querySelectorAll('[data-seq]').forEach(function (m) { seq = Math.max(seq, Number(m.getAttribute('data-seq'))) })
    return seq
  }
  /** Each instant message conversation on the page (id → the newest seq it holds); one shown twice counts once. */
  function shownConversations () {
    const shown = {}
    document.querySelectorAll('[data-lc-im-seq]').forEach(function (list) {
      const id = list.getAttribute('data-lc-im-seq')
      shown[id] = Math.max(shown[id] || 0, highestSeq(list))
    })
    return shown
  }
  /**
   * A list's refresh signal (the element `signalId`, its `data-<signalId>` the time of the
   * last change): the returned function fires lc-stale on the list when the time moved since
   * it last looked, so the list re-reads itself from its own address; the first look only notes it.
   */
  function staleReader (signalId, listOf) {
    let last = null
    return function () {
      const signal = document.getElementById(signalId)
      const list = listOf()
      if (!signal || !list) return
      const at = signal.getAttribute('data-' + signalId)
      if (last === null) { last = at; return }
      if (at === last) return
      last = at
      list.dispatchEvent(new CustomEvent('lc-stale'))
    }
  }
  window.lc = { onSwap: function (step) { swapSteps.push(step) }, socket, highestSeq, shownConversations, staleReader }

  document.addEventListener('click', function (e) {
    const dismiss = e.target.closest && e.target.closest('[data-lc-dismiss]')
    if (dismiss) dismiss.parentElement.remove()
  })

  // ---- typing: the reply box tells the other side, at most every two seconds; a shown
  // "… is typing" fades when nothing more comes for five seconds.
  let typingSent = 0
  document.addEventListener('input', function (e) {
    const box = e.target.closest && e.target.closest('.lc-composer__form textarea')
    if (!box || Date.now() - typingSent < 2000) return
    typingSent = Date.now()
    const el = document.querySelector('[data-lc-ws-base]')
    const ws = el && el._htmx && el._htmx.ws && el._htmx.ws.connection && el._htmx.ws.connection.socket
    const chatId = box.form.querySelector('input[name="chat_id"]')
    if (ws && ws.readyState === 1 && chatId) ws.send(JSON.stringify({ type: 'typing', chat_id: chatId.value }))
  })
  const typingTimers = {}
  // The line shows the other side typing: the customer's in the console, the agent's in the
  // customer's window. A message of theirs arriving ends it at once, not five seconds later.
  const typist = document.querySelector('.lc-customer--window') ? 'agent' : 'customer'
  function latestSeq (line) {
    const msgs = line.parentElement ? line.parentElement.querySelectorAll('.lc-msg--' + typist + '[data-seq]') : []
    return msgs.length ? Number(msgs[msgs.length - 1].getAttribute('data-seq')) : 0
  }
  function endTyping (line) {
    clearTimeout(typingTimers[line.id])
    line.innerHTML = ''
    line.removeAttribute('data-lc-seen')
    line.removeAttribute('data-lc-typed-after')
  }
  function fadeTyping () {
    document.querySelectorAll('.lc-typing').forEach(function (line) {
      if (!line.querySelector('[data-lc-typing]')) return
      if (line.getAttribute('data-lc-seen') === line.innerHTML) {
        if (latestSeq(line) > Number(line.getAttribute('data-lc-typed-after'))) endTyping(line)
        return
      }
      line.setAttribute('data-lc-seen', line.innerHTML)
      line.setAttribute('data-lc-typed-after', String(latestSeq(line)))
      clearTimeout(typingTimers[line.id])
      typingTimers[line.id] = setTimeout(function () { endTyping(line) }, 5000)
    })
  }
  document.addEventListener('htmx:ws:after:message:incoming', fadeTyping)

  // Enter sends, Shift+Enter starts a new line: what every chat box does.
  document.addEventListener('keydown', function (e) {
    const box = e.target.closest && e.target.closest('textarea[data-lc-enter-sends]')
    if (box && e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault()
      box.form.requestSubmit()
    }
  })

  document.addEventListener('DOMContentLoaded', afterSwap)
})()

;(function () {
  'use strict'

  // ---- Send file (plugin/files): picking, pasting or dropping a file sends it at once. The
  // status beside the button says what is happening, with the share sent so far, until the
  // server answers with nothing (sent: the file arrives over the socket like any message) or
  // with why it was refused. The message draft is another form and is never touched.
  function uploadForm (el) {
    return el && el.closest ? el.closest('form[data-lc-upload]') : null
  }
  function say (form, text) {
    const status = form.querySelector('.lc-composer__file-status')
    if (status) status.textContent = text
  }
  function progress (form, share) {
    let bar = form.querySelector('.lc-composer__file-progress')
    if (!bar && share === null) return
    if (!bar) {
      bar = document.createElement('progress')
      bar.className = 'lc-composer__file-progress'
      bar.max = 100
      bar.setAttribute('aria-label', 'Upload progress')
      form.appendChild(bar)
    }
    bar.hidden = share === null
    if (share !== null) bar.value = share
  }

  // Files wait their turn: the route takes one file an upload, so several dropped go one by one.
  function send (form, files) {
    form._lcQueue = (form._lcQueue || []).concat(Array.prototype.slice.call(files))
    if (form.getAttribute('aria-busy') !== 'true') next(form)
  }
  function next (form) {
    const file = (form._lcQueue || []).shift()
    const input = form.querySelector('[data-lc-file]')
    if (!file || !input) return
    const one = new window.DataTransfer()
    one.items.add(file)
    input.files = one.files
    form._lcName = file.name
    say(form, 'Uploading ' + file.name + '…')
    progress(form, 0)
    form.setAttribute('aria-busy', 'true')
    form.requestSubmit()
  }

  document.addEventListener('change', function (e) {
    const input = e.target
    if (!input.matches || !input.matches('[data-lc-file]') || !input.files || !input.files.length) return
    const form = uploadForm(input)
    // While another file uploads, the input is the queue's to fill: take its file now, it goes next.
    if (form) send(form, input.files)
  })

  // fetch cannot tell how much of a body has gone (htmx 4 sends with fetch), so an upload goes
  // by XMLHttpRequest, wrapped as the Response htmx expects: htmx still swaps the answer.
  function fetchWithProgress (form) {
    return function (url, request) {
      return new Promise(function (resolve, reject) {
        const xhr = new window.XMLHttpRequest()
        xhr.open(request.method || 'POST', url)
        Object.keys(request.headers || {}).forEach(function (k) { xhr.setRequestHeader(k, request.headers[k]) })
        let said = -1
        xhr.upload.addEventListener('progress', function (p) {
          if (!p.lengthComputable) return
          const share = Math.floor(p.loaded / p.total * 100)
          progress(form, share)
          // Said in tens, so a screen reader is not read every percent.
          if (Math.floor(share / 10) !== said) { said = Math.floor(share / 10); say(form, 'Uploading ' + form._lcName + '… ' + share + '%') }
        })
        xhr.addEventListener('load', function () {
          const headers = new Headers()
          xhr.getAllResponseHeaders().trim().split(/[\r\n]+/).forEach(function (line) {
            const at = line.indexOf(':')
            if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim())
          })
          resolve(new Response(xhr.responseText, { status: xhr.status, headers }))
        })
        xhr.addEventListener('error', function () { reject(new TypeError('Network error')) })
        xhr.addEventListener('abort', function () { reject(new DOMException('Aborted', 'AbortError')) })
        if (request.signal) request.signal.addEventListener('abort', function () { xhr.abort() })
        xhr.send(request.body)
      })
    }
  }
  document.addEventListener('htmx:config:request', function (e) {
    const form = uploadForm(e.target)
    if (form) e.detail.ctx.fetch = fetchWithProgress(form)
  })

  document.addEventListener('htmx:finally:request', function (e) {
    const form = uploadForm(e.target)
    if (!form) return
    form.removeAttribute('aria-busy')
    progress(form, null)
    // The same file can be picked again after a refusal or a lost connection.
    const input = form.querySelector('[data-lc-file]')
    if (input) input.value = ''
    next(form)
  })

  document.addEventListener('htmx:error', function (e) {
    const form = uploadForm(e.target)
    if (form) say(form, 'The file could not be sent; check your connection and try again')
  })

  // ---- Paste and drop: a file pasted into the message box, or dropped on the chat (the
  // nearest part of the page that holds one Send file), is sent as if picked.
  function zoneOf (el) {
    for (; el && el !== document.documentElement; el = el.parentElement) {
      const forms = el.querySelectorAll ? el.querySelectorAll('form[data-lc-upload]') : []
      if (forms.length === 1) return { zone: el, form: forms[0] }
      if (forms.length > 1) return null
    }
    return null
  }
  function carriesFiles (e) {
    return e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, 'Files') !== -1
  }

  document.addEventListener('paste', function (e) {
    const data = e.clipboardData
    if (!data || !data.files || !data.files.length || data.types.indexOf('text/plain') !== -1) return
    const found = zoneOf(e.target)
    if (!found) return
    e.preventDefault()
    send(found.form, data.files)
  })

  let lit = null
  function light (zone) {
    if (lit === zone) return
    if (lit) lit.classList.remove('lc-drop-target')
    lit = zone
    if (zone) zone.classList.add('lc-drop-target')
  }
  document.addEventListener('dragover', function (e) {
    if (!carriesFiles(e)) return
    // Dropped anywhere else, a file would replace the page with itself: never.
    e.preventDefault()
    const found = zoneOf(e.target)
    e.dataTransfer.dropEffect = found ? 'copy' : 'none'
    light(found ? found.zone : null)
  })
  document.addEventListener('dragleave', function (e) {
    if (!e.relatedTarget) light(null)
  })
  document.addEventListener('drop', function (e) {
    if (!carriesFiles(e)) return
    e.preventDefault()
    light(null)
    const found = zoneOf(e.target)
    if (found && e.dataTransfer.files.length) send(found.form, e.dataTransfer.files)
  })
})()

// ---------------------------------------------------------------- image viewer
// A thumbnail (views/chats/message.hbs) opens the picture in a modal <dialog>: Escape or
// Close shuts it and focus goes back to the thumbnail. Ctrl- or middle-click still opens
// the image in a tab, as the link it is.
;(function () {
  'use strict'

  let opener = null
  function viewer () {
    let dialog = document.getElementById('lc-viewer')
    if (dialog) return dialog
    dialog = document.createElement('dialog')
    dialog.id = 'lc-viewer'
    dialog.className = 'lc-viewer'
    dialog.setAttribute('aria-labelledby', 'lc-viewer-title')
    dialog.innerHTML = '<div class="lc-viewer__bar"><h2 id="lc-viewer-title" class="lc-viewer__title"></h2>' +
      '<a class="lc-button lc-viewer__download" download>Download</a>' +
      '<button type="button" class="lc-viewer__close" data-lc-viewer-close>Close</button></div>' +
      '<img class="lc-viewer__image" alt="">'
    document.body.appendChild(dialog)
    dialog.addEventListener('close', function () {
      dialog.querySelector('img').removeAttribute('src')
      if (opener && opener.isConnected) opener.focus()
      opener = null
    })
    dialog.addEventListener('click', function (e) {
      // The backdrop is the dialog itself outside its content.
      if (e.target === dialog || (e.target.closest && e.target.closest('[data-lc-viewer-close]'))) dialog.close()
    })
    return dialog
  }

  document.addEventListener('click', function (e) {
    const link = e.target.closest && e.target.closest('a[data-lc-viewer]')
    if (!link || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return
    e.preventDefault()
    const dialog = viewer()
    const name = link.getAttribute('data-lc-viewer')
    dialog.querySelector('.lc-viewer__title').textContent = name
    const image = dialog.querySelector('img')
    image.alt = name
    image.src = link.href
    const download = dialog.querySelector('.lc-viewer__download')
    download.href = link.href
    download.setAttribute('download', name)
    opener = link
    dialog.showModal()
    dialog.querySelector('[data-lc-viewer-close]').focus()
  })
})()

;(function () {
  'use strict'

  // ---- read marks (docs/features.md#read-marks): the other side's positions, one element each
  // per transcript that a single push replaces; this side's own messages up to them show
  // Delivered, then Read. Only the newest own message says so in words, so a screen reader
  // does not repeat it.
  const socketOfPage = window.lc.socket
  const highestSeq = window.lc.highestSeq
  function applyReadMarks () {
    const own = document.querySelector('.lc-console') ? 'agent' : 'customer'
    document.querySelectorAll('[data-lc-read-mark]').forEach(function (mark) {
      const id = mark.getAttribute('data-lc-read-mark')
      const list = document.querySelector('[data-lc-chat="' + id + '"]')
      if (!list) return
      const readSeq = Number(mark.getAttribute('data-read-seq')) || 0
      const delivered = document.querySelector('[data-lc-delivered-mark="' + id + '"]')
      const deliveredSeq = Math.max(readSeq, delivered ? Number(delivered.getAttribute('data-delivered-seq')) || 0 : 0)
      let newest = null
      list.querySelectorAll('.lc-msg--' + own + ':not(.lc-msg--event):not(.lc-msg--coaching):not(.lc-msg--note)[data-seq]').forEach(function (m) {
        const seq = Number(m.getAttribute('data-seq'))
        m.classList.add('lc-msg--mine')
        m.classList.toggle('lc-msg--delivered', seq <= deliveredSeq)
        m.classList.toggle('lc-msg--read', seq <= readSeq)
        newest = m
      })
      list.querySelectorAll('.lc-msg__mark').forEach(function (s) { if (s.parentNode !== newest) s.remove() })
      if (!newest) return
      let words = newest.querySelector('.lc-msg__mark')
      if (!words) {
        words = document.createElement('span')
        words.className = 'lc-msg__mark lc-visually-hidden'
        newest.appendChild(words)
      }
      const said = newest.classList.contains('lc-msg--read') ? 'Read' : newest.classList.contains('lc-msg--delivered') ? 'Delivered' : 'Sent'
      if (words.textContent !== said) words.textContent = said
    })
  }
  // This window holds the chat up to its newest message: told once a burst has settled, so the
  // other side can mark its messages Delivered.
  const receivedSent = {}
  let receivedTimer = null
  function sendReceived () {
    receivedTimer = null
    const ws = socketOfPage()
    if (!ws) return
    document.querySelectorAll('[data-lc-read-mark]').forEach(function (mark) {
      const id = mark.getAttribute('data-lc-read-mark')
      const list = document.querySelector('[data-lc-chat="' + id + '"]')
      const seq = list ? highestSeq(list) : 0
      if (!seq || receivedSent[id] >= seq) return
      receivedSent[id] = seq
      ws.send(JSON.stringify({ type: 'received', chat_id: id, seq: String(seq) }))
    })
  }
  function receivedSoon () {
    if (receivedTimer) clearTimeout(receivedTimer)
    receivedTimer = setTimeout(sendReceived, 300)
  }
  document.addEventListener('htmx:ws:after:message:incoming', receivedSoon)
  document.addEventListener('htmx:ws:after:connection', receivedSoon)
  document.addEventListener('htmx:ws:after:message:incoming', applyReadMarks)
  document.addEventListener('htmx:after:swap', applyReadMarks)
  document.addEventListener('DOMContentLoaded', applyReadMarks)
})()
