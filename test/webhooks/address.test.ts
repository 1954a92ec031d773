import t from 'tap'
import { allowedHosts, checkAddress, parseEndpointUrl, refusedKind, resolveTarget } from '../../plugin/webhooks/address.ts'
import { send } from '../../plugin/webhooks/send.ts'

t.test('webhook addresses', async (t) => {
  t.test('private, loopback, link-local and other non-public addresses are told apart from public ones', async (t) => {
    const cases: Array<[string, string | null]> = [
      ['127.0.0.1', 'loopback'], ['127.8.9.10', 'loopback'], ['::1', 'loopback'],
      ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'], ['fd12:3456::1', 'private'],
      ['169.254.169.254', 'link-local'], ['fe80::1', 'link-local'],
      ['0.0.0.0', 'reserved'], ['100.64.0.1', 'shared (carrier-grade NAT)'], ['224.0.0.1', 'multicast'], ['255.255.255.255', 'reserved'], ['::', 'unspecified'],
      ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:10.0.0.1', 'private'], ['64:ff9b::169.254.169.254', 'link-local'],
      ['93.184.216.34', null], ['172.32.0.1', null], ['8.8.8.8', null], ['2606:4700::1111', null], ['::ffff:8.8.8.8', null]
    ]
    for (const [address, kind] of cases) t.equal(refusedKind(address), kind, address)
  })

  t.test('the allow list names a host, an address or a range', async (t) => {
    const allowed = allowedHosts(['hooks.internal.example', '127.0.0.1', '10.20.0.0/16', '[::1]'])
    t.doesNotThrow(() => { checkAddress('hooks.internal.example', '10.9.9.9', allowed) }, 'a named host, whatever it resolves to')
    t.doesNotThrow(() => { checkAddress('127.0.0.1', '127.0.0.1', allowed) })
    t.doesNotThrow(() => { checkAddress('db.internal', '10.20.3.4', allowed) }, 'inside the range')
    t.doesNotThrow(() => { checkAddress('::1', '::1', allowed) })
    t.throws(() => { checkAddress('db.internal', '10.21.3.4', allowed) }, { code: 'LC_ERR_WEBHOOK_PRIVATE', message: /db\.internal \(10\.21\.3\.4\) is a private address/ })
    t.throws(() => { checkAddress('127.0.0.2', '127.0.0.2', allowed) }, { code: 'LC_ERR_WEBHOOK_PRIVATE', message: /^127\.0\.0\.2 is a loopback address/ })
    t.doesNotThrow(() => { checkAddress('example.com', '93.184.216.34', allowedHosts([])) }, 'public addresses need no list')
  })

  t.test('URLs: http(s) only, without credentials', async (t) => {
    for (const bad of ['ftp://example.com/x', 'javascript:alert(1)', 'https://user:pw@example.com/', 'not a url', 'file:///etc/passwd', 'http://']) {
      t.throws(() => parseEndpointUrl(bad), { code: 'LC_ERR_WEBHOOK_URL' }, bad)
    }
    t.equal(parseEndpointUrl('https://example.com/hooks?x=1').href, 'https://example.com/hooks?x=1')
  })

  t.test('every address a name has is checked: one private among public ones refuses it', async (t) => {
    const lookup = async (host: string) => host === 'mixed.example'
      ? [{ address: '93.184.216.34', family: 4 as const }, { address: '10.0.0.8', family: 4 as const }]
      : [{ address: '93.184.216.34', family: 4 as const }]
    await t.rejects(resolveTarget(new URL('https://mixed.example/'), allowedHosts([]), lookup), { code: 'LC_ERR_WEBHOOK_PRIVATE', message: /mixed\.example \(10\.0\.0\.8\)/ })
    t.same(await resolveTarget(new URL('https://public.example/'), allowedHosts([]), lookup), [{ address: '93.184.216.34', family: 4 }])
    await t.rejects(resolveTarget(new URL('http://[::1]:8080/'), allowedHosts([])), { code: 'LC_ERR_WEBHOOK_PRIVATE' }, 'an IPv6 literal')
    await t.rejects(resolveTarget(new URL('http://localhost/'), allowedHosts([])), { code: 'LC_ERR_WEBHOOK_PRIVATE' }, 'localhost, through the real resolver')
  })

  t.test('a send to a refused address makes no connection and says why', async (t) => {
    const tried = await send('http://169.254.169.254/latest/meta-data', 'whsec_x', { uid: 'e1', type: 'chat.queued' }, '{}', { timeoutMs: 1000, allowed: allowedHosts([]), userAgent: 'test' })
    t.match(tried, { ok: false, status: null, error: /^LC_ERR_WEBHOOK_PRIVATE: 169\.254\.169\.254 is a link-local address/ })
  })
})
