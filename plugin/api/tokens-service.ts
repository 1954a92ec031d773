import { createHash, randomBytes } from 'node:crypto'
import type { Knex } from 'knex'
import { clientAddress, matcher, parseRange, readRange } from '../blocklist/ranges.ts'
import { isUniqueViolation } from '../db/index.ts'
import {
  LC_ERR_API_ADDRESS, LC_ERR_API_IDEMPOTENCY_BUSY, LC_ERR_API_IDEMPOTENCY_REUSED, LC_ERR_API_RANGE, LC_ERR_API_TOKEN,
  LC_ERR_API_TOKEN_ALREADY_REVOKED, LC_ERR_API_TOKEN_EXPIRED, LC_ERR_API_TOKEN_NOT_FOUND, LC_ERR_API_TOKEN_REVOKED
} from '../errors.ts'
import type { ApiScope } from './scopes.ts'
import type { AuditService } from '../audit/service.ts'
import * as store from './tokens-store.ts'
import type { ApiCall, ApiToken } from './tokens-store.ts'

export type { ApiCall, ApiToken } from './tokens-store.ts'

/** How many calls a token's page lists. */
export const callsShown = 100
/** Call records removed per DELETE by the api-calls job. */
export const pruneBatch = 1000
/** last_used_at is written at most this often per token: not one more write on every call. */
export const touchEveryMs = 60_000

/** A token to create, as the administrator's form gives it. */
export interface NewToken {
  name: string
  scopes: ApiScope[]
  /** Addresses and ranges as written, one each; empty: any address. */
  ipAllow: string[]
  agent: { id: string, name: string } | null
  expiresInMs: number | null
}

/** Who creates or revokes a token: the administrator's host user id and name, and the address they act from (the audit log). */
export interface Changer { id: string, name: string, ip?: string | null }

/** A call being recorded: who, what, from where. */
export interface CallStart {
  tokenId: number
  method: string
  route: string
  ip: string
  at: number
}

/** What a repeated Idempotency-Key is answered with: the first call's status and JSON. */
export interface Replay { status: number, body: string }

/**
 * API tokens (docs/features.md#api-tokens) and the record of every call made with one.
 * A token is 32 random bytes; only its SHA-256 is kept. A fast hash is enough here, unlike
 * for passwords: a 256-bit random secret cannot be guessed from its hash by trying words, and
 * a fast hash lets every call find its token by an index.
 */
export interface TokenService {
  /** Creates a token; the token itself is in the answer and nowhere else. Throws LC_ERR_API_RANGE for a bad allow list. */
  create (input: NewToken, by: Changer): Promise<{ token: ApiToken, secret: string }>
  /** Every token, newest first, revoked ones too. */
  list (): Promise<ApiToken[]>
  /** One token; throws LC_ERR_API_TOKEN_NOT_FOUND. */
  get (id: number): Promise<ApiToken>
  /** Revokes a token at once on every instance (each call reads it); throws LC_ERR_API_TOKEN_NOT_FOUND or _ALREADY_REVOKED naming who did. */
  revoke (id: number, by: Changer): Promise<ApiToken>
  /**
   * The token an Authorization header carries, checked: refused with LC_ERR_API_TOKEN (none, unknown),
   * LC_ERR_API_TOKEN_REVOKED, LC_ERR_API_TOKEN_EXPIRED or LC_ERR_API_ADDRESS (not from its allow list). A refused
   * token that exists is returned beside the error, so the refusal is recorded against it.
   */
  authenticate (authorization: string | undefined, ip: string): Promise<{ token: ApiToken } | { token: ApiToken | null, error: Error }>
  /** Records a finished call. */
  record (call: CallStart & { status: number, durationMs: number, replayed?: boolean }): Promise<void>
  /**
   * Starts a call sent with an Idempotency-Key: a new key is recorded as being answered (the id to finish it with);
   * a key already answered for the same request gives its answer again; throws LC_ERR_API_IDEMPOTENCY_REUSED for a
   * different request, LC_ERR_API_IDEMPOTENCY_BUSY while the first is still being answered.
   */
  beginKeyed (call: CallStart, key: string, requestHash: string): Promise<{ callId: number } | { replay: Replay }>
  /** Keeps the answer of a keyed call, to be replayed. */
  finishKeyed (callId: number, status: number, body: string, durationMs: number): Promise<void>
  /** Forgets a keyed call that failed on our side, so sending it again does it again. */
  abandonKeyed (callId: number): Promise<void>
  /** A token's latest calls, newest first. */
  calls (tokenId: number): Promise<ApiCall[]>
  /** The api-calls job: removes call records made before `before`, in batches; how many went. */
  pruneCalls (before: number): Promise<number>
}

export interface TokenServiceDeps {
  db: Knex
  clock: () => number
  /**
   * The audit log (docs/features.md#audit-log): tokens created and revoked, and every call
   * made with a token that asks for a change (not GET or HEAD), under the token's name.
   */
  audit?: Pick<AuditService, 'record'>
}

/** What the audit log keeps of a token: never its secret or hash. */
function tokenState (t: ApiToken) {
  return { name: t.name, scopes: t.scopes, ipAllow: t.ipAllow, agent: t.agent?.name ?? null, expiresAt: t.expiresAt === null ? null : new Date(t.expiresAt).toISOString(), revoked: t.revokedAt !== null }
}

const reads = new Set(['GET', 'HEAD', 'OPTIONS'])

/** The hex SHA-256 of a token, as it is kept. */
export function tokenHash (secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

/** An allow list as written (one a line) in canonical ranges; throws LC_ERR_API_RANGE naming the first bad one. */
export function readAllowList (lines: string[]): string[] {
  const out: string[] = []
  for (const line of lines.map((l) => l.trim()).filter((l) => l !== '')) {
    const range = parseRange(line)
    if ('problem' in range) {
      const why = range.problem === 'host-bits' ? `${line} has bits set past its prefix (did you mean ${range.canonical}?)` : range.problem === 'wide' ? `${line} is too wide` : `${line} is not an address or range`
      throw new LC_ERR_API_RANGE(why.slice(0, 120))
    }
    if (!out.includes(range.text)) out.push(range.text)
  }
  return out
}

const bearer = /^Bearer ([A-Za-z0-9_-]{20,200})$/

export function createTokenService ({ db, clock, audit }: TokenServiceDeps): TokenService {
  async function get (id: number): Promise<ApiToken> {
    const token = await store.getToken(db, id)
    if (!token) throw new LC_ERR_API_TOKEN_NOT_FOUND()
    return token
  }

  /** A call that asked for a change, in the audit log under its token's name (its id standing for a user id, so Who can pick it). */
  async function auditCall (call: { tokenId: number, method: string, route: string, ip: string, status: number | null, replayed?: boolean }): Promise<void> {
    if (!audit || reads.has(call.method)) return
    const token = await store.getToken(db, call.tokenId)
    await audit.record(db, { id: `token:${call.tokenId}`, name: `API token ${token?.name ?? call.tokenId}`, ip: call.ip }, {
      action: 'api.call', subject: `${call.method} ${call.route}`, subjectId: call.tokenId, after: { status: call.status, replayed: call.replayed === true }
    })
  }

  return {
    async create (input, by) {
      const ipAllow = readAllowList(input.ipAllow)
      const secret = `lc_${randomBytes(32).toString('base64url')}`
      const now = clock()
      const id = await db.transaction(async (trx) => {
        const id = await store.insertToken(trx, {
          name: input.name.slice(0, 120),
          token_hash: tokenHash(secret),
          hint: secret.slice(0, 9),
          scopes: input.scopes.join(' '),
          ip_allow: ipAllow.join(' '),
          agent_id: input.agent?.id.slice(0, 64) ?? null,
          agent_name: input.agent?.name.slice(0, 120) ?? null,
          expires_at: input.expiresInMs === null ? null : now + input.expiresInMs,
          created_by: by.id.slice(0, 64),
          created_by_name: by.name.slice(0, 120),
          created_at: now
        })
        const token = (await store.getToken(trx, id))!
        await audit?.record(trx, by, { action: 'token.created', subject: `API token ${token.name}`, subjectId: id, after: tokenState(token) })
        return id
      })
      return { token: await get(id), secret }
    },

    list: async () => await store.allTokens(db),
    get,

    async revoke (id, by) {
      return await db.transaction(async (trx) => {
        const changed = await store.revokeToken(trx, id, { id: by.id.slice(0, 64), name: by.name.slice(0, 120) }, clock())
        const token = await store.getToken(trx, id)
        if (!token) throw new LC_ERR_API_TOKEN_NOT_FOUND()
        if (changed === 0) throw new LC_ERR_API_TOKEN_ALREADY_REVOKED(token.revokedBy?.name ?? 'someone')
        await audit?.record(trx, by, { action: 'token.revoked', subject: `API token ${token.name}`, subjectId: id, before: { ...tokenState(token), revoked: false }, after: tokenState(token) })
        return token
      })
    },

    async authenticate (authorization, ip) {
      const secret = bearer.exec(authorization ?? '')?.[1]
      if (secret === undefined) return { token: null, error: new LC_ERR_API_TOKEN() }
      const token = await store.tokenByHash(db, tokenHash(secret))
      if (!token) return { token: null, error: new LC_ERR_API_TOKEN() }
      const now = clock()
      if (token.revokedAt !== null) return { token, error: new LC_ERR_API_TOKEN_REVOKED(token.revokedBy?.name ?? 'an administrator') }
      if (token.expiresAt !== null && token.expiresAt <= now) return { token, error: new LC_ERR_API_TOKEN_EXPIRED(new Date(token.expiresAt).toISOString()) }
      if (token.ipAllow.length > 0) {
        const client = clientAddress(ip)
        if (!client || !token.ipAllow.some((r) => matcher(readRange(r))(client))) return { token, error: new LC_ERR_API_ADDRESS(ip.slice(0, 45)) }
      }
      if (token.lastUsedAt === null || now - token.lastUsedAt >= touchEveryMs || token.lastUsedIp !== ip) {
        await store.touchToken(db, token.id, now, ip.slice(0, 45))
      }
      return { token }
    },

    async record (call) {
      await store.insertCall(db, {
        token_id: call.tokenId,
        method: call.method,
        route: call.route.slice(0, 200),
        status: call.status,
        at: call.at,
        duration_ms: call.durationMs,
        ip: call.ip.slice(0, 45),
        idempotency_key: null,
        request_hash: null,
        response: null,
        replayed: call.replayed === true
      })
      await auditCall(call)
    },

    async beginKeyed (call, key, requestHash) {
      const row = {
        token_id: call.tokenId,
        method: call.method,
        route: call.route.slice(0, 200),
        status: null,
        at: call.at,
        duration_ms: null,
        ip: call.ip.slice(0, 45),
        idempotency_key: key,
        request_hash: requestHash,
        response: null,
        replayed: false
      }
      try {
        return { callId: await store.insertCall(db, row) }
      } catch (err) {
        // The unique (token, key) index decides between two calls racing with one key.
        if (!isUniqueViolation(err)) throw err
      }
      const first = await store.callByKey(db, call.tokenId, key)
      if (!first) return await this.beginKeyed(call, key, requestHash)
      if (first.requestHash !== requestHash) throw new LC_ERR_API_IDEMPOTENCY_REUSED(key.slice(0, 60))
      if (first.status === null || first.response === null) throw new LC_ERR_API_IDEMPOTENCY_BUSY(key.slice(0, 60))
      return { replay: { status: first.status, body: first.response } }
    },

    async finishKeyed (callId, status, body, durationMs) {
      await store.finishCall(db, callId, { status, duration_ms: durationMs, response: body })
      const call = await store.getCall(db, callId)
      if (call) await auditCall(call)
    },

    async abandonKeyed (callId) {
      await store.deleteCall(db, callId)
    },

    calls: async (tokenId) => await store.latestCalls(db, tokenId, callsShown),

    async pruneCalls (before) {
      // Batches keep each DELETE short: a busy desk's first run may have months of calls to remove.
      let total = 0
      for (;;) {
        const n = await store.pruneCalls(db, before, pruneBatch)
        total += n
        if (n < pruneBatch) return total
      }
    }
  }
}
