import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import type { ScryptOptions } from 'node:crypto'

// N = 2^14, r = 8, p = 1: the parameters node documents as its default, about 16 MiB and
// some tens of milliseconds per hash. N is stored with each hash so it can be raised later.
const COST = 16384
const KEY_LENGTH = 64
const SALT_BYTES = 16

function derive (password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) => {
      if (err) reject(err)
      else resolve(key)
    })
  })
}

/** Hashes a password as `scrypt$<N>$<saltB64>$<hashB64>` with a fresh random salt. */
export async function hashPassword (password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const key = await derive(password, salt, { N: COST, r: 8, p: 1, maxmem: 64 * 1024 * 1024 })
  return `scrypt$${COST}$${salt.toString('base64')}$${key.toString('base64')}`
}

/** True when `password` matches `stored`; a malformed stored value never matches. */
export async function verifyPassword (password: string, stored: string): Promise<boolean> {
  const [scheme, cost, saltB64, hashB64] = stored.split('$')
  const n = Number(cost)
  // Bounds on N keep a tampered row from making one login allocate gigabytes.
  if (scheme !== 'scrypt' || !Number.isInteger(n) || n < 1024 || n > 1 << 20 || (n & (n - 1)) !== 0 ||
      saltB64 === undefined || hashB64 === undefined) {
    return false
  }
  const expected = Buffer.from(hashB64, 'base64')
  if (expected.length !== KEY_LENGTH) return false
  const key = await derive(password, Buffer.from(saltB64, 'base64'), { N: n, r: 8, p: 1, maxmem: 256 * 1024 * 1024 })
  return timingSafeEqual(key, expected)
}

let dummyHash: Promise<string> | undefined

/**
 * A hash to verify against when the username does not exist, so that a wrong username
 * costs as much time as a wrong password and the response time does not reveal which.
 */
export function dummyPasswordHash (): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'))
  return dummyHash
}
