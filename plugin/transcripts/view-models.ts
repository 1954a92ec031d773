import { targets } from '../realtime/targets.ts'
import { bind } from '../web/fragments.ts'

/** views/transcripts/mail-failed.hbs: the help desk could not send the mail; Retry sends the same request again. */
export interface MailFailedModel {
  code: string
  message: string
  retryUrl: string
}

export const mailFailedFragment = bind('transcripts/mail-failed', 'innerHTML', (_: MailFailedModel) => targets.notice())
