import { createPublicKey, type KeyObject } from 'node:crypto'
import { errors as jose, jwtVerify, type JWTPayload } from 'jose'
import {
  LC_ERR_IDENTITY_AUDIENCE, LC_ERR_IDENTITY_CLAIMS, LC_ERR_IDENTITY_EXPIRED, LC_ERR_IDENTITY_OFF, LC_ERR_IDENTITY_SIGNATURE
} from '../errors.ts'
import type { HostAdapter, HostUser } from '../host/adapter.ts'
import type { Settings } from '../settings.ts'
import { compiledOnUse, createAjv } from '../validation.ts'

/** Who a verified identity token says the customer is (docs/features.md#verified-customer-identity). */
export interface VerifiedIdentity {
  /** The portal's own id for the customer (`sub`). */
  id: string
  name: string
  email: string
  /** The help desk's user with that id, when there is one: the chat is linked to them. */
  user: HostUser | null
}

/** A refused token's coded error: what the customer reads, and why for the log and the tests. */
export type IdentityRefusal = Error & { code: string, statusCode: number }

export type IdentityCheck = { verified: VerifiedIdentity, refused: null } | { verified: null, refused: IdentityRefusal }

/** The verified customer identity (docs/features.md#verified-customer-identity): a signed token, checked. */
export interface IdentityService {
  /**
   * Verifies an identity token: HS256 with identitySecret, or RS256 / ES256 with
   * identityPublicKey; `aud` is identityAudience, `iss` identityIssuer when set; `exp` and `iat`
   * are required, the token may live at most an hour, and 60 seconds of clock skew are allowed.
   * Never throws for a bad token: a refusal says why, and the chat goes on as a visitor.
   */
  check (token: string): Promise<IdentityCheck>
}

/** The longest a token may live from `iat`, and the clock skew forgiven either way (docs/widget.md). */
export const identityRules = { maxAgeSeconds: 3600, clockToleranceSeconds: 60 } as const

/** The claims a token must carry besides the registered ones checked by jose. */
const claimsSchema = {
  type: 'object',
  required: ['sub', 'name', 'email'],
  properties: {
    sub: { type: 'string', minLength: 1, maxLength: 64 },
    name: { type: 'string', minLength: 1, maxLength: 120, pattern: '\\S' },
    email: { type: 'string', format: 'email', maxLength: 200 }
  }
} as const
const validClaims = compiledOnUse(createAjv(), claimsSchema)

/**
 * A PEM as pasted into a one-line settings field loses its line breaks: the base64 body is
 * wrapped again, so the key reads the same either way.
 */
export function normalisePem (text: string): string {
  const match = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(text.trim())
  if (!match) return text.trim()
  const body = match[2]!.replace(/\s+/g, '')
  return `-----BEGIN ${match[1]}-----\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${match[1]}-----\n`
}

/** The public key and the one algorithm it allows: RS256 for RSA, ES256 for P-256; null for anything else. */
function publicKeyOf (pem: string): { key: KeyObject, alg: 'RS256' | 'ES256' } | null {
  try {
    const key = createPublicKey(normalisePem(pem))
    if (key.asymmetricKeyType === 'rsa') return { key, alg: 'RS256' }
    if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { key, alg: 'ES256' }
    return null
  } catch {
    return null
  }
}

/** jose's reason, told as the customer's coded error. */
function refusal (err: unknown): IdentityRefusal {
  if (err instanceof jose.JWTExpired) return new LC_ERR_IDENTITY_EXPIRED()
  if (err instanceof jose.JWTClaimValidationFailed) {
    if (err.claim === 'aud' || err.claim === 'iss') return new LC_ERR_IDENTITY_AUDIENCE(`its ${err.claim} is not the one this desk expects`)
    // An iat too far back (maxTokenAge) is an expired token; a missing exp or iat is a claim missing.
    if (err.claim === 'iat' && err.reason === 'check_failed') return new LC_ERR_IDENTITY_EXPIRED()
    return new LC_ERR_IDENTITY_CLAIMS(`${err.claim}: ${err.message}`.slice(0, 120))
  }
  if (err instanceof jose.JOSEAlgNotAllowed) return new LC_ERR_IDENTITY_SIGNATURE('it is signed with an algorithm this desk does not accept')
  if (err instanceof jose.JWSSignatureVerificationFailed) return new LC_ERR_IDENTITY_SIGNATURE('its signature does not match')
  return new LC_ERR_IDENTITY_SIGNATURE('it is not a signed token this desk can read')
}

export function createIdentityService ({ settings, host }: {
  settings: Pick<Settings, 'identitySecret' | 'identityPublicKey' | 'identityIssuer' | 'identityAudience'>
  host: Pick<HostAdapter, 'getUser'>
}): IdentityService {
  // The key is read from the settings on each check (an administrator may change it at any
  // time) and parsed again only when its text changed.
  let parsed: { pem: string, key: ReturnType<typeof publicKeyOf> } | undefined
  const publicKey = () => {
    if (parsed?.pem !== settings.identityPublicKey) parsed = { pem: settings.identityPublicKey, key: publicKeyOf(settings.identityPublicKey) }
    return parsed.key
  }

  return {
    async check (token) {
      const secret = settings.identitySecret
      const asymmetric = settings.identityPublicKey === '' ? null : publicKey()
      if (secret === '' && asymmetric === null) return { verified: null, refused: new LC_ERR_IDENTITY_OFF() }
      // Only the algorithms of the keys that are set: a token saying `none`, or HS256 signed
      // with the public key's text as its secret, never reaches a key it could fool.
      const algorithms = [...(secret === '' ? [] : ['HS256']), ...(asymmetric ? [asymmetric.alg] : [])]
      let payload: JWTPayload
      try {
        ({ payload } = await jwtVerify(token, async (header) => header.alg === 'HS256' ? new TextEncoder().encode(secret) : asymmetric!.key, {
          algorithms,
          audience: settings.identityAudience,
          ...(settings.identityIssuer === '' ? {} : { issuer: settings.identityIssuer }),
          requiredClaims: ['exp', 'iat', 'sub'],
          maxTokenAge: identityRules.maxAgeSeconds,
          clockTolerance: identityRules.clockToleranceSeconds
        }))
      } catch (err) {
        return { verified: null, refused: refusal(err) }
      }
      if (!validClaims(payload)) {
        const problem = validClaims.errors?.[0]
        return { verified: null, refused: new LC_ERR_IDENTITY_CLAIMS(`${problem?.instancePath.slice(1) || 'sub, name and email'} ${problem?.message ?? ''}`.trim()) }
      }
      const { sub, name, email } = payload as unknown as { sub: string, name: string, email: string }
      // A portal whose customers are the desk's own users links the chat to the user, so the
      // agent sees their tickets (docs/features.md#verified-customer-identity).
      const user = await host.getUser(sub).catch(() => null) ?? null
      return { verified: { id: sub, name: name.trim(), email, user }, refused: null }
    }
  }
}
