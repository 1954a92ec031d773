import t from 'tap'
import { LC_ERR_FORBIDDEN, LC_ERR_SEARCH_TEXT_LONG } from '../../plugin/errors.ts'
import type { Client } from '../../plugin/realtime/hub.ts'
import { type Column, columnChoice, fieldsFormFragment, postedFields, shownColumns, visibleFields } from '../../plugin/web/lists/columns.ts'
import { staleFragment, throttledSignal } from '../../plugin/web/lists/refresh.ts'
import { sortHeaders, sortOf } from '../../plugin/web/lists/sort.ts'
import { listAddress, listTableFragment, type ListTableModel, pageOf } from '../../plugin/web/lists/table.ts'
import { bulkFormFragment, outcomeStatus, readSearched, resultsFragment, tickedIds } from '../../plugin/web/lists/toolbar.ts'

// The list kit on its own (plugin/web/lists/): what the chat lists, the Instant Messages
// list and the Chat Rooms list share. Their own tests show it on their screens.

type Key = 'name' | 'size' | 'when'
const columns: ReadonlyArray<Column<Key>> = [
  { key: 'name', label: 'Name', width: 200 },
  { key: 'size', label: 'Size', width: 80 },
  { key: 'when', label: 'When', width: 150 }
]
const place = { id: 'lc-test-fields', action: '/x/fields', hint: 'Choose the columns', fieldId: 'lc-test-field', errorId: 'lc-test-fields-error' }

/** Preferences kept in memory, as the preferences service keeps them per agent and key. */
function memoryStore () {
  const kept = new Map<string, unknown>()
  return {
    kept,
    get: async (agentId: string, key: string) => kept.get(`${agentId}/${key}`),
    set: async (agentId: string, key: string, value: unknown) => { kept.set(`${agentId}/${key}`, JSON.parse(JSON.stringify(value))) }
  }
}

t.test('columns: a stored choice read defensively, the visible ones in order at their widths', async (t) => {
  t.same(columnChoice(columns, undefined), { name: { visible: true, width: 200 }, size: { visible: true, width: 80 }, when: { visible: true, width: 150 } }, 'never chosen: every column at its own width')
  const choice = columnChoice(columns, { name: { visible: false, width: 300 }, size: { visible: 'no', width: 9999 }, when: { width: 39 }, other: { visible: false } })
  t.same(choice, { name: { visible: false, width: 300 }, size: { visible: true, width: 80 }, when: { visible: true, width: 150 } }, 'what is not a yes/no or a width from 40 to 600 is the default')
  t.same(columnChoice(columns, 'garbage').name, { visible: true, width: 200 })
  t.same(shownColumns(columns, choice), [{ key: 'size', label: 'Size', width: 80 }, { key: 'when', label: 'When', width: 150 }])
})

t.test('Visible Fields posted: widths checked per column, at least one column, an empty width is the column\'s own', async (t) => {
  const ok = postedFields(columns, { show_name: 'on', width_name: ' 320 ', width_size: '', show_when: 'on', width_when: '40' })
  t.same(ok.errors, {})
  t.same(ok.choice, { name: { visible: true, width: 320 }, size: { visible: false, width: 80 }, when: { visible: true, width: 40 } })
  const bad = postedFields(columns, { width_name: 'wide', width_size: '601', width_when: '1e3' })
  t.same(Object.keys(bad.errors).sort(), ['form', 'name', 'size', 'when'])
  t.same(bad.errors.name, { code: 'LC_ERR_FORM_INVALID', message: 'Width of Name: type a whole number of pixels from 40 to 600' }, 'a form kit problem, beside its field')
  t.equal(bad.errors.form?.message, 'Show at least one column')
})

t.test('visibleFields: read, submit refused (nothing kept, what was typed comes back) and saved', async (t) => {
  const store = memoryStore()
  const fields = visibleFields({ columns, key: 'test.fields', place, store })
  t.same(await fields.read('a1'), columnChoice(columns, undefined))

  const refused = await fields.submit('a1', { show_name: 'on', width_name: 'wide' })
  t.equal(refused.saved, false)
  t.equal(store.kept.size, 0, 'nothing kept')
  t.match(refused.form, { id: 'lc-test-fields', action: '/x/fields', open: true, error: null, minWidth: 40, maxWidth: 600 })
  t.match(refused.form.columns[0], { key: 'name', visible: true, width: 'wide', error: /Width of Name/ })
  t.match(refused.form.columns[1], { key: 'size', visible: false, width: '', error: null })

  const saved = await fields.submit('a1', { show_size: 'on', width_size: '90' })
  t.equal(saved.saved, true)
  t.same(store.kept.get('a1/test.fields'), { name: { visible: false, width: 200 }, size: { visible: true, width: 90 }, when: { visible: false, width: 150 } })
  t.same(await fields.read('a1'), saved.choice, 'read back as saved')
  t.same(await fields.read('a2'), columnChoice(columns, undefined), 'per agent')
  t.match(saved.form, { open: false, error: null })
  t.same(saved.form.columns.map((c) => [c.key, c.visible, c.width]), [['name', false, '200'], ['size', true, '90'], ['when', false, '150']])

  const html = fieldsFormFragment(saved.form)
  t.match(html, { target: 'lc-test-fields', swap: 'outerHTML' })
  t.match(html.html, /^(?:\s*)<details id="lc-test-fields" class="lc-menu">/)
  t.match(html.html, 'hx-post="/x/fields" hx-target="#lc-notice" hx-swap="none"')
  t.match(html.html, '<p class="lc-hint">Choose the columns (40 to 600).</p>')
  t.match(html.html, '<input type="checkbox" id="lc-test-field-show-size" name="show_size" value="on" checked> <label for="lc-test-field-show-size">Size</label>')
  t.match(fieldsFormFragment(refused.form).html, /<details id="lc-test-fields" class="lc-menu" open>[\s\S]*id="lc-test-field-width-name" name="width_name" value="wide" aria-label="Width of Name in pixels" aria-invalid="true" aria-describedby="lc-test-field-width-error-name">/)
})

t.test('sort: the list\'s own unless asked; each header sorts by its column, the other way when it is the sort', async (t) => {
  const own = { key: 'when' as Key, dir: 'desc' as const }
  t.same(sortOf<Key>({}, own), own)
  t.same(sortOf<Key>({ sort: 'name' }, own), { key: 'name', dir: 'desc' })
  t.same(sortOf<Key>({ sort: 'size', dir: 'asc' }, own, (k) => k !== 'size'), { key: 'when', dir: 'asc' }, 'a key this list does not sort by is its own')
  const headers = sortHeaders(columns, { key: 'name', dir: 'asc' }, (s) => `/x?sort=${s.key}&dir=${s.dir}`)
  t.match(headers[0], { key: 'name', sortUrl: '/x?sort=name&dir=desc', ariaSort: 'ascending', sorted: 'asc', nextLabel: 'descending' })
  t.match(headers[1], { key: 'size', sortUrl: '/x?sort=size&dir=asc', ariaSort: 'none', sorted: null, nextLabel: 'ascending' })
  t.match(sortHeaders(columns, { key: 'size', dir: 'desc' }, () => '')[1], { ariaSort: 'descending', nextLabel: 'ascending' })
})

t.test('the table: sorting headers or plain ones, ticks, the kit\'s cells, empty and more', async (t) => {
  const model: ListTableModel = {
    id: 'lc-test-list',
    label: 'Things',
    refreshUrl: '/x?sort=name',
    dataset: [{ key: 'now', value: 5 }],
    tableClass: 'lc-test-table',
    sized: true,
    select: { name: 'thing_ids', form: 'lc-test-form', all: 'Select all things' },
    headers: sortHeaders(columns, { key: 'name', dir: 'asc' }, (s) => `/x?sort=${s.key}`),
    rows: [{
      id: 'lc-test-row-7',
      className: 'lc-list-row',
      select: { value: 7, label: 'Select thing <7>' },
      cells: [
        { kind: 'text', text: 'Seven & co' },
        { kind: 'number', text: '42' },
        { kind: 'time', at: null, by: 'Ann' }
      ]
    }],
    empty: 'Nothing here',
    more: 'Showing the first 1'
  }
  const { target, swap, html } = listTableFragment(model)
  t.same([target, swap], ['lc-test-list', 'outerHTML'])
  t.match(html, /^\s*<section id="lc-test-list" class="lc-list-table" aria-label="Things" hx-get="\/x\?sort&#x3D;name" hx-trigger="lc-stale" hx-target="#lc-notice" hx-swap="none" data-lc-now="5">/)
  t.match(html, '<colgroup><col width="40"><col width="200"><col width="80"><col width="150"></colgroup>')
  t.match(html, '<th scope="col"><input type="checkbox" data-lc-select-all aria-label="Select all things"></th>')
  t.match(html, '<th scope="col" aria-sort="ascending"><a href="/x?sort&#x3D;name" hx-get="/x?sort&#x3D;name" hx-target="#lc-notice" hx-swap="none" hx-push-url="true" title="Sort by Name, descending">Name <span aria-hidden="true">▲</span></a></th>')
  t.match(html, '<tr id="lc-test-row-7" class="lc-list-row">')
  t.match(html, '<td><input type="checkbox" name="thing_ids" value="7" form="lc-test-form" data-lc-select aria-label="Select thing &lt;7&gt;"></td>')
  t.match(html, '<td>Seven &amp; co</td>')
  t.match(html, '<td class="lc-num">42</td>')
  t.match(html, '<td>— <small>by Ann</small></td>', 'no time: a dash')
  t.match(html, '<p class="lc-hint">Showing the first 1</p>')
  t.notMatch(html, 'Nothing here')

  const plain = listTableFragment({
    ...model,
    refreshUrl: null,
    dataset: [],
    className: 'lc-test-extra',
    sized: false,
    select: null,
    headers: [{ key: 'a', label: 'A' }, { key: 'b', label: 'Open it', hidden: true }],
    rows: [{ id: 'r1', className: 'lc-list-row', cells: [{ kind: 'pill', tone: 'active', text: 'Active' }, { kind: 'count', count: 2, names: 'Ann, Bo' }] }],
    more: null
  }).html
  t.match(plain, /<section id="lc-test-list" class="lc-list-table lc-test-extra" aria-label="Things">/, 'no refresh, no data')
  t.notMatch(plain, /colgroup|data-lc-select/)
  t.match(plain, '<th scope="col">A</th><th scope="col"><span class="lc-visually-hidden">Open it</span></th>')
  t.match(plain, '<td><span class="lc-pill lc-pill--active">Active</span></td>')
  t.match(plain, '<td><span class="lc-num">2</span><small>Ann, Bo</small></td>')
  t.match(listTableFragment({ ...model, rows: [] }).html, /<p class="lc-empty">Nothing here<\/p>\s*<\/section>/)
})

t.test('a page of rows and a list\'s address', async (t) => {
  t.same(pageOf([1, 2, 3], 2), { shown: [1, 2], more: true })
  t.same(pageOf([1, 2], 2), { shown: [1, 2], more: false })
  t.equal(listAddress('/x', { view: 'active', agent: undefined, q: '', sort: 'name', n: 3 }), '/x?view=active&sort=name&n=3')
  t.equal(listAddress('/x', { q: undefined }), '/x')
})

t.test('the search box: searched, or refused and read unsearched with the reason', async (t) => {
  const asked: Array<string | undefined> = []
  const read = async (q: string | undefined) => {
    asked.push(q)
    if (q !== undefined && q.length > 3) throw new LC_ERR_SEARCH_TEXT_LONG('3', String(q.length))
    return q ?? 'all'
  }
  const refusals = new Set(['LC_ERR_SEARCH_TEXT_LONG'])
  t.same(await readSearched('  ab ', read, refusals), { value: 'ab', q: 'ab', error: null })
  t.same(await readSearched('   ', read, refusals), { value: 'all', q: undefined, error: null })
  const refused = await readSearched('abcdef', read, refusals)
  t.match(refused, { value: 'all', q: undefined, error: { code: 'LC_ERR_SEARCH_TEXT_LONG', message: /at most 3/ } })
  t.same(asked, ['ab', undefined, 'abcdef', undefined])
  await t.rejects(readSearched('x', async () => { throw new LC_ERR_FORBIDDEN('x') }, refusals), { code: 'LC_ERR_FORBIDDEN' }, 'other errors are not the box\'s')
})

t.test('the toolbar: ticked ids, an action\'s form, what it did, the answer\'s status', async (t) => {
  t.same(tickedIds(undefined), [])
  t.same(tickedIds('4'), [4])
  t.same(tickedIds(['4', '5', '4']), [4, 5])

  const post = bulkFormFragment({ id: 'lc-test-delete', action: '/x/delete', confirm: 'Sure?', label: 'Delete selected', tone: 'danger', errorId: 'lc-test-delete-error', error: 'Tick one first' })
  t.same([post.target, post.swap], ['lc-test-delete', 'outerHTML'])
  t.match(post.html, '<form id="lc-test-delete" class="lc-list-bulk" hx-post="/x/delete" hx-include="[data-lc-select]" hx-confirm="Sure?" hx-target="#lc-notice" hx-swap="none">')
  t.match(post.html, '<button type="submit" class="lc-danger" aria-describedby="lc-test-delete-error">Delete selected</button>')
  t.match(post.html, '<p class="lc-field-error" role="alert" id="lc-test-delete-error">Tick one first</p>')
  const get = bulkFormFragment({ id: 'lc-test-get', action: '/x/get', get: true, label: 'Transcript', title: 'Transcripts', errorId: 'e' }).html
  t.match(get, 'hx-get="/x/get" hx-include="[data-lc-select]" hx-target="#lc-notice"')
  t.match(get, '<button type="submit" title="Transcripts">Transcript</button>')
  t.notMatch(get, /hx-post|lc-field-error/)

  const done = resultsFragment({ target: 'lc-test-results', verb: 'deleted', results: [{ label: 'One', href: '/x/1', ok: true }, { label: 'Two', href: null, ok: false, reason: 'still open' }], done: 1, failed: 1, hint: 'They wait.' })
  t.same([done.target, done.swap], ['lc-test-results', 'innerHTML'])
  t.match(done.html, '<strong>1 deleted, 1 not deleted</strong> They wait.')
  t.match(done.html, '<a href="/x/1">One</a>: deleted')
  t.match(done.html, 'Two: not deleted: still open')

  t.equal(outcomeStatus([{ done: true }, { done: false, statusCode: 403 }]), 200)
  t.equal(outcomeStatus([{ done: false, statusCode: 403 }, { done: false, statusCode: 403 }]), 403)
  t.equal(outcomeStatus([{ done: false, statusCode: 403 }, { done: false }]), 409)
})

t.test('the refresh signal: bound to its target, at most once per throttle, the last one after a burst', async (t) => {
  t.same(staleFragment({ id: 'lc-test-stale', at: 12 }), { target: 'lc-test-stale', swap: 'outerHTML', html: '<div id="lc-test-stale" hidden data-lc-test-stale="12"></div>\n' })
  const sent: Array<{ client: Client, html: string }> = []
  const hub = { send: async (client: Client, html: string | (() => Promise<string>)) => { sent.push({ client, html: String(html) }) } }
  let at = 100
  const signal = throttledSignal(hub, 'lc-test-stale', { throttleMs: 40, at: () => at++ })
  const one = {} as Client
  const two = {} as Client
  signal(one)
  signal(two)
  signal(one)
  signal(one)
  t.equal(sent.length, 2, 'each tab at once the first time; the burst waits')
  t.match(sent[0]!.html, /^<hx-partial hx-target="#lc-test-stale" hx-swap="outerHTML"><div id="lc-test-stale" hidden data-lc-test-stale="100"><\/div>/)
  await new Promise((resolve) => setTimeout(resolve, 80))
  t.equal(sent.length, 3, 'one more for the burst, after the throttle')
  t.equal(sent[2]!.client, one)
})
