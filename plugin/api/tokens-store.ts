import type { Knex } from 'knex'
import { affected, toMs } from '../db/index.ts'
import type { ApiScope } from './scopes.ts'

type Db = Knex | Knex.Transaction

const tokens = 'lc_api_tokens'
const calls = 'lc_api_calls'

export interface LcApiTokenRow {
  id: number
  name: string
  token_hash: string
  hint: string
  scopes: string
  ip_allow: string
  agent_id: string | null
  agent_name: string | null
  expires_at: number | string | null
  created_by: string
  created_by_name: string
  created_at: number | string
  last_used_at: number | string | null
  last_used_ip: string | null
  revoked_by: string | null
  revoked_by_name: string | null
  revoked_at: number | string | null
}

export interface LcApiCallRow {
  id: number | string
  token_id: number
  method: string
  route: string
  status: number | null
  at: number | string
  duration_ms: number | null
  ip: string
  idempotency_key: string | null
  request_hash: string | null
  response: string | null
  replayed: number | boolean
}

/** A token as its page shows it; never the token itself, which is not kept. */
export interface ApiToken {
  id: number
  name: string
  hint: string
  scopes: ApiScope[]
  /** Canonical CIDR ranges; empty: any address. */
  ipAllow: string[]
  /** The agent it acts as, or null for the integration itself. */
  agent: { id: string, name: string } | null
  expiresAt: number | null
  createdBy: { id: string, name: string }
  createdAt: number
  lastUsedAt: number | null
  lastUsedIp: string | null
  revokedBy: { id: string, name: string } | null
  revokedAt: number | null
}

/** One call made with a token. */
export interface ApiCall {
  id: number
  tokenId: number
  method: string
  route: string
  status: number | null
  at: number
  durationMs: number | null
  ip: string
  idempotencyKey: string | null
  replayed: boolean
}

function words (text: string): string[] {
  return text.split(' ').filter((w) => w !== '')
}

function toToken (row: LcApiTokenRow): ApiToken {
  return {
    id: Number(row.id),
    name: row.name,
    hint: row.hint,
    scopes: words(row.scopes) as ApiScope[],
    ipAllow: words(row.ip_allow),
    agent: row.agent_id === null ? null : { id: row.agent_id, name: row.agent_name ?? row.agent_id },
    expiresAt: toMs(row.expires_at),
    createdBy: { id: row.created_by, name: row.created_by_name },
    createdAt: toMs(row.created_at)!,
    lastUsedAt: toMs(row.last_used_at),
    lastUsedIp: row.last_used_ip,
    revokedBy: row.revoked_by === null ? null : { id: row.revoked_by, name: row.revoked_by_name ?? row.revoked_by },
    revokedAt: toMs(row.revoked_at)
  }
}

function toCall (row: LcApiCallRow): ApiCall {
  return {
    id: Number(row.id),
    tokenId: Number(row.token_id),
    method: row.method,
    route: row.route,
    status: row.status === null ? null : Number(row.status),
    at: toMs(row.at)!,
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    ip: row.ip,
    idempotencyKey: row.idempotency_key,
    replayed: Boolean(row.replayed)
  }
}

export async function insertToken (db: Db, row: Omit<LcApiTokenRow, 'id' | 'last_used_at' | 'last_used_ip' | 'revoked_by' | 'revoked_by_name' | 'revoked_at'>): Promise<number> {
  const [id] = await db(tokens).insert(row)
  return Number(id)
}

export async function getToken (db: Db, id: number): Promise<ApiToken | undefined> {
  const row = await db<LcApiTokenRow>(tokens).where({ id }).first()
  return row ? toToken(row) : undefined
}

export async function tokenByHash (db: Db, hash: string): Promise<ApiToken | undefined> {
  const row = await db<LcApiTokenRow>(tokens).where({ token_hash: hash }).first()
  return row ? toToken(row) : undefined
}

/** Every token, newest first, revoked ones too. */
export async function allTokens (db: Db): Promise<ApiToken[]> {
  const rows = await db<LcApiTokenRow>(tokens).orderBy('id', 'desc')
  return rows.map(toToken)
}

/** Revokes a token not revoked yet; 0 when it was (or does not exist). */
export async function revokeToken (db: Db, id: number, by: { id: string, name: string }, at: number): Promise<number> {
  return affected(await db(tokens).where({ id }).whereNull('revoked_at').update({ revoked_at: at, revoked_by: by.id, revoked_by_name: by.name }))
}

export async function touchToken (db: Db, id: number, at: number, ip: string): Promise<void> {
  await db(tokens).where({ id }).update({ last_used_at: at, last_used_ip: ip })
}

export async function insertCall (db: Db, row: Omit<LcApiCallRow, 'id'>): Promise<number> {
  const [id] = await db(calls).insert(row)
  return Number(id)
}

export async function finishCall (db: Db, id: number, done: { status: number, duration_ms: number, response: string | null }): Promise<void> {
  await db(calls).where({ id }).update(done)
}

export async function deleteCall (db: Db, id: number): Promise<void> {
  await db(calls).where({ id }).delete()
}

/** The call a key was first sent with, and what it was answered. */
export async function callByKey (db: Db, tokenId: number, key: string): Promise<(ApiCall & { requestHash: string | null, response: string | null }) | undefined> {
  const row = await db<LcApiCallRow>(calls).where({ token_id: tokenId, idempotency_key: key }).first()
  return row ? { ...toCall(row), requestHash: row.request_hash, response: row.response } : undefined
}

/** Removes up to `limit` call records made before `before`, oldest first; how many went. */
export async function pruneCalls (db: Db, before: number, limit: number): Promise<number> {
  const ids = (await db<LcApiCallRow>(calls).where('at', '<', before).orderBy('id').limit(limit).select('id')).map((r) => r.id)
  if (ids.length === 0) return 0
  return affected(await db(calls).whereIn('id', ids).delete())
}

/** A token's latest calls, newest first. */
export async function latestCalls (db: Db, tokenId: number, limit: number): Promise<ApiCall[]> {
  const rows = await db<LcApiCallRow>(calls).where({ token_id: tokenId }).orderBy('id', 'desc').limit(limit)
  return rows.map(toCall)
}

export async function getCall (db: Db, id: number): Promise<ApiCall | undefined> {
  const row = await db('lc_api_calls').where({ id }).first()
  return row ? toCall(row) : undefined
}
