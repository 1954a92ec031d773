import { targets } from '../realtime/targets.ts'
import { bind } from '../web/fragments.ts'
import type { FormState, FormValues } from '../web/forms.ts'
import { webhookEvents } from './events.ts'
import { type endpointForm, limits } from './schemas.ts'
import type { DeliveryLogEntry, EndpointOverview, WebhookEndpoint, WebhookService } from './service.ts'

/** views/webhooks/form.hbs: the register form, empty or as it was refused. */
export interface EndpointFormModel extends FormState<FormValues<typeof endpointForm>> {
  formId: string
  action: string
  events: Array<{ value: string, label: string, checked: boolean }>
  limits: typeof limits
}

/** views/webhooks/list.hbs: the endpoints, and a notice for each one turned off by its failures. */
export interface EndpointListModel {
  base: string
  items: Array<EndpointOverview & { eventNames: string }>
  turnedOff: EndpointOverview[]
}

/** views/webhooks/secret.hbs: a new endpoint's secret, shown this once. */
export interface SecretModel {
  endpoint: WebhookEndpoint | null
  secret: string | null
}

/** views/webhooks/log.hbs: an endpoint's deliveries and their attempts. */
export interface DeliveryLogModel {
  base: string
  endpoint: WebhookEndpoint
  items: Array<DeliveryLogEntry & { pending: boolean, delivered: boolean, failed: boolean }>
}

export const endpointFormFragment = bind('webhooks/form', 'outerHTML', (m: EndpointFormModel) => m.formId)
export const endpointListFragment = bind('webhooks/list', 'outerHTML', (_m: EndpointListModel) => targets.webhooks())
export const secretFragment = bind('webhooks/secret', 'outerHTML', (_m: SecretModel) => targets.webhookSecret())
export const deliveryLogFragment = bind('webhooks/log', 'outerHTML', (m: DeliveryLogModel) => targets.webhookLog(m.endpoint.id))

export type WebhookViews = ReturnType<typeof createWebhookViews>

/** Data for views/webhooks/*, shared by the pages and the htmx answers. */
export function createWebhookViews ({ base, webhooks }: { base: string, webhooks: Pick<WebhookService, 'endpoints' | 'endpoint' | 'log'> }) {
  function form (state: FormState<FormValues<typeof endpointForm>> = { values: {}, errors: {} }): EndpointFormModel {
    const ticked = state.values.events ?? []
    return {
      formId: targets.webhookForm(),
      action: `${base}/admin/webhooks`,
      values: state.values,
      errors: state.errors,
      events: Object.entries(webhookEvents).map(([value, label]) => ({ value, label, checked: ticked.includes(value) })),
      limits
    }
  }

  async function list (): Promise<EndpointListModel> {
    const items = await webhooks.endpoints()
    return {
      base,
      items: items.map((e) => ({ ...e, eventNames: e.events.join(', ') })),
      turnedOff: items.filter((e) => !e.enabled && e.disabledReason !== null)
    }
  }

  async function log (endpointId: number): Promise<DeliveryLogModel> {
    const endpoint = await webhooks.endpoint(endpointId)
    const items = await webhooks.log(endpointId)
    return { base, endpoint, items: items.map((d) => ({ ...d, pending: d.state === 'pending', delivered: d.state === 'delivered', failed: d.state === 'failed' })) }
  }

  return {
    form,
    list,
    log,
    formFragment: (state?: FormState<FormValues<typeof endpointForm>>) => endpointFormFragment(form(state)),
    listFragment: async () => endpointListFragment(await list()),
    secretFragment: (model: SecretModel) => secretFragment(model),
    logFragment: async (endpointId: number) => deliveryLogFragment(await log(endpointId))
  }
}
