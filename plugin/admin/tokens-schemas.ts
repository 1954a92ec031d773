import { readAllowList } from '../api/tokens-service.ts'
import { apiScopes, scopeIds } from '../api/scopes.ts'
import { isCoded } from '../errors.ts'
import { csrfField as csrf, idField } from '../security/schemas.ts'
import { checkboxes, defineForm, select, text } from '../web/forms.ts'

export const tokenLimits = { name: 120, username: 100, ipAllow: 1000 }

/** How long a new token works: the choices of the form's Expires select, in ms (null: until revoked). */
export const tokenExpiries = {
  never: { label: 'Never (until revoked)', ms: null },
  '30d': { label: 'After 30 days', ms: 30 * 86_400_000 },
  '90d': { label: 'After 90 days', ms: 90 * 86_400_000 },
  '365d': { label: 'After a year', ms: 365 * 86_400_000 }
} as const
type TokenExpiry = keyof typeof tokenExpiries

export const actsAsChoices = { integration: 'The integration itself', agent: 'A named agent' } as const

const scopeList = { anyOf: [{ type: 'string', maxLength: 40 }, { type: 'array', maxItems: 10, items: { type: 'string', maxLength: 40 } }] } as const

/** Creating a token. Lengths are caps on the request only: the form's rules say what is wrong beside each field. */
export const tokenBody = {
  $id: 'lc/admin/api-token',
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 1000 },
    scopes: scopeList,
    actsAs: { type: 'string', maxLength: 20 },
    username: { type: 'string', maxLength: 1000 },
    ipAllow: { type: 'string', maxLength: 5000 },
    expires: { type: 'string', maxLength: 20 },
    _csrf: csrf
  }
} as const

export const tokenParams = {
  $id: 'lc/admin/api-token-params',
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: idField }
} as const

/** The allow list's problem as the field says it, or null. */
function allowListProblem (written: string) {
  try {
    readAllowList(written.split('\n'))
    return null
  } catch (err) {
    if (isCoded(err)) return err
    throw err
  }
}

/** The administrator's form: every problem at once, beside its field. The agent's username is looked up by the route. */
export const tokenForm = defineForm({
  name: text({ label: 'Name', required: 'Name the system that will use the token', max: tokenLimits.name }),
  scopes: checkboxes({ label: 'Scopes', options: scopeIds, required: 'Tick at least one scope' }),
  actsAs: select(Object.keys(actsAsChoices), { label: 'Acts as', required: true }),
  username: text({
    label: 'Agent\'s username',
    max: tokenLimits.username,
    check: (v, all) => all.actsAs === 'agent' || v === '' ? null : 'Leave it empty for a token acting as the integration'
  }),
  ipAllow: text({ label: 'Allowed addresses', max: tokenLimits.ipAllow, check: allowListProblem }),
  expires: select(Object.keys(tokenExpiries), { label: 'Expires' })
}, {
  input: (v) => ({
    name: v.name,
    scopes: v.scopes as Array<keyof typeof apiScopes>,
    agentUsername: v.actsAs === 'agent' ? v.username : null,
    ipAllow: v.ipAllow.split('\n'),
    expiresInMs: tokenExpiries[(v.expires || 'never') as TokenExpiry].ms
  })
})
