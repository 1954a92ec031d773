import type { AgentScope, Chat } from '../chats/types.ts'
import { ChatStatus } from '../chats/types.ts'
import { type Fragment, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import type { Views } from '../web/views.ts'
import { type ManualEventService, type FormState, limits, type ManualEvent } from './service.ts'

export type ManualEventViews = ReturnType<typeof createManualEventViews>

/** What the event routes are given (RouteDeps.events): the service and its views. */
export interface ManualEventsDeps {
  service: ManualEventService
  views: ManualEventViews
}

/** Data for views/manual-events/*: the administration list and forms, and the chat header's Actions menu. */
export function createManualEventViews ({ base, events, views }: { base: string, events: ManualEventService, views: Views }) {
  function newForm (state: FormState = { values: {}, errors: {} }) {
    return { formId: targets.adminNewEvent(), action: `${base}/admin/events`, isNew: true, ...state, limits }
  }

  function editForm (event: ManualEvent, state?: FormState) {
    const values = state?.values ?? { name: event.name, body: event.body, agents_only: event.agentsOnly ? 'on' : '' }
    return { formId: targets.adminEventForm(event.id), action: `${base}/admin/events/${event.id}`, isNew: false, values, errors: state?.errors ?? {}, limits }
  }

  async function list () {
    const all = await events.list()
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
    async menu (chat: Chat, viewer: AgentScope | string) {
      const scope = typeof viewer === 'string' ? { id: viewer, supervise: false, visible: [], activeIn: [], name: '' } : viewer
      if (chat.status !== ChatStatus.active || !events.mayPerform(chat, scope)) return null
      return { base, chatId: chat.id, events: (await events.list()).map((e) => ({ id: e.id, name: e.name, agentsOnly: e.agentsOnly })) }
    },

    async listFragment (): Promise<Fragment> {
      return fragment(targets.adminEvents(), 'outerHTML', views.render('manual-events/list', await list()))
    },

    /** One event's edit form as refused: what was typed and why. */
    editFormFragment (event: ManualEvent, state: FormState): Fragment {
      return fragment(targets.adminEventForm(event.id), 'outerHTML', views.render('manual-events/form', editForm(event, state)))
    },

    newFormFragment (state?: FormState): Fragment {
      return fragment(targets.adminNewEvent(), 'outerHTML', views.render('manual-events/form', newForm(state)))
    }
  }
}
