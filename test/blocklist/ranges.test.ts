import t from 'tap'
import { clientAddress, matcher, parseRange, readRange } from '../../plugin/blocklist/ranges.ts'

t.test('block list ranges', async (t) => {
  t.test('addresses and ranges of both families are kept in one canonical spelling', async (t) => {
    const kept: Array<[string, string]> = [
      ['203.0.113.7', '203.0.113.7'],
      [' 203.0.113.7/32 ', '203.0.113.7'],
      ['203.0.113.0/24', '203.0.113.0/24'],
      ['2001:DB8::/32', '2001:db8::/32'],
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:0/80', '2001:db8:0:0:1::/80'],
      ['::ffff:198.51.100.4', '198.51.100.4'],
      ['::ffff:198.51.100.0/120', '198.51.100.0/24']
    ]
    for (const [written, text] of kept) {
      const range = parseRange(written)
      t.equal('problem' in range ? range.problem : range.text, text, written)
    }
  })

  t.test('anything else is refused, and why', async (t) => {
    for (const written of ['', 'abc', '203.0.113', '203.0.113.256', '01.2.3.4', '203.0.113.7/', '203.0.113.7/33', '203.0.113.7/-1', '2001:db8::/129', '1.2.3.4/8/8', 'fe80::1%eth0', '203.0.113.7 / 24']) {
      t.same(parseRange(written), { problem: 'invalid' }, JSON.stringify(written))
    }
    t.same(parseRange('203.0.113.7/24'), { problem: 'host-bits', canonical: '203.0.113.0/24' }, 'bits past the prefix: neither reading is guessed')
    t.same(parseRange('2001:db8::1/64'), { problem: 'host-bits', canonical: '2001:db8::/64' })
    t.same(parseRange('10.0.0.0/7'), { problem: 'wide', prefix: 7, family: 4 })
    t.same(parseRange('0.0.0.0/0'), { problem: 'wide', prefix: 0, family: 4 })
    t.same(parseRange('::/0'), { problem: 'wide', prefix: 0, family: 6 })
    t.equal((parseRange('10.0.0.0/8') as { text: string }).text, '10.0.0.0/8', 'a /8 is the widest allowed')
    t.throws(() => readRange('not a range'), /not a block list range/)
  })

  t.test('a range matches the addresses in it, of its own family, IPv4 clients of an IPv6 server too', async (t) => {
    const v4 = matcher(readRange('203.0.113.0/24'))
    t.ok(v4(clientAddress('203.0.113.0')!))
    t.ok(v4(clientAddress('203.0.113.255')!))
    t.ok(v4(clientAddress('::ffff:203.0.113.9')!), 'an IPv4-mapped client address')
    t.notOk(v4(clientAddress('203.0.114.1')!))
    const v6 = matcher(readRange('2001:db8::/32'))
    t.ok(v6(clientAddress('2001:db8:ffff::1')!))
    t.notOk(v6(clientAddress('2001:db9::1')!))
    t.notOk(v6(clientAddress('203.0.113.9')!), 'another family never matches')
    const one = matcher(readRange('2001:db8::1'))
    t.ok(one(clientAddress('2001:0db8::0001')!))
    t.notOk(one(clientAddress('2001:db8::2')!))
    t.equal(clientAddress('unknown'), null, 'not an address')
  })
})
