import type { AgentScope, Chat } from '../chats/types.ts'
import { ChatStatus } from '../chats/types.ts'
import { targets } from '../realtime/targets.ts'
import { bind, type Fragment } from '../web/fragments.ts'
import type { FormState, FormValues } from '../web/forms.ts'
import { type eventForm, limits } from './schemas.ts'
import type { ManualEvent, ManualEventService } from './service.ts'

/** The event form's state: what was typed and why it was refused, or what is stored. */
export type EventFormState = FormState<FormValues<typeof eventForm>>

/** views/manual-events/form.hbs: a new event, or one event's edit form. */
export interface ManualEventFormModel extends EventFormState {
  formId: string
  action: string
  isNew: boolean
  limits: typeof limits
}

/** views/manual-events/list.hbs: the administrator's list, each event with its edit form. */
export interface ManualEventListModel {
  base: string
  items: Array<{ event: ManualEvent, first: boolean, last: boolean, form: ManualEventFormModel }>
}

/** views/manual-events/menu.hbs: a chat header's Actions menu. */
export interface ActionsMenuModel {
  base: string
  chatId: number
  events: Array<{ id: number, name: string, agentsOnly: boolean }>
}

export const manualEventFormFragment = bind('manual-events/form', 'outerHTML', (m: ManualEventFormModel) => m.formId)
export const manualEventListFragment = bind('manual-events/list', 'outerHTML', (_m: ManualEventListModel) => targets.adminEvents())

export type ManualEventViews = ReturnType<typeof createManualEventViews>

/** Data for views/manual-events/*: the administration list and forms, and the chat header's Actions menu. */
export function createManualEventViews ({ base, manualEvents }: { base: string, manualEvents: Pick<ManualEventService, 'list' | 'mayPerform'> }) {
  function newForm (state: EventFormState = { values: {}, errors: {} }): ManualEventFormModel {
    return { formId: targets.adminNewEvent(), action: `${base}/admin/events`, isNew: true, ...state, limits }
  }

  function editForm (event: ManualEvent, state?: EventFormState): ManualEventFormModel {
    const values = state?.values ?? { name: event.name, body: event.body, agents_only: event.agentsOnly }
    return { formId: targets.adminEventForm(event.id), action: `${base}/admin/events/${event.id}`, isNew: false, values, errors: state?.errors ?? {}, limits }
  }

  async function list (): Promise<ManualEventListModel> {
    const all = await manualEvents.list()
    return {
      base,
      items: all.map((event, i) => ({
        event,
        first: i === 0,
        last: i === all.length - 1,
        form: editForm(event)
      }))
    }
  }

  return {
    newForm,
    list,

    /**
     * The Actions menu of a chat's header: for its agent and supervisors watching an active
     * chat, else null (no menu at all). An empty list still shows the menu, saying so.
     */
    async menu (chat: Chat, viewer: AgentScope | string): Promise<ActionsMenuModel | null> {
      const scope = typeof viewer === 'string' ? { id: viewer, supervise: false, visible: [], activeIn: [], name: '' } : viewer
      if (chat.status !== ChatStatus.active || !manualEvents.mayPerform(chat, scope)) return null
      return { base, chatId: chat.id, events: (await manualEvents.list()).map((e) => ({ id: e.id, name: e.name, agentsOnly: e.agentsOnly })) }
    },

    async listFragment (): Promise<Fragment> {
      return manualEventListFragment(await list())
    },

    /** One event's edit form as refused: what was typed and why. */
    editFormFragment (event: ManualEvent, state: EventFormState): Fragment {
      return manualEventFormFragment(editForm(event, state))
    },

    /** The new event form: empty after a create, or as refused. */
    newFormFragment (state?: EventFormState): Fragment {
      return manualEventFormFragment(newForm(state))
    }
  }
}
