import type { Answers } from './web/answers.ts'
import type { ChatService } from './chats/service.ts'
import type { ConsoleViews } from './console/view-models.ts'
import type { CustomerService } from './customer/service.ts'
import type { CustomerViews } from './customer/view-models.ts'
import type { DeflectionService } from './deflections/service.ts'
import type { FieldService } from './fields/service.ts'
import type { FieldViews } from './fields/view-models.ts'
import type { Manifest } from './manifest.ts'
import type { Settings } from './settings.ts'
import type { PreferenceService } from './preferences/service.ts'
import type { Hub } from './realtime/hub.ts'
import type { RoutingService } from './routing/service.ts'
import type { Access } from './security/access.ts'
import type { SurveyViews } from './surveys/view-models.ts'
import type { Views } from './web/views.ts'

/** What every route module is given: services and views, never a store. */
export interface RouteDeps {
  base: string
  /** Notice lines and the envelope every htmx answer is sent in. */
  answers: Answers
  chats: ChatService
  /** What each agent chose for themselves: list fields, alerts. */
  preferences: PreferenceService
  /** Chat custom fields: the pre-chat form's questions and the checks of their answers. */
  fields: FieldService
  fieldViews: FieldViews
  /** The post-chat survey's block on the customer's chat page. */
  surveyViews: SurveyViews
  routing: RoutingService
  access: Access
  hub: Hub
  views: Views
  consoleViews: ConsoleViews
  customerViews: CustomerViews
  customer: CustomerService
  /** Suggested solutions before a chat, and the questions they answered (the deflection report). */
  deflections: DeflectionService
  settings: Settings
  manifest: Manifest
}
