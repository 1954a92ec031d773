import t from 'tap'
import { fieldForm } from '../../plugin/fields/schemas.ts'
import { createFieldService, checkValue } from '../../plugin/fields/service.ts'
import { given, services } from '../helpers/given.ts'

t.test('field service', async (t) => {
  const s = await services(t)
  const fields = createFieldService({ db: s.knex, chats: s.chats })
  const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => await p.then(() => undefined, (err: { code?: string }) => err.code)
  const seeded = await fields.list()
  const order = seeded.find((f) => f.key === 'order_number')!
  const product = seeded.find((f) => f.key === 'product')!

  t.test('the demo desk is seeded with Order number (asked on the pre-chat form) and Product', async (t) => {
    t.same(seeded.map((f) => [f.label, f.type, f.required, f.onPrechat]), [['Order number', 'number', false, true], ['Product', 'choice', false, false]])
    t.same(product.options, ['Laptop', 'Phone', 'Software', 'Other'])
  })

  t.test('values are checked by type and normalised', async (t) => {
    t.same(checkValue(order, ' 4,471 ', true), { value: '4471' })
    t.same(checkValue(order, '12.50', true), { value: '12.5' })
    t.match(checkValue(order, '12 apples', true), { error: /Order number must be a number/ })
    t.match(checkValue(order, 'Infinity', true), { error: /must be a number/ })
    t.same(checkValue(product, 'Laptop', true), { value: 'Laptop' })
    t.match(checkValue(product, 'laptop', true), { error: 'Product: choose one of Laptop, Phone, Software, Other' })
    t.same(checkValue(product, '  ', true), { value: null }, 'empty clears an optional field')
    const required = { ...order, required: true }
    t.match(checkValue(required, '', true), { error: 'Order number is required; fill it in before saving' })
    t.same(checkValue(required, '', false), { value: null })
    const yesno = { ...order, type: 'yesno' as const, label: 'Urgent' }
    t.same(checkValue(yesno, 'no', true), { value: 'no' })
    t.match(checkValue(yesno, 'maybe', true), { error: 'Urgent: choose Yes or No' })
    const text = { ...order, type: 'text' as const, label: 'Note' }
    t.same(checkValue(text, '😀'.repeat(500), true), { value: '😀'.repeat(500) })
    t.match(checkValue(text, 'x'.repeat(501), true), { error: /at most 500 characters/ })
  })

  t.test('the definition form: every problem at once; a choice needs two distinct options', async (t) => {
    const bad = fieldForm.read({ label: '', key: 'order number', type: 'choice', options: 'A\n\n a ' })
    t.same(Object.keys(bad.errors).sort(), ['key', 'label', 'options'])
    t.equal(bad.input, undefined)
    t.match(fieldForm.read({ label: 'X', key: 'x', type: 'choice', options: 'A\nB\na' }).errors.options!.message, /"a" is listed twice/)
    t.match(fieldForm.read({ label: 'X', key: 'x', type: 'colour' }).errors.type!.message, /choose one of the listed types/)
    const good = fieldForm.read({ label: ' Urgent ', key: 'urgent', type: 'yesno', options: 'ignored', required: 'on' })
    t.same(good.input, { label: 'Urgent', key: 'urgent', type: 'yesno', options: [], required: true, onPrechat: false })
  })

  t.test('keys are unique ignoring case; the type is kept while values exist; moving reorders', async (t) => {
    t.equal(await codeOf(fields.create({ label: 'Other order', key: 'ORDER_NUMBER', type: 'text', options: [], required: false, onPrechat: false })), 'LC_ERR_FIELD_KEY_TAKEN')
    const urgent = await fields.create({ label: 'Urgent', key: 'urgent', type: 'yesno', options: [], required: false, onPrechat: false })
    t.same((await fields.list()).map((f) => f.key), ['order_number', 'product', 'urgent'], 'a new field goes last')
    await fields.move(urgent.id, 'up')
    await fields.move(urgent.id, 'up')
    await fields.move(urgent.id, 'up')
    t.same((await fields.list()).map((f) => f.key), ['urgent', 'order_number', 'product'], 'and moves to the top, no further')
    t.equal(await codeOf(fields.update(urgent.id, { label: 'Urgent', key: 'Product', type: 'yesno', options: [], required: false, onPrechat: false })), 'LC_ERR_FIELD_KEY_TAKEN')
    const { chat } = await given.activeChat(s, 'alice')
    await fields.save(chat.id, await s.scope('alice'), { urgent: 'yes' })
    t.equal(await codeOf(fields.update(urgent.id, { label: 'Urgent', key: 'urgent', type: 'text', options: [], required: false, onPrechat: false })), 'LC_ERR_FORM_INVALID')
    t.equal((await fields.update(urgent.id, { label: 'Is it urgent', key: 'urgent', type: 'yesno', options: [], required: true, onPrechat: false })).label, 'Is it urgent')
    t.equal(await codeOf(fields.remove(urgent.id, false)), 'LC_ERR_FIELD_HAS_VALUES', 'values need a confirmation')
    t.same((await fields.valuesOf(chat.id)).map((v) => v.value), ['Yes'], 'nothing was deleted')
    t.same(await fields.remove(urgent.id, true).then((r) => r.values), 1)
    t.same(await fields.valuesOf(chat.id), [], 'the values went with it')
    t.equal(await codeOf(fields.get(urgent.id)), 'LC_ERR_FIELD_NOT_FOUND')
  })

  t.test('saving a chat: all or nothing, only changes are written, each with a History row', async (t) => {
    const { chat } = await given.activeChat(s, 'alice')
    const alice = await s.scope('alice')
    const history = async () => (await s.chats.history(chat.id)).filter((r) => r.action.startsWith('field_')).map((r) => [r.action, JSON.parse(r.data!).label, JSON.parse(r.data!).value])
    const refused = await fields.save(chat.id, alice, { order_number: 'abc', product: 'Tablet' })
    t.same(Object.keys(refused.errors).sort(), ['order_number', 'product'])
    t.same(await fields.valuesOf(chat.id), [], 'nothing stored')
    t.same(await history(), [])
    t.same(await fields.save(chat.id, alice, { order_number: '4471', product: 'Laptop' }), { errors: {}, changed: 2 })
    t.same(await fields.valuesOf(chat.id), [{ label: 'Order number', value: '4471' }, { label: 'Product', value: 'Laptop' }])
    t.same(await fields.save(chat.id, alice, { order_number: '4471' }), { errors: {}, changed: 0 }, 'a field not posted keeps its value')
    t.same(await fields.save(chat.id, alice, { order_number: '', product: 'Phone' }), { errors: {}, changed: 2 })
    t.same(await history(), [['field_set', 'Order number', '4471'], ['field_set', 'Product', 'Laptop'], ['field_cleared', 'Order number', undefined], ['field_set', 'Product', 'Phone']])
    t.equal(await codeOf(fields.save(chat.id, await s.scope('carol'), { product: 'Other' })), 'LC_ERR_CHAT_NOT_FOUND', 'an agent who may not see the chat')
  })

  t.test('pre-chat answers are checked for the asked fields only and stored as the customer\'s', async (t) => {
    const checked = await fields.checkPrechat({ order_number: 'x', product: 'Tablet' })
    t.same(Object.keys(checked.errors), ['order_number'], 'Product is not asked there')
    const ok = await fields.checkPrechat({ order_number: '77' })
    const { chat } = await given.queuedChat(s)
    await fields.saveFromCustomer(chat, ok.values)
    const [row] = await s.knex('lc_chat_field_values').where('chat_id', chat.id)
    t.equal(row.value, '77')
    t.equal(row.updated_by, 'Dana Doyle')
    const [h] = await s.knex('lc_chat_history').where({ chat_id: chat.id, action: 'field_set' })
    t.same([h.actor_kind, h.actor_name], ['customer', 'Dana Doyle'])
  })

  t.test('deleting the chat deletes its values', async (t) => {
    const { chat } = await given.activeChat(s, 'alice')
    await fields.save(chat.id, await s.scope('alice'), { product: 'Other' })
    await s.knex('lc_chats').where('id', chat.id).delete()
    t.equal((await s.knex('lc_chat_field_values').where('chat_id', chat.id)).length, 0)
  })
})
