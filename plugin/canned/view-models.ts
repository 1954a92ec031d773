import type { Chat } from '../chats/types.ts'
import { targets } from '../realtime/targets.ts'
import type { Group, RoutingService } from '../routing/service.ts'
import { bind } from '../web/fragments.ts'
import type { FormState } from '../web/forms.ts'
import { cannedLimits } from './schemas.ts'
import { type CannedManager, type CannedReply, mayManage } from './service.ts'
import { fillReply, writtenVariables as variables } from './variables.ts'

/**
 * A reply's form as typed and the problems beside its fields, for re-rendering a refused one.
 * `scope` is the new reply form's "Offered to" choice.
 */
export type CannedFormState = FormState<{ scope: string, title: string, shortcut: string, body: string }>

/** views/canned/form.hbs: the new reply form (with its scopes), or one reply's edit form. */
export interface CannedFormModel extends CannedFormState {
  formId: string
  action: string
  isNew: boolean
  scopes?: Array<{ value: string, label: string, selected: boolean }>
  limits: typeof cannedLimits
  variables: string[]
}

/** views/canned/scope.hbs: one scope's replies (global, or one group's). */
export interface CannedScopeModel {
  id: string
  label: string
  hint: string
  editable: boolean
  replies: Array<CannedReply & { form: CannedFormModel, deleteUrl: string }>
}

/** views/canned/options.hbs and picker.hbs: the replies an agent may insert into a chat's reply box. */
export interface CannedOptionsModel {
  chatId: number
  url: string
  searchId: string
  wrapperId: string
  listboxId: string
  mode: 'menu' | 'picker'
  q: string
  options: Array<{ optionId: string, title: string, shortcut: string, scopeLabel: string | null, text: string, selected: boolean }>
  empty: string | null
}

export const cannedScopeFragment = bind('canned/scope', 'outerHTML', (m: CannedScopeModel) => m.id)
export const cannedFormFragment = bind('canned/form', 'outerHTML', (m: CannedFormModel) => m.formId)
/** The suggestions under the reply box, as the agent types a /shortcut. */
export const cannedMenuFragment = bind('canned/options', 'innerHTML', (m: CannedOptionsModel) => targets.canned(m.chatId))
/** The Insert canned reply list: a search box over the options. */
export const cannedPickerFragment = bind('canned/picker', 'innerHTML', (m: CannedOptionsModel) => targets.canned(m.chatId))
/** Only the options, as the picker's search box narrows them. */
export const cannedOptionsFragment = bind('canned/options', 'outerHTML', (m: CannedOptionsModel) => targets.cannedOptions(m.chatId))

export type CannedViews = ReturnType<typeof createCannedViews>

const empty = (): CannedFormState => ({ values: {}, errors: {} })

/**
 * Data for views/canned/: the management page's scopes and forms, and the suggestions
 * under an agent's reply box, shared by the page and the htmx answers.
 */
export function createCannedViews ({ base, routing }: { base: string, routing: Pick<RoutingService, 'groups'> }) {
  const groupLabel = (g: Group): string => `${g.departmentName} / ${g.name}`

  /** The groups whose replies this manager sees on the page, by department and name. */
  async function managedGroups (manager: CannedManager): Promise<Group[]> {
    const groups = (await routing.groups()).filter((g) => mayManage(manager, g.id))
    return groups.sort((a, b) => groupLabel(a).localeCompare(groupLabel(b)))
  }

  function editForm (reply: CannedReply, state?: CannedFormState): CannedFormModel {
    return {
      formId: targets.cannedForm(reply.id),
      action: `${base}/console/canned/${reply.id}`,
      isNew: false,
      values: state?.values ?? { title: reply.title, shortcut: `/${reply.shortcut}`, body: reply.body },
      errors: state?.errors ?? {},
      limits: cannedLimits,
      variables
    }
  }

  async function newForm (manager: CannedManager, state: CannedFormState = empty()): Promise<CannedFormModel> {
    const scopes = [
      ...(manager.admin ? [{ value: 'global', label: 'Global: every agent' }] : []),
      ...(await managedGroups(manager)).map((g) => ({ value: String(g.id), label: groupLabel(g) }))
    ]
    const chosen = state.values.scope ?? scopes[0]?.value
    return {
      formId: targets.cannedNew(),
      action: `${base}/console/canned`,
      isNew: true,
      scopes: scopes.map((s) => ({ ...s, selected: s.value === chosen })),
      values: state.values,
      errors: state.errors,
      limits: cannedLimits,
      variables
    }
  }

  function scopeModel (manager: CannedManager, group: Group | null, replies: CannedReply[]): CannedScopeModel {
    const groupId = group?.id ?? null
    const editable = mayManage(manager, groupId)
    return {
      id: targets.cannedScope(groupId ?? 0),
      label: group ? groupLabel(group) : 'Global',
      hint: group ? `Offered to the agents of ${group.name}.` : editable ? 'Offered to every agent.' : 'Offered to every agent; only administrators change them.',
      editable,
      replies: replies.filter((r) => r.groupId === groupId).map((r) => ({
        ...r,
        form: editForm(r),
        deleteUrl: `${base}/console/canned/${r.id}/delete`
      }))
    }
  }

  return {
    editForm,
    newForm,

    /** The page: the global scope, then each group the manager looks after. */
    async page (manager: CannedManager, replies: CannedReply[]) {
      const groups = await managedGroups(manager)
      return {
        scopes: [scopeModel(manager, null, replies), ...groups.map((g) => scopeModel(manager, g, replies))],
        newForm: await newForm(manager),
        variables
      }
    },

    /** One scope's section, after a change in it. */
    async scope (manager: CannedManager, groupId: number | null, replies: CannedReply[]): Promise<CannedScopeModel> {
      const group = groupId === null ? null : (await routing.groups()).find((g) => g.id === groupId) ?? null
      return scopeModel(manager, group, replies)
    },

    /**
     * The options under the reply box (`menu`) or in the Insert list (`picker`): each
     * carries its text with this chat's values filled in, ready to go into the box.
     */
    async options (chat: Chat, agentName: string, replies: CannedReply[], q: string, mode: 'menu' | 'picker'): Promise<CannedOptionsModel> {
      const groups = new Map((await routing.groups()).map((g) => [g.id, g.name]))
      const values = { 'customer.name': chat.customerName, 'customer.email': chat.customerEmail, 'agent.name': agentName, 'chat.number': String(chat.id) }
      const options = replies.map((r, i) => ({
        optionId: targets.cannedOption(chat.id, r.id),
        title: r.title,
        shortcut: r.shortcut,
        scopeLabel: r.groupId === null ? null : groups.get(r.groupId) ?? null,
        text: fillReply(r.body, values),
        selected: i === 0
      }))
      const typed = q.trim()
      return {
        chatId: chat.id,
        url: `${base}/console/chats/${chat.id}/canned`,
        searchId: targets.cannedSearch(chat.id),
        wrapperId: targets.cannedOptions(chat.id),
        listboxId: targets.cannedListbox(chat.id),
        mode,
        q: typed,
        options,
        empty: options.length > 0 ? null : typed ? `No canned reply matches “${typed}”` : 'There are no canned replies for your groups yet; a supervisor can add them'
      }
    }
  }
}
