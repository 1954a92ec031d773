import t from 'tap'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { services } from '../helpers/given.ts'

t.test('sqlHost tickets from live chat', async (t) => {
  const s = await services(t)
  // The demo's manifest has its mapping (optional only for a host that passes its own adapter).
  const manifest = loadManifest() as Required<ReturnType<typeof loadManifest>>
  const dana = await s.user('dana')
  const alice = await s.user('alice')
  const count = async (table: string): Promise<number> => Number((await s.knex(table).count({ n: '*' }).first())?.n)

  t.test('the kinds, the cancelled status and the shared connection come from the mapping', async (t) => {
    t.same(s.host.ticketKinds, ['incident', 'work_order'])
    t.same(s.host.cancelledStatus, { status: 'Cancelled', reason: 'Abandoned chat' })
    t.equal(s.host.sharesDatabase!(s.knex), true)
    t.equal(s.host.sharesDatabase!({}), false)
    const { kinds: _k, cancelledStatus: _c, cancelledReason: _r, ...plain } = manifest.host.tickets
    const bare = sqlHost(s.knex, { ...manifest.host, tickets: plain })
    t.equal(bare.ticketKinds, undefined, 'every kind, as the plugin reads it')
    t.equal(bare.cancelledStatus, undefined)
    t.throws(() => sqlHost(s.knex, { ...manifest.host, tickets: { ...plain, kinds: ['incident', 'problem'] } }), /host\.tickets\.kinds: "problem" is not a ticket kind/)
  })

  t.test('templates carry their fields; a missing or garbled list is none', async (t) => {
    const printer = (await s.host.ticketTemplates('incident')).find((x) => x.name === 'Printer problem')!
    t.same(printer.fields!.map((f) => [f.name, f.label, f.required, f.value]), [
      ['impact', 'Impact', true, '3-Moderate/Limited'], ['urgency', 'Urgency', true, '3-Medium'], ['service', 'Service', false, 'Printing'], ['asset_tag', 'Asset tag', true, '']
    ])
    t.same(printer.fields![1]!.options, ['1-Critical', '2-High', '3-Medium', '4-Low'])
    const odd = JSON.stringify([{ name: 'ok' }, { label: 'no name' }, { name: 'bad name!' }, 'text', { name: 'opt', required: 'yes', options: ['a', 3] }])
    await s.knex('ticket_templates').insert([
      { kind: 'incident', name: 'Zz garbled', summary: 's', description: 'd', fields: '{not json' },
      { kind: 'incident', name: 'Zz odd', summary: 's', description: 'd', fields: odd }
    ])
    t.teardown(async () => { await s.knex('ticket_templates').whereIn('name', ['Zz garbled', 'Zz odd']).delete() })
    const all = await s.host.ticketTemplates('incident')
    t.same(all.find((x) => x.name === 'Zz garbled')!.fields, [])
    t.same(all.find((x) => x.name === 'Zz odd')!.fields, [
      { name: 'ok', label: 'ok', required: false, value: '' },
      { name: 'opt', label: 'opt', required: false, value: '', options: ['a'] }
    ])
    const { fields: _f, ...noFields } = manifest.host.ticketTemplates
    t.equal((await sqlHost(s.knex, { ...manifest.host, ticketTemplates: noFields }).ticketTemplates('incident'))[0]!.fields, undefined, 'a desk without template fields')
  })

  t.test('createTicket stores the template and its field values', async (t) => {
    const ticket = await s.host.createTicket({ kind: 'work_order', templateId: '5', summary: 'Install Visio', description: 'd', requesterId: dana.id, assigneeId: alice.id, chatId: 7, fields: { asset_tag: 'LT-7', priority: 'High' } })
    const row = await s.knex('tickets').where({ ref: ticket.ref }).first()
    t.same(JSON.parse(row.details), { asset_tag: 'LT-7', priority: 'High' })
    t.equal(Number(row.template_id), 5)
    const activity = await s.knex('ticket_activity').where({ ticket_id: row.id })
    t.same(activity.map((a) => [a.text, String(a.author_id)]), [['Created from live chat #7', alice.id]])
    const plain = await s.host.createTicket({ kind: 'incident', summary: 'No fields', description: 'd', requesterId: null, assigneeId: null, chatId: null, fields: {} })
    const plainRow = await s.knex('tickets').where({ ref: plain.ref }).first()
    t.equal(plainRow.details, null)
    t.equal(plainRow.template_id, null)
    t.equal((await s.knex('ticket_activity').where({ ticket_id: plainRow.id })).length, 0, 'no chat, no activity line')
  })

  t.test('createTicket stores the requester\'s contact and the channel; without those columns a guest\'s contact heads the description', async (t) => {
    const guest = { kind: 'incident' as const, summary: 'Guest', description: 'Transcript', requesterId: null, requester: { name: 'Gail Guest', email: 'gail@nowhere.example' }, assigneeId: null, chatId: null, channel: 'livechat' as const }
    const mapped = await s.knex('tickets').where({ ref: (await s.host.createTicket(guest)).ref }).first()
    t.match(mapped, { requester_id: null, requester_name: 'Gail Guest', requester_email: 'gail@nowhere.example', channel: 'livechat', description: 'Transcript' })
    const user = await s.knex('tickets').where({ ref: (await s.host.createTicket({ ...guest, requesterId: dana.id, requester: { name: dana.name, email: dana.email } })).ref }).first()
    t.match(user, { requester_name: dana.name, requester_email: dana.email, description: 'Transcript' }, 'a user\'s contact as filed, the description untouched')

    const { requesterName: _n, requesterEmail: _e, channel: _c, ...plain } = manifest.host.tickets
    const bare = sqlHost(s.knex, { ...manifest.host, tickets: plain })
    const unmapped = await s.knex('tickets').where({ ref: (await bare.createTicket(guest)).ref }).first()
    t.match(unmapped, { requester_id: null, requester_name: null, requester_email: null, channel: null })
    t.equal(unmapped.description, 'Requester (not a user of this desk): Gail Guest <gail@nowhere.example>\n\nTranscript', 'nothing is lost')
    const known = await s.knex('tickets').where({ ref: (await bare.createTicket({ ...guest, requesterId: dana.id })).ref }).first()
    t.equal(known.description, 'Transcript', 'a user is the desk\'s own: no heading')
  })

  t.test('ticket links: {ref} and {id}, URL-encoded, for agents; a customer\'s link where the desk maps one', async (t) => {
    const same = await s.host.createTicket({ kind: 'incident', summary: 'Links', description: 'd', requesterId: dana.id, assigneeId: null, chatId: null })
    t.equal(same.url, `/tickets/${same.ref}`, 'the demo\'s pattern, as before')
    t.equal(same.customerUrl, undefined, 'no customer pattern: no customer link')
    t.notOk('customerUrl' in (await s.host.getTicket(same.ref))!)

    const tickets = { ...manifest.host.tickets, url: '/scp/tickets.php?number={ref}&key={id}&again={ref}', customerUrl: '/view.php?id={id}' }
    const host = sqlHost(s.knex, { ...manifest.host, tickets })
    const made = await host.createTicket({ kind: 'incident', summary: 'Links', description: 'd', requesterId: dana.id, assigneeId: null, chatId: null })
    const id = String((await s.knex('tickets').where({ ref: made.ref }).first()).id)
    t.equal(made.url, `/scp/tickets.php?number=${made.ref}&key=${id}&again=${made.ref}`, 'every placeholder, each time it appears')
    t.equal(made.customerUrl, `/view.php?id=${id}`)
    t.match(await host.getTicket(made.ref), { url: made.url, customerUrl: made.customerUrl })
    t.match((await host.userTickets(dana.id)).find((x) => x.ref === made.ref), { url: made.url, customerUrl: made.customerUrl })

    // A ref or key with characters a URL reserves is encoded.
    await s.knex('tickets').where({ id }).update({ ref: 'A/B ?&#' })
    t.match(await host.getTicket('A/B ?&#'), { url: `/scp/tickets.php?number=A%2FB%20%3F%26%23&key=${id}&again=A%2FB%20%3F%26%23`, customerUrl: `/view.php?id=${id}` })
    await s.knex('tickets').where({ id }).update({ ref: made.ref })
  })

  t.test('in the caller\'s transaction the ticket commits or rolls back with the caller\'s own rows', async (t) => {
    const before = await count('tickets')
    const activity = await count('ticket_activity')
    const oops = new Error('the related-item row failed')
    let ref = ''
    await t.rejects(s.knex.transaction(async (trx) => {
      ref = (await s.host.createTicket({ kind: 'incident', summary: 'Rolled back', description: 'd', requesterId: null, assigneeId: null, chatId: 9 }, { transaction: trx })).ref
      t.ok(await trx('tickets').where({ ref }).first(), 'visible inside the transaction')
      throw oops
    }), oops)
    t.match(ref, /^INC\d{6}$/)
    t.equal(await count('tickets'), before)
    t.equal(await count('ticket_activity'), activity)
    const kept = await s.knex.transaction(async (trx) => await s.host.createTicket({ kind: 'incident', summary: 'Kept', description: 'd', requesterId: null, assigneeId: null, chatId: 9 }, { transaction: trx }))
    t.equal((await s.host.getTicket(kept.ref))?.summary, 'Kept')
    await t.rejects(s.host.createTicket({ kind: 'incident', summary: 'x', description: 'd', requesterId: null, assigneeId: null, chatId: null }, { transaction: {} }), TypeError)
  })
})
