import t from 'tap'
import { LC_ERR_CANNED_SHORTCUT, LC_ERR_EVENT_NAME_TAKEN, LC_ERR_FORM_INVALID } from '../../plugin/errors.ts'
import {
  attempt, checkbox, checkboxes, codePoints, defineForm, fieldError, hidden, posted, readChecked, readCheckbox, readText, refuse, select, text, valid
} from '../../plugin/web/forms.ts'

t.test('form kit: reading a urlencoded body', async (t) => {
  t.test('text is trimmed with one kind of line break; anything but one string reads as empty', async (t) => {
    t.equal(readText('  two\r\nlines\r '), 'two\nlines')
    t.equal(readText(' kept \r\n', { trim: false }), ' kept \n')
    t.equal(readText(undefined), '')
    t.equal(readText(['a', 'b']), '', 'a field sent twice')
    t.equal(readText(42), '')
  })

  t.test('checkboxes: ticked when they sent their value; a group lists every ticked value', async (t) => {
    t.equal(readCheckbox('on'), true)
    t.equal(readCheckbox(undefined), false)
    t.equal(readCheckbox('yes'), false)
    t.equal(readCheckbox('yes', 'yes'), true)
    t.same(readChecked('a'), ['a'], 'one ticked box arrives as a string')
    t.same(readChecked(['a', 'b', 3]), ['a', 'b'])
    t.same(readChecked(undefined), [])
  })

  t.test('lengths count code points, as utf8mb4 columns do', async (t) => {
    t.equal(codePoints('😀😀'), 2)
    t.equal('😀😀'.length, 4)
  })

  t.test('a body that is not an object reads as an empty form', async (t) => {
    t.same(posted(null), {})
    t.same(posted('x'), {})
    t.same(posted({ a: '1' }), { a: '1' })
  })
})

t.test('form kit: refusing', async (t) => {
  t.test('a bare message is LC_ERR_FORM_INVALID; a coded error keeps its code', async (t) => {
    t.same(fieldError('Name is required'), { code: 'LC_ERR_FORM_INVALID', message: 'Name is required' })
    t.same(fieldError(new LC_ERR_CANNED_SHORTCUT()), { code: 'LC_ERR_CANNED_SHORTCUT', message: new LC_ERR_CANNED_SHORTCUT().message })
    t.same(fieldError({ code: 'LC_ERR_X', message: 'x' }), { code: 'LC_ERR_X', message: 'x' })
  })

  t.test('a field keeps the first problem found', async (t) => {
    const form = { errors: {} }
    t.ok(valid(form))
    refuse(form, 'name', 'first')
    refuse(form, 'name', new LC_ERR_EVENT_NAME_TAKEN('x'))
    t.same(form.errors, { name: { code: 'LC_ERR_FORM_INVALID', message: 'first' } })
    t.notOk(valid(form))
  })
})

t.test('form kit: fields', async (t) => {
  const check = <T>(field: { read: (v: unknown) => T, check: (v: T, all: Record<string, unknown>, label: string) => unknown }, raw: unknown, all: Record<string, unknown> = {}) =>
    field.check(field.read(raw), all, 'Name')

  t.test('text: required, too long (code points), a shape, then any other rule', async (t) => {
    t.equal(check(text(), ''), null, 'optional unless required')
    t.equal(check(text({ required: true }), '  '), 'Name is required')
    t.equal(check(text({ required: 'Write something' }), ''), 'Write something')
    t.match(check(text({ required: () => new LC_ERR_CANNED_SHORTCUT() }), ''), { code: 'LC_ERR_CANNED_SHORTCUT' })
    t.equal(check(text({ max: 3 }), '😀😀😀'), null, 'three characters')
    t.equal(check(text({ max: 3 }), 'abcd'), 'Name can be at most 3 characters; shorten it')
    t.equal(check(text({ max: 3, tooLong: 'Too long' }), 'abcd'), 'Too long')
    t.equal(check(text({ max: 3, tooLong: (max, n) => `${n} of ${max}` }), 'abcd'), '4 of 3')
    t.equal(check(text({ pattern: /^[a-z]+$/ }), 'ab1'), 'Name is not valid; check it and try again')
    t.equal(check(text({ pattern: /^[a-z]+$/, mismatch: 'Letters only' }), 'ab1'), 'Letters only')
    t.equal(check(text({ check: (v, all) => v === all.other ? 'Same as the other' : null }), 'x', { other: 'x' }), 'Same as the other')
    t.equal(text({ trim: false }).read(' a '), ' a ')
  })

  t.test('hidden: carried as sent, and may refuse a tampered value', async (t) => {
    t.equal(hidden().read(' 42 '), ' 42 ')
    t.equal(check(hidden((v) => /^\d+$/.test(v) ? null : 'Reload the page'), 'x'), 'Reload the page')
  })

  t.test('checkbox: a boolean with no message of its own', async (t) => {
    t.equal(checkbox().read('on'), true)
    t.equal(checkbox().read(undefined), false)
    t.equal(check(checkbox(), 'yes'), null)
  })

  t.test('select: one of its options, which may depend on the other values', async (t) => {
    t.equal(check(select(['a', 'b']), 'a'), null)
    t.equal(check(select(['a', 'b']), ''), null, 'no choice is fine unless required')
    t.equal(check(select(['a', 'b'], { required: true }), ''), 'Name is required')
    t.equal(check(select(['a', 'b']), 'c'), 'Name: choose one of the listed options')
    t.equal(check(select(['a', 'b'], { unknown: 'Pick a or b' }), 'c'), 'Pick a or b')
    t.equal(check(select((all) => all.kind === 'x' ? ['c'] : []), 'c', { kind: 'x' }), null)
    t.equal(check(select(), 'anything'), null, 'without options the value is only read')
  })

  t.test('checkboxes: the ticked values once each, from the list, not too many', async (t) => {
    const agents = checkboxes({ options: ['1', '2', '3'], required: 'Tick at least one agent', max: 2, tooMany: 'Two at most' })
    t.same(agents.read(['1', '2', '1']), ['1', '2'])
    t.same(agents.read('3'), ['3'])
    t.equal(check(agents, undefined), 'Tick at least one agent')
    t.equal(check(agents, ['1', '9']), 'Name: choose one of the listed options')
    t.equal(check(agents, ['1', '2', '3']), 'Two at most')
    t.equal(check(agents, ['1', '3']), null)
    t.equal(check(checkboxes(), undefined), null)
  })
})

t.test('form kit: a declared form', async (t) => {
  const eventForm = defineForm({
    name: text({ label: 'Name', required: true, max: 5 }),
    body: text({ required: 'Write the text', max: 10 }),
    agents_only: checkbox(),
    note: hidden()
  }, {
    input: (v) => ({ name: v.name, body: v.body, agentsOnly: v.agents_only })
  })

  t.test('every problem at once, the values as typed, no input', async (t) => {
    const form = eventForm.read({ name: ' toolong ', body: '', agents_only: 'on' })
    t.same(form.values, { name: 'toolong', body: '', agents_only: true, note: '' })
    t.same(form.errors, {
      name: { code: 'LC_ERR_FORM_INVALID', message: 'Name can be at most 5 characters; shorten it' },
      body: { code: 'LC_ERR_FORM_INVALID', message: 'Write the text' }
    })
    t.equal(form.input, undefined)
  })

  t.test('a valid form carries the service\'s input', async (t) => {
    t.same(eventForm.read({ name: ' Wait ', body: 'Hold on\r\n' }).input, { name: 'Wait', body: 'Hold on', agentsOnly: false })
    t.same(defineForm({ q: text() }).read({ q: ' x ' }).input, { q: 'x' }, 'the values, without an input function')
  })

  t.test('the empty form to render first', async (t) => {
    t.same(eventForm.state(), { values: {}, errors: {} })
    t.same(eventForm.state({ name: 'Stored' }), { values: { name: 'Stored' }, errors: {} })
  })

  t.test('a partial form reads only what was sent', async (t) => {
    const row = defineForm({ active: select(['on', 'off']), limit: text({ pattern: /^\d+$/ }) }, { partial: true })
    t.same(row.read({ active: 'off' }), { values: { active: 'off' }, errors: {}, input: { active: 'off' } })
    t.same(row.read({ limit: 'x' }).errors, { limit: { code: 'LC_ERR_FORM_INVALID', message: 'limit is not valid; check it and try again' } })
  })
})

t.test('form kit: a form checked against its JSON Schema', async (t) => {
  const schema = {
    $id: 'lc/test/forms-kit',
    type: 'object',
    additionalProperties: false,
    required: ['name', 'colour'],
    properties: {
      name: { type: 'string', maxLength: 10 },
      colour: { enum: ['red', 'blue'] },
      size: { type: 'string', pattern: '^[0-9]*$' },
      tick: { enum: ['on'] }
    }
  } as const
  const form = defineForm({
    name: text({ label: 'Name', required: true }),
    colour: select(undefined, { label: 'Colour' }),
    size: text({ label: 'Size', check: (v) => Number(v) > 9 ? 'Nine at most' : null }),
    tick: checkbox()
  }, { schema: { schema, sample: { name: 'x', colour: 'red' } } })

  t.test('each field on its own, in the kit\'s words', async (t) => {
    const read = form.read({ name: ['a', 'b'], size: 'big' })
    t.same(read.errors, {
      name: { code: 'LC_ERR_FORM_INVALID', message: 'Name must be text' },
      colour: { code: 'LC_ERR_FORM_INVALID', message: 'Colour is required' },
      size: { code: 'LC_ERR_FORM_INVALID', message: 'Size is not valid; check it and try again' }
    })
    t.same(form.read({ name: 'x'.repeat(11), colour: 'green' }).errors, {
      name: { code: 'LC_ERR_FORM_INVALID', message: 'Name can be at most 10 characters; shorten it' },
      colour: { code: 'LC_ERR_FORM_INVALID', message: 'Colour: choose one of the listed options' }
    })
  })

  t.test('the fields\' own rules run on what the schema passed', async (t) => {
    t.same(form.read({ name: '  ', colour: 'red', size: '12' }).errors, {
      name: { code: 'LC_ERR_FORM_INVALID', message: 'Name is required' },
      size: { code: 'LC_ERR_FORM_INVALID', message: 'Nine at most' }
    })
  })

  t.test('then the whole body: a field the form does not have, a tampered checkbox', async (t) => {
    t.same(form.read({ name: 'x', colour: 'red', shade: 'dark' }).errors, {
      form: { code: 'LC_ERR_FORM_INVALID', message: 'This form has no field "shade"; reload the page and try again' }
    })
    t.same(form.read({ name: 'x', colour: 'red', tick: 'yes' }).errors, { form: { code: 'LC_ERR_FORM_INVALID', message: 'tick must be one of: on' } })
    t.same(form.read({ name: 'x', colour: 'blue', tick: 'on' }).input, { name: 'x', colour: 'blue', size: '', tick: true })
  })

  t.test('a form may word the schema\'s refusals its own way', async (t) => {
    const own = defineForm({ name: text() }, { schema: { schema, sample: { name: 'x', colour: 'red' }, describe: (e, field) => `${field ?? 'form'}: ${e.keyword}` } })
    t.same(own.read({ colour: 'red' }).errors, { name: { code: 'LC_ERR_FORM_INVALID', message: 'name: required' } })
    t.same(own.read({ name: 'x' }).errors, { form: { code: 'LC_ERR_FORM_INVALID', message: 'form: required' } })
  })
})

t.test('form kit: writing a valid form', async (t) => {
  const nameForm = defineForm({ name: text({ required: true }) })
  const taken = async (): Promise<never> => { throw new LC_ERR_EVENT_NAME_TAKEN('Hold') }

  t.test('a refused form is not written', async (t) => {
    let writes = 0
    const form = nameForm.read({})
    t.equal(await attempt(form, async () => ++writes), undefined)
    t.equal(writes, 0)
  })

  t.test('a valid form is written and the write\'s result returned', async (t) => {
    t.same(await attempt(nameForm.read({ name: 'Hold' }), async (input) => ({ saved: input.name })), { saved: 'Hold' })
  })

  t.test('a coded refusal goes beside its field, by code or worked out from the error', async (t) => {
    const form = nameForm.read({ name: 'Hold' })
    t.equal(await attempt(form, taken, { LC_ERR_EVENT_NAME_TAKEN: 'name' }), undefined)
    t.same(form.errors.name, { code: 'LC_ERR_EVENT_NAME_TAKEN', message: new LC_ERR_EVENT_NAME_TAKEN('Hold').message })
    const other = nameForm.read({ name: 'Hold' })
    t.equal(await attempt(other, taken, (err) => err.code.endsWith('_TAKEN') ? 'form' : undefined), undefined)
    t.equal(other.errors.form?.code, 'LC_ERR_EVENT_NAME_TAKEN')
  })

  t.test('any other error goes on to the error handler', async (t) => {
    await t.rejects(attempt(nameForm.read({ name: 'Hold' }), taken), { code: 'LC_ERR_EVENT_NAME_TAKEN' })
    await t.rejects(attempt(nameForm.read({ name: 'Hold' }), async () => { throw new LC_ERR_FORM_INVALID('x') }, { LC_ERR_EVENT_NAME_TAKEN: 'name' }), { code: 'LC_ERR_FORM_INVALID' })
    await t.rejects(attempt(nameForm.read({ name: 'Hold' }), async () => { throw new Error('disk full') }, () => 'name'), /disk full/)
  })
})
