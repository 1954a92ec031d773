import { lookup as dnsLookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'
import { LC_ERR_WEBHOOK_PRIVATE, LC_ERR_WEBHOOK_URL } from '../errors.ts'

/*
 * Where webhooks may go (docs/webhooks.md#allowed-hosts). An endpoint's URL is checked when it
 * is registered (an address written in it), and every delivery resolves the name again and
 * checks every address it has, then connects to a checked address only: a name that answers
 * with a public address for the check and a private one for the connection cannot slip
 * through. Redirects are never followed.
 */

/** The ranges a webhook never reaches, each with the word an administrator reads. */
const refused: Array<[kind: string, network: string, prefix: number, family: 'ipv4' | 'ipv6']> = [
  ['reserved', '0.0.0.0', 8, 'ipv4'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['shared (carrier-grade NAT)', '100.64.0.0', 10, 'ipv4'],
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['link-local', '169.254.0.0', 16, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['reserved', '192.0.0.0', 24, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['benchmarking', '198.18.0.0', 15, 'ipv4'],
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['reserved', '240.0.0.0', 4, 'ipv4'],
  ['unspecified', '::', 128, 'ipv6'],
  ['loopback', '::1', 128, 'ipv6'],
  ['private', 'fc00::', 7, 'ipv6'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['multicast', 'ff00::', 8, 'ipv6']
]
const lists = refused.map(([kind, network, prefix, family]) => {
  const list = new BlockList()
  list.addSubnet(network, prefix, family)
  return { kind, list }
})

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) IPv6 one. */
function embeddedV4 (address: string): string | null {
  const m = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (m) return m[1]!
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address)
  if (!hex) return null
  const hi = parseInt(hex[1]!, 16)
  const lo = parseInt(hex[2]!, 16)
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.')
}

/** What kind of address a webhook may not reach this is ('loopback', 'private'…), or null for a public one. */
export function refusedKind (address: string): string | null {
  const v4 = isIP(address) === 6 ? embeddedV4(address) : null
  const ip = v4 ?? address
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4'
  return lists.find((l) => l.list.check(ip, family))?.kind ?? null
}

/** The webhookAllowedHosts setting, read: host names as written, and addresses and ranges. */
export interface AllowedHosts {
  names: ReadonlySet<string>
  addresses: BlockList
}

export function allowedHosts (entries: readonly string[]): AllowedHosts {
  const names = new Set<string>()
  const addresses = new BlockList()
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1')
    const [network, bits] = entry.split('/')
    const family = isIP(network ?? '')
    if (family !== 0 && bits === undefined) addresses.addAddress(network!, family === 6 ? 'ipv6' : 'ipv4')
    else if (family !== 0 && /^\d{1,3}$/.test(bits!)) addresses.addSubnet(network!, Number(bits), family === 6 ? 'ipv6' : 'ipv4')
    else if (entry !== '') names.add(entry)
  }
  return { names, addresses }
}

/** The host of a URL as it is looked up: lower case, an IPv6 literal without its brackets. */
export function hostOf (url: URL): string {
  return url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1')
}

/** A URL as an endpoint may have it: http(s), no credentials. Throws LC_ERR_WEBHOOK_URL. */
export function parseEndpointUrl (text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new LC_ERR_WEBHOOK_URL()
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '' || url.hostname === '') throw new LC_ERR_WEBHOOK_URL()
  return url
}

/**
 * Refuses an address a webhook may not reach: LC_ERR_WEBHOOK_PRIVATE naming it and its kind,
 * unless the allow list names the host or the address.
 */
export function checkAddress (host: string, address: string, allowed: AllowedHosts): void {
  if (allowed.names.has(host)) return
  const kind = refusedKind(address)
  if (kind === null) return
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
  if (allowed.addresses.check(address, family)) return
  throw new LC_ERR_WEBHOOK_PRIVATE(address === host ? address : `${host} (${address})`, kind)
}

export interface Resolved { address: string, family: 4 | 6 }

export type Lookup = (host: string) => Promise<Resolved[]>

const systemLookup: Lookup = async (host) => (await dnsLookup(host, { all: true, verbatim: true })) as Resolved[]

/**
 * Every address the URL's host has, each checked (an IP written in the URL is its own one
 * address). Throws LC_ERR_WEBHOOK_PRIVATE for the first refused one: a name with one private
 * address among public ones is refused whole, since the connection could land on any.
 */
export async function resolveTarget (url: URL, allowed: AllowedHosts, lookup: Lookup = systemLookup): Promise<Resolved[]> {
  const host = hostOf(url)
  const literal = isIP(host)
  const addresses = literal !== 0 ? [{ address: host, family: literal as 4 | 6 }] : await lookup(host)
  for (const a of addresses) checkAddress(host, a.address, allowed)
  return addresses
}
