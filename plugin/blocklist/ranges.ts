import { BlockList, isIP } from 'node:net'

/*
 * Addresses and CIDR ranges as the block list keeps them (docs/features.md#block-list).
 * node:net reads the addresses and matches them (BlockList); what it does not do is say
 * which written ranges are the same one, so every range is kept in one canonical spelling:
 * an address alone when the prefix is the whole address, else the network and its prefix,
 * IPv6 lowercase and compressed as RFC 5952 writes it.
 */

export type Family = 4 | 6

/** A range as the block list keeps it. */
export interface Range {
  /** Canonical: `203.0.113.7`, `203.0.113.0/24`, `2001:db8::/32`. */
  text: string
  family: Family
  network: string
  prefix: number
}

/** Why a written range is refused; `canonical` is the range it was likely meant to be. */
export type RangeProblem =
  | { problem: 'invalid' }
  | { problem: 'host-bits', canonical: string }
  | { problem: 'wide', prefix: number, family: Family }

/** The widest prefix one entry may block: a /8 of IPv4 is 16 million addresses, a /16 of IPv6 a whole provider's. */
export const widest: Record<Family, number> = { 4: 8, 6: 16 }

const bits: Record<Family, number> = { 4: 32, 6: 128 }
const mappedV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i

/** An address as a number, `family`'s bits wide. */
function toBigInt (address: string, family: Family): bigint {
  if (family === 4) return address.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n)
  return hextets(address).reduce((n, part) => (n << 16n) | BigInt(part), 0n)
}

/** An IPv6 address's eight 16-bit groups, with `::` and an embedded IPv4 tail spelled out. */
function hextets (address: string): number[] {
  let text = address.toLowerCase()
  const tail = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text)
  if (tail) {
    const [a, b, c, d] = tail[1]!.split('.').map(Number) as [number, number, number, number]
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, rest] = text.split('::') as [string, string | undefined]
  const left = head === '' ? [] : head.split(':')
  const right = rest === undefined || rest === '' ? [] : rest.split(':')
  const zeros = rest === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0')
  return [...left, ...zeros, ...right].map((h) => parseInt(h, 16))
}

function fromBigInt (value: bigint, family: Family): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.')
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((value >> shift) & 0xffffn).toString(16))
  // The URL parser writes IPv6 as RFC 5952 does (the first longest run of zero groups as ::).
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1)
}

/**
 * An address as a client's request gives it, in its family: an IPv4 client of a server
 * listening on IPv6 arrives as ::ffff:203.0.113.7, and is matched as 203.0.113.7.
 * Null when it is not an address.
 */
export function clientAddress (ip: string): { address: string, family: Family } | null {
  const mapped = mappedV4.exec(ip)
  const address = mapped ? mapped[1]! : ip
  const family = isIP(address)
  return family === 0 ? null : { address, family: family as Family }
}

/**
 * A range as an administrator wrote it: an address, or an address, a slash and a prefix
 * length. Refused: anything else, a range with bits set past its prefix (203.0.113.7/24 is
 * likely a typing slip for either the address or 203.0.113.0/24, so the person chooses), and
 * a range wider than `widest`.
 */
export function parseRange (written: string): Range | RangeProblem {
  const parts = written.trim().split('/')
  if (parts.length > 2 || parts[0]!.includes('%')) return { problem: 'invalid' }
  const client = clientAddress(parts[0]!)
  if (!client) return { problem: 'invalid' }
  const { address, family } = client
  let prefix = bits[family]
  if (parts.length === 2) {
    if (!/^\d{1,3}$/.test(parts[1]!)) return { problem: 'invalid' }
    prefix = Number(parts[1])
    // ::ffff:203.0.113.0/120 is 203.0.113.0/24.
    if (family === 4 && address !== parts[0]) prefix -= 96
    if (prefix < 0 || prefix > bits[family]) return { problem: 'invalid' }
  }
  const value = toBigInt(address, family)
  const hostBits = BigInt(bits[family] - prefix)
  const networkValue = (value >> hostBits) << hostBits
  const network = fromBigInt(networkValue, family)
  const text = prefix === bits[family] ? network : `${network}/${prefix}`
  if (networkValue !== value) return { problem: 'host-bits', canonical: text }
  if (prefix < widest[family]) return { problem: 'wide', prefix, family }
  return { text, family, network, prefix }
}

/** A kept range (canonical, from the database) read back; throws on one that is not, which no form can have stored. */
export function readRange (text: string): Range {
  const range = parseRange(text)
  if ('problem' in range) throw new Error(`not a block list range: ${text}`)
  return range
}

/** A matcher of one range, with node:net's BlockList. */
export function matcher (range: Range): (client: { address: string, family: Family }) => boolean {
  const list = new BlockList()
  const type = range.family === 4 ? 'ipv4' : 'ipv6'
  list.addSubnet(range.network, range.prefix, type)
  return (client) => client.family === range.family && list.check(client.address, type)
}
