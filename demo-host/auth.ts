import { createHash, randomBytes } from 'node:crypto'
import type { Knex } from 'knex'
import { dummyPasswordHash, verifyPassword } from './passwords.ts'

export const sessionCookie = 'hd_session'
export const sessionTtlMs = 12 * 60 * 60 * 1000

export interface DeskUser {
  id: number
  username: string
  name: string
  email: string
  roles: string[]
}

const staffRoles = new Set(['agent', 'supervisor', 'admin'])

export function isStaff (user: DeskUser | null): boolean {
  return user !== null && user.roles.some((r) => staffRoles.has(r))
}

export function isAdmin (user: DeskUser | null): boolean {
  return user !== null && user.roles.includes('admin')
}

/** Where a user lands after signing in or opening `/`. */
export function homeFor (user: DeskUser): string {
  return isStaff(user) ? '/desk' : '/portal'
}

export function hashToken (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

function toUser (row: Record<string, unknown>): DeskUser {
  return {
    id: Number(row.id),
    username: String(row.username),
    name: String(row.name),
    email: String(row.email),
    roles: String(row.roles ?? '').split(/\s+/).filter(Boolean)
  }
}

/** The user whose username and password match, or null; a miss costs as long as a wrong password. */
export async function checkCredentials (knex: Knex, username: string, password: string): Promise<DeskUser | null> {
  const row = await knex('users').where({ username }).first('id', 'username', 'name', 'email', 'roles', 'password_hash')
  if (!row) {
    await verifyPassword(password, await dummyPasswordHash())
    return null
  }
  return await verifyPassword(password, String(row.password_hash)) ? toUser(row) : null
}

/** Starts a session and returns the raw token for the cookie; only its hash is stored. */
export async function createSession (knex: Knex, userId: number, now = Date.now()): Promise<string> {
  const token = randomBytes(32).toString('base64url')
  // Expired sessions are removed here rather than by a job: logins are frequent enough.
  await knex('sessions').where('expires_at', '<', now).delete()
  await knex('sessions').insert({ token_hash: hashToken(token), user_id: userId, expires_at: now + sessionTtlMs, created_at: now })
  return token
}

export async function sessionUser (knex: Knex, token: string | undefined, now = Date.now()): Promise<DeskUser | null> {
  // A real token is 43 characters; anything far off is not worth a query.
  if (!token || token.length > 128) return null
  const row = await knex('sessions as s')
    .join('users as u', 'u.id', 's.user_id')
    .where('s.token_hash', hashToken(token))
    .andWhere('s.expires_at', '>', now)
    .first('u.id', 'u.username', 'u.name', 'u.email', 'u.roles')
  return row ? toUser(row) : null
}

export async function deleteSession (knex: Knex, token: string | undefined): Promise<void> {
  if (token) await knex('sessions').where({ token_hash: hashToken(token) }).delete()
}

/**
 * `next` after login, only when it is a path on this site: one leading `/`, not `//` or
 * `/\` (both mean another host to a browser), and no control characters.
 */
export function safeNext (next: unknown): string | null {
  if (typeof next !== 'string' || next.length > 500) return null
  if (!/^\/(?![/\\])/.test(next)) return null
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return null
  return next
}
