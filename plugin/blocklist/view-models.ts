import { targets } from '../realtime/targets.ts'
import { bind } from '../web/fragments.ts'
import type { FormState, FormValues } from '../web/forms.ts'
import { type blockForm, expiries, limits } from './schemas.ts'
import type { BlockEntry, BlockEvent, BlocklistService } from './service.ts'

/** views/blocklist/form.hbs: the add form, empty or as it was refused. */
export interface BlockFormModel extends FormState<FormValues<typeof blockForm>> {
  formId: string
  action: string
  expiries: Array<{ value: string, label: string, selected: boolean }>
  limits: typeof limits
}

/** views/blocklist/list.hbs: the entries blocking now. */
export interface BlockListModel {
  base: string
  items: BlockEntry[]
}

/** views/blocklist/history.hbs: who added, removed or let run out which entry, and when. */
export interface BlockHistoryModel {
  items: Array<BlockEvent & { added: boolean, removed: boolean, expired: boolean }>
}

export const blockFormFragment = bind('blocklist/form', 'outerHTML', (m: BlockFormModel) => m.formId)
export const blockListFragment = bind('blocklist/list', 'outerHTML', (_m: BlockListModel) => targets.blocklist())
export const blockHistoryFragment = bind('blocklist/history', 'outerHTML', (_m: BlockHistoryModel) => targets.blocklistHistory())

export type BlocklistViews = ReturnType<typeof createBlocklistViews>

/** Data for views/blocklist/*, shared by the page and the htmx answers. */
export function createBlocklistViews ({ base, blocklist }: { base: string, blocklist: Pick<BlocklistService, 'current' | 'history'> }) {
  function form (state: BlockFormModel | FormState<FormValues<typeof blockForm>> = { values: {}, errors: {} }): BlockFormModel {
    const chosen = state.values.expires || 'never'
    return {
      formId: targets.blocklistForm(),
      action: `${base}/admin/blocklist`,
      values: state.values,
      errors: state.errors,
      expiries: Object.entries(expiries).map(([value, e]) => ({ value, label: e.label, selected: value === chosen })),
      limits
    }
  }

  async function list (): Promise<BlockListModel> {
    return { base, items: await blocklist.current() }
  }

  async function history (): Promise<BlockHistoryModel> {
    const events = await blocklist.history()
    return { items: events.map((e) => ({ ...e, added: e.action === 'added', removed: e.action === 'removed', expired: e.action === 'expired' })) }
  }

  return {
    form,
    list,
    history,
    formFragment: (state?: FormState<FormValues<typeof blockForm>>) => blockFormFragment(form(state)),
    listFragment: async () => blockListFragment(await list()),
    historyFragment: async () => blockHistoryFragment(await history())
  }
}
