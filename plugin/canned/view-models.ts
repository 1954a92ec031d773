import type { Chat } from '../chats/types.ts'
import { targets } from '../realtime/targets.ts'
import type { Group, RoutingService } from '../routing/service.ts'
import { type CannedErrors, type CannedManager, type CannedReply, cannedLimits, cannedVariables, fillReply, mayManage } from './service.ts'

export type CannedViews = ReturnType<typeof createCannedViews>

/** A form as typed and the problems beside its fields, for re-rendering a refused one. */
export interface CannedFormState { values: Record<string, string>, errors: CannedErrors }

const variables = cannedVariables.map((v) => `{{${v}}}`)
const empty = (): CannedFormState => ({ values: {}, errors: {} })

/**
 * Data for views/canned/: the management page's scopes and forms, and the suggestions
 * under an agent's reply box, shared by the page and the htmx answers.
 */
export function createCannedViews ({ base, routing }: { base: string, routing: RoutingService }) {
  const groupLabel = (g: Group): string => `${g.departmentName} / ${g.name}`

  /** The groups whose replies this manager sees on the page, by department and name. */
  async function managedGroups (manager: CannedManager): Promise<Group[]> {
    const groups = (await routing.groups()).filter((g) => mayManage(manager, g.id))
    return groups.sort((a, b) => groupLabel(a).localeCompare(groupLabel(b)))
  }

  function editForm (reply: CannedReply, state?: CannedFormState) {
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

  async function newForm (manager: CannedManager, state: CannedFormState = empty()) {
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

  function scopeModel (manager: CannedManager, group: Group | null, replies: CannedReply[]) {
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
    async scope (manager: CannedManager, groupId: number | null, replies: CannedReply[]) {
      const group = groupId === null ? null : (await routing.groups()).find((g) => g.id === groupId) ?? null
      return scopeModel(manager, group, replies)
    },

    /**
     * The options under the reply box (`menu`) or in the Insert list (`picker`): each
     * carries its text with this chat's values filled in, ready to go into the box.
     */
    async options (chat: Chat, agentName: string, replies: CannedReply[], q: string, mode: 'menu' | 'picker') {
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
