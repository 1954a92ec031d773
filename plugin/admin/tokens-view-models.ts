import { apiScopes, scopeIds } from '../api/scopes.ts'
import type { ApiCall, ApiToken, TokenService } from '../api/tokens-service.ts'
import { targets } from '../realtime/targets.ts'
import { bind } from '../web/fragments.ts'
import type { FormState, FormValues } from '../web/forms.ts'
import { actsAsChoices, tokenExpiries, type tokenForm, tokenLimits } from './tokens-schemas.ts'

type TokenFormState = FormState<FormValues<typeof tokenForm>>

/** views/admin/api-token-form.hbs: the create form, empty or as it was refused. */
export interface TokenFormModel extends TokenFormState {
  formId: string
  action: string
  scopes: Array<{ value: string, label: string, checked: boolean }>
  actsAs: Array<{ value: string, label: string, selected: boolean }>
  expiries: Array<{ value: string, label: string, selected: boolean }>
  limits: typeof tokenLimits
}

/** views/admin/api-tokens.hbs: every token, with its state. */
export interface TokenListModel {
  base: string
  now: number
  items: Array<ApiToken & { state: 'active' | 'revoked' | 'expired', active: boolean, scopeText: string, allowText: string }>
}

/** views/admin/api-token-created.hbs: a new token, shown this once; empty after anything else. */
export interface TokenCreatedModel {
  token?: ApiToken
  secret?: string
}

/** views/admin/api-token.page.hbs: one token and its latest calls. */
export interface TokenPageModel {
  token: TokenListModel['items'][number]
  calls: ApiCall[]
}

export const tokenFormFragment = bind('admin/api-token-form', 'outerHTML', (m: TokenFormModel) => m.formId)
export const tokenListFragment = bind('admin/api-tokens', 'outerHTML', (_m: TokenListModel) => targets.apiTokens())
export const tokenCreatedFragment = bind('admin/api-token-created', 'outerHTML', (_m: TokenCreatedModel) => targets.apiTokenCreated())

export type TokenViews = ReturnType<typeof createTokenViews>

/** Data for the API tokens page, shared by the page and the htmx answers. */
export function createTokenViews ({ base, tokens, clock }: { base: string, tokens: Pick<TokenService, 'list' | 'get' | 'calls'>, clock: () => number }) {
  function form (state: TokenFormState = { values: {}, errors: {} }): TokenFormModel {
    const ticked = state.values.scopes ?? ['chats:read']
    const actsAs = state.values.actsAs || 'integration'
    const expires = state.values.expires || 'never'
    return {
      formId: targets.apiTokenForm(),
      action: `${base}/admin/api-tokens`,
      values: state.values,
      errors: state.errors,
      scopes: scopeIds.map((value) => ({ value, label: apiScopes[value], checked: ticked.includes(value) })),
      actsAs: Object.entries(actsAsChoices).map(([value, label]) => ({ value, label, selected: value === actsAs })),
      expiries: Object.entries(tokenExpiries).map(([value, e]) => ({ value, label: e.label, selected: value === expires })),
      limits: tokenLimits
    }
  }

  function item (token: ApiToken, now: number): TokenListModel['items'][number] {
    const state = token.revokedAt !== null ? 'revoked' : token.expiresAt !== null && token.expiresAt <= now ? 'expired' : 'active'
    return { ...token, state, active: state === 'active', scopeText: token.scopes.join(', '), allowText: token.ipAllow.join(', ') }
  }

  async function list (): Promise<TokenListModel> {
    const now = clock()
    return { base, now, items: (await tokens.list()).map((t) => item(t, now)) }
  }

  async function page (id: number): Promise<TokenPageModel> {
    const [token, calls] = await Promise.all([tokens.get(id), tokens.calls(id)])
    return { token: item(token, clock()), calls }
  }

  return {
    form,
    list,
    page,
    formFragment: (state?: TokenFormState) => tokenFormFragment(form(state)),
    listFragment: async () => tokenListFragment(await list()),
    createdFragment: (created: TokenCreatedModel = {}) => tokenCreatedFragment(created)
  }
}
