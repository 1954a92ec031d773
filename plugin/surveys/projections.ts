import { envelope } from '../realtime/fragments.ts'
import type { Hub } from '../realtime/hub.ts'
import { type SurveyService, surveyState } from './service.ts'
import type { SurveyViews } from './view-models.ts'

/** What the survey's projection reads and renders. */
export interface SurveyProjectionDeps {
  surveys: Pick<SurveyService, 'of'>
  surveyViews: Pick<SurveyViews, 'customerBlock'>
}

/**
 * The chat ended, however (or its customer left it): their open window offers the survey under
 * the closed reply box (plugin/customer's own projection closes the box). Customers only.
 */
export function registerSurveyProjections (hub: Hub, { surveys, surveyViews }: SurveyProjectionDeps): void {
  hub.project('chat.updated', async ({ chat }) => {
    if (surveyState(chat) !== 'offered') return
    const clients = hub.clients(`customer:${chat.id}`)
    if (clients.length === 0) return
    // Read, not assumed empty: a later change to an ended chat must not offer a sent survey again.
    const html = envelope([surveyViews.customerBlock(chat, await surveys.of(chat.id))])
    for (const c of clients) void hub.send(c, html)
  })
}
