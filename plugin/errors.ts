import createError from '@fastify/error'

/*
 * Every error the plugin raises, one code each, never reused (docs/errors.md lists them).
 * Messages say what the person can do next. `%s` placeholders are filled by the caller.
 */

// ---------------------------------------------------------------- access
export const LC_ERR_UNAUTHENTICATED = createError('LC_ERR_UNAUTHENTICATED', 'Sign in to the help desk to use live chat', 401)
export const LC_ERR_FORBIDDEN = createError('LC_ERR_FORBIDDEN', 'You need the %s permission for this; ask an administrator', 403)
export const LC_ERR_CSRF = createError('LC_ERR_CSRF', 'This form has expired; reload the page and try again', 403)
export const LC_ERR_ORIGIN = createError('LC_ERR_ORIGIN', 'Requests from %s are not accepted here', 403)
export const LC_ERR_METRICS_TOKEN = createError('LC_ERR_METRICS_TOKEN', 'Send the metrics token as Authorization: Bearer <token>; ask the administrator for the one in metricsToken', 401)
export const LC_ERR_RATE_LIMITED = createError('LC_ERR_RATE_LIMITED', 'Too many %s; wait a minute and try again', 429)

// ---------------------------------------------------------------- input
export const LC_ERR_VALIDATION = createError('LC_ERR_VALIDATION', '%s', 400)
export const LC_ERR_MESSAGE_EMPTY = createError('LC_ERR_MESSAGE_EMPTY', 'Type a message before sending', 422)
export const LC_ERR_MESSAGE_TOO_LONG = createError('LC_ERR_MESSAGE_TOO_LONG', 'Messages can be at most %s characters (this one has %s); split it into shorter messages', 422)

// ---------------------------------------------------------------- chats
export const LC_ERR_CHAT_NOT_FOUND = createError('LC_ERR_CHAT_NOT_FOUND', 'Chat %s does not exist, or you may not see it', 404)
export const LC_ERR_CHAT_TAKEN = createError('LC_ERR_CHAT_TAKEN', 'Already taken by %s', 409)
export const LC_ERR_CHAT_STATE_CONFLICT = createError('LC_ERR_CHAT_STATE_CONFLICT', 'This chat is %s now, so it cannot be %s; refresh to see where it stands', 409)
export const LC_ERR_CHAT_CLOSED = createError('LC_ERR_CHAT_CLOSED', 'This chat has ended; start a new chat to keep talking', 409)

// ---------------------------------------------------------------- deleting and undeleting chats (Deleted Items)
export const LC_ERR_DELETE_OPEN_CHAT = createError('LC_ERR_DELETE_OPEN_CHAT', 'Chat #%s is still %s; only chats that are over (ended, abandoned or cancelled) can be deleted', 409)
export const LC_ERR_DELETE_NOT_YOURS = createError('LC_ERR_DELETE_NOT_YOURS', 'Chat #%s is not one of your own chats; only its agent, or someone with the livechat.delete permission, may %s it', 403)
export const LC_ERR_CHAT_ALREADY_DELETED = createError('LC_ERR_CHAT_ALREADY_DELETED', 'Chat #%s was already deleted by %s; it is in Deleted Items', 409)
export const LC_ERR_CHAT_NOT_DELETED = createError('LC_ERR_CHAT_NOT_DELETED', 'Chat #%s is not in Deleted Items%s, so there is nothing to undelete; refresh the list', 409)

// ---------------------------------------------------------------- comments (agents only)
export const LC_ERR_COMMENT_EMPTY = createError('LC_ERR_COMMENT_EMPTY', 'Type a comment before saving it', 422)
export const LC_ERR_COMMENT_TOO_LONG = createError('LC_ERR_COMMENT_TOO_LONG', 'Comments can be at most %s characters (this one has %s); shorten it', 422)
export const LC_ERR_COMMENT_NOT_FOUND = createError('LC_ERR_COMMENT_NOT_FOUND', 'That comment no longer exists; it may have been deleted. Reopen the Comments tab to see the current ones', 404)
export const LC_ERR_COMMENT_NOT_YOURS = createError('LC_ERR_COMMENT_NOT_YOURS', 'Only %s or a supervisor of this chat\'s group may change this comment; add a comment of your own instead', 403)

// ---------------------------------------------------------------- chat items: Add → Task, Time Log, Call Log, Related Item
export const LC_ERR_ITEM_TITLE = createError('LC_ERR_ITEM_TITLE', 'Give the task a title of at most 200 characters', 422)
export const LC_ERR_ITEM_DUE = createError('LC_ERR_ITEM_DUE', 'Pick the due date from the calendar, or leave it empty', 422)
export const LC_ERR_ITEM_MINUTES = createError('LC_ERR_ITEM_MINUTES', 'Enter the minutes as a whole number from 1 to 1440', 422)
export const LC_ERR_ITEM_NOTE = createError('LC_ERR_ITEM_NOTE', 'Notes can be at most 2,000 characters (this one has %s); shorten it', 422)
export const LC_ERR_ITEM_TICKET_REF = createError('LC_ERR_ITEM_TICKET_REF', 'Enter the ticket\'s reference, like INC000042', 422)
export const LC_ERR_ITEM_TICKET_UNKNOWN = createError('LC_ERR_ITEM_TICKET_UNKNOWN', 'No ticket %s in the help desk; check the reference', 422)
export const LC_ERR_ITEM_TICKET_LINKED = createError('LC_ERR_ITEM_TICKET_LINKED', '%s is already linked to this chat', 409)
export const LC_ERR_ITEM_NOT_FOUND = createError('LC_ERR_ITEM_NOT_FOUND', 'That item no longer exists; it may have been deleted. Reopen the tab to see the current ones', 404)
export const LC_ERR_ITEM_NOT_YOURS = createError('LC_ERR_ITEM_NOT_YOURS', 'Only %s or a supervisor of this chat\'s group may delete this', 403)

// ---------------------------------------------------------------- tickets made from a chat (Create Ticket, templates) and Abandon
export const LC_ERR_TICKET_NOT_YOURS = createError('LC_ERR_TICKET_NOT_YOURS', 'Only the agent who has chat #%s, or a supervisor of its group, may make a ticket from it or abandon it', 403)
export const LC_ERR_TICKET_CHAT_STATE = createError('LC_ERR_TICKET_CHAT_STATE', 'Tickets are made from chats an agent has taken, and this chat is %s; accept it first, or link an existing ticket', 409)
export const LC_ERR_TICKET_KIND = createError('LC_ERR_TICKET_KIND', 'This help desk does not take %s tickets from live chat; create one of: %s', 422)
export const LC_ERR_TICKET_TEMPLATE_UNKNOWN = createError('LC_ERR_TICKET_TEMPLATE_UNKNOWN', 'The help desk has no %s template %s (it may have been removed); search the templates again', 422)
export const LC_ERR_TICKET_FIELD_UNKNOWN = createError('LC_ERR_TICKET_FIELD_UNKNOWN', 'The template has no field %s (it may have changed); choose the template again', 422)
export const LC_ERR_TICKET_FIELD_REQUIRED = createError('LC_ERR_TICKET_FIELD_REQUIRED', '%s is required; fill it in before saving', 422)
export const LC_ERR_TICKET_FIELD_OPTION = createError('LC_ERR_TICKET_FIELD_OPTION', 'Choose %s from the list', 422)
export const LC_ERR_TICKET_FIELD_TOO_LONG = createError('LC_ERR_TICKET_FIELD_TOO_LONG', '%s can be at most %s characters; shorten it', 422)
export const LC_ERR_TICKET_SUMMARY = createError('LC_ERR_TICKET_SUMMARY', 'Give the ticket a summary of at most 255 characters', 422)
export const LC_ERR_TICKET_HOST = createError('LC_ERR_TICKET_HOST', 'The help desk could not create the %s just now; nothing was created or linked to the chat, so try again', 502)
export const LC_ERR_TICKET_REFUSED = createError('LC_ERR_TICKET_REFUSED', 'The help desk would not take the %s: %s. Nothing was created or linked to the chat', 422)
export const LC_ERR_TICKET_NOT_SAVED = createError('LC_ERR_TICKET_NOT_SAVED', 'The %s could not be saved just now; nothing was created or linked to the chat, so try again', 503)
export const LC_ERR_TICKET_NOT_LINKED = createError('LC_ERR_TICKET_NOT_LINKED', '%s was created in the help desk but could not be listed in this chat\'s Related Items; link it with Add → Related Item', 502)
export const LC_ERR_ABANDON_HOST = createError('LC_ERR_ABANDON_HOST', 'The help desk could not set %s to %s just now, so the chat was not abandoned; try again', 502)

// ---------------------------------------------------------------- files sent in a chat
export const LC_ERR_FILE_MISSING = createError('LC_ERR_FILE_MISSING', 'Pick a file to send', 422)
export const LC_ERR_FILE_EMPTY = createError('LC_ERR_FILE_EMPTY', '%s is empty; pick a file with something in it', 422)
export const LC_ERR_FILE_TOO_LARGE = createError('LC_ERR_FILE_TOO_LARGE', 'Files can be at most %s (this one is %s)', 413)
export const LC_ERR_FILE_TYPE = createError('LC_ERR_FILE_TYPE', 'This file is %s, which cannot be sent here; you can send %s', 422)
export const LC_ERR_FILE_MISMATCH = createError('LC_ERR_FILE_MISMATCH', '%s is %s, though its name says %s; rename it to match what it is, or pick the right file', 422)
export const LC_ERR_UPLOAD_MALFORMED = createError('LC_ERR_UPLOAD_MALFORMED', 'The upload arrived cut off or garbled, so nothing was sent; pick the file and send it again', 400)
export const LC_ERR_FILE_NOT_FOUND = createError('LC_ERR_FILE_NOT_FOUND', 'That file does not exist, or you may not see it', 404)

// ---------------------------------------------------------------- routing
export const LC_ERR_AGENT_AT_LIMIT = createError('LC_ERR_AGENT_AT_LIMIT', 'You already have %s active chats, your limit; end one before taking another', 409)
export const LC_ERR_AVAILABLE_OVER_LIMIT = createError('LC_ERR_AVAILABLE_OVER_LIMIT', 'You can be available for at most %s chats at once; choose %s or fewer', 422)
export const LC_ERR_NOT_IN_GROUP = createError('LC_ERR_NOT_IN_GROUP', 'This chat belongs to %s, where you are not an active member; ask a supervisor to add you or transfer it', 403)
export const LC_ERR_GROUP_NOT_FOUND = createError('LC_ERR_GROUP_NOT_FOUND', 'Group %s does not exist or takes no chats; pick another group', 422)
export const LC_ERR_TRANSFER_TARGET = createError('LC_ERR_TRANSFER_TARGET', '%s', 422)
export const LC_ERR_DEPARTMENT_OFFLINE = createError('LC_ERR_DEPARTMENT_OFFLINE', '%s has nobody available right now; leave a message and we will reply by email', 409)
export const LC_ERR_DEPARTMENT_CLOSED = createError('LC_ERR_DEPARTMENT_CLOSED', '%s is closed for chat now%s; leave a message and we will reply by email', 409)

// ---------------------------------------------------------------- customer
export const LC_ERR_UNAVAILABLE = createError('LC_ERR_UNAVAILABLE', 'Live chat could not do that just now; try again in a moment', 503)
export const LC_ERR_TURNED_OFF = createError('LC_ERR_TURNED_OFF', 'Live chat has been turned off by the help desk; this window reconnects by itself when it is turned back on', 503)
export const LC_ERR_MESSAGE_NOT_SAVED = createError('LC_ERR_MESSAGE_NOT_SAVED', 'We could not save your message just now; it is still in the form below, so try sending it again in a minute', 503)
export const LC_ERR_REPORT_PERIOD = createError('LC_ERR_REPORT_PERIOD', 'That period cannot be reported: %s; pick Today, 7, 30 or 90 days, or two dates', 400)
export const LC_ERR_AUDIT_RANGE = createError('LC_ERR_AUDIT_RANGE', 'The audit log\'s From date is after its To date; pick From on or before To', 400)
export const LC_ERR_REPORT_OUT_OF_SCOPE = createError('LC_ERR_REPORT_OUT_OF_SCOPE', 'You may not see the figures of that %s; pick one from the filters on the page', 403)
export const LC_ERR_DEFLECTION_ARTICLE_UNKNOWN = createError('LC_ERR_DEFLECTION_ARTICLE_UNKNOWN', 'The knowledge base has no article %s (it may have been removed); pick one of the articles below, or continue to chat', 422)

// ---------------------------------------------------------------- verified customer identity and the widget
// A refused identity token never stops a chat: the customer goes on as a visitor, told why.
export const LC_ERR_IDENTITY_OFF = createError('LC_ERR_IDENTITY_OFF', 'Your sign-in could not be checked because this help desk has no identity key set up; you can still chat as a visitor (administrators: set identitySecret or identityPublicKey)', 422)
export const LC_ERR_IDENTITY_EXPIRED = createError('LC_ERR_IDENTITY_EXPIRED', 'Your sign-in has expired; reload the page you came from to sign in again, or chat as a visitor', 422)
export const LC_ERR_IDENTITY_AUDIENCE = createError('LC_ERR_IDENTITY_AUDIENCE', 'Your sign-in was made for another service (%s); you can still chat as a visitor', 422)
export const LC_ERR_IDENTITY_SIGNATURE = createError('LC_ERR_IDENTITY_SIGNATURE', 'Your sign-in could not be verified (%s); you can still chat as a visitor', 422)
export const LC_ERR_IDENTITY_CLAIMS = createError('LC_ERR_IDENTITY_CLAIMS', 'Your sign-in is missing what this chat needs (%s); you can still chat as a visitor', 422)
export const LC_ERR_WIDGET_ORIGIN = createError('LC_ERR_WIDGET_ORIGIN', 'The chat widget is not allowed on %s; an administrator can add the site to widgetOrigins', 403)

// ---------------------------------------------------------------- administration (groups and membership)
export const LC_ERR_FORM_INVALID = createError('LC_ERR_FORM_INVALID', '%s', 422)
export const LC_ERR_DEPARTMENT_NOT_FOUND = createError('LC_ERR_DEPARTMENT_NOT_FOUND', 'Department %s does not exist; reload the page to see the current departments', 404)
export const LC_ERR_DEPARTMENT_NAME_TAKEN = createError('LC_ERR_DEPARTMENT_NAME_TAKEN', 'A department named %s already exists; choose another name', 422)
export const LC_ERR_DEFAULT_GROUP_INVALID = createError('LC_ERR_DEFAULT_GROUP_INVALID', 'Choose one of %s\'s own groups as its default group', 422)
export const LC_ERR_GROUP_UNKNOWN = createError('LC_ERR_GROUP_UNKNOWN', 'Group %s does not exist; reload the page to see the current groups', 404)
export const LC_ERR_GROUP_NAME_TAKEN = createError('LC_ERR_GROUP_NAME_TAKEN', 'A group named %s already exists in %s; choose another name', 422)

// ---------------------------------------------------------------- administration: Import from the help desk
export const LC_ERR_IMPORT_UNAVAILABLE = createError('LC_ERR_IMPORT_UNAVAILABLE', 'This help desk shares no departments or groups with live chat; create them here with the New department form', 404)
export const LC_ERR_IMPORT_NOTHING_CHOSEN = createError('LC_ERR_IMPORT_NOTHING_CHOSEN', 'Tick at least one department or group to import', 422)
export const LC_ERR_IMPORT_UNKNOWN = createError('LC_ERR_IMPORT_UNKNOWN', 'The help desk no longer has %s %s; reload the page to see what it has now', 422)
export const LC_ERR_IMPORT_GROUP_DEPARTMENT = createError('LC_ERR_IMPORT_GROUP_DEPARTMENT', 'Choose the department for %s: the help desk puts it in no department that is here or ticked for import', 422)
export const LC_ERR_IMPORT_DEPARTMENT_UNKNOWN = createError('LC_ERR_IMPORT_DEPARTMENT_UNKNOWN', 'Department %s does not exist any more; choose one from the list', 422)
export const LC_ERR_IMPORT_CONFLICT = createError('LC_ERR_IMPORT_CONFLICT', '%s was saved by another change while you were importing, so nothing of this import was saved; reload the page to see what is here now, and import again', 409)
export const LC_ERR_GROUP_NOT_VISIBLE = createError('LC_ERR_GROUP_NOT_VISIBLE', 'You can change members only of groups you belong to, and %s is not one of them', 403)
export const LC_ERR_USER_NOT_FOUND = createError('LC_ERR_USER_NOT_FOUND', 'No help desk user has the username "%s"; check the spelling', 422)
export const LC_ERR_NOT_AN_AGENT = createError('LC_ERR_NOT_AN_AGENT', '%s is not a live chat agent: none of their help desk roles grants livechat.agent. Give them an agent role first', 422)
export const LC_ERR_ALREADY_MEMBER = createError('LC_ERR_ALREADY_MEMBER', '%s is already a member of %s', 422)
export const LC_ERR_MEMBER_NOT_FOUND = createError('LC_ERR_MEMBER_NOT_FOUND', 'That agent is not a member of %s; reload the page to see the current members', 404)

// ---------------------------------------------------------------- the block list (addresses customers may not chat from)
export const LC_ERR_BLOCKED = createError('LC_ERR_BLOCKED', 'Live chat cannot be used from your network address; if you need help, contact the help desk by phone or email', 403)
export const LC_ERR_BLOCK_RANGE = createError('LC_ERR_BLOCK_RANGE', 'Write one IP address or CIDR range, like 203.0.113.7, 203.0.113.0/24 or 2001:db8::/32', 422)
export const LC_ERR_BLOCK_RANGE_HOST_BITS = createError('LC_ERR_BLOCK_RANGE_HOST_BITS', '%s has bits set past its prefix; write the address alone, or the range as %s', 422)
export const LC_ERR_BLOCK_RANGE_WIDE = createError('LC_ERR_BLOCK_RANGE_WIDE', 'A /%s is too wide to block; one entry blocks at most a /%s of %s', 422)
export const LC_ERR_BLOCK_EXISTS = createError('LC_ERR_BLOCK_EXISTS', '%s is already blocked (added by %s); remove that entry first to change it', 422)
export const LC_ERR_BLOCK_NOT_FOUND = createError('LC_ERR_BLOCK_NOT_FOUND', 'That entry is no longer on the block list; it may have been removed. Reload the page to see the current list', 404)

// ---------------------------------------------------------------- webhooks (docs/webhooks.md)
export const LC_ERR_WEBHOOK_URL = createError('LC_ERR_WEBHOOK_URL', 'Write the receiver\'s full address, starting with https:// or http://, without a user name or password in it', 422)
export const LC_ERR_WEBHOOK_PRIVATE = createError('LC_ERR_WEBHOOK_PRIVATE', '%s is a %s address, where webhooks are not sent; use a public address, or add the host to the webhookAllowedHosts setting if the receiver is yours', 422)
export const LC_ERR_WEBHOOK_EVENTS = createError('LC_ERR_WEBHOOK_EVENTS', 'Tick at least one event for this endpoint to receive', 422)
export const LC_ERR_WEBHOOK_NOT_FOUND = createError('LC_ERR_WEBHOOK_NOT_FOUND', 'Webhook endpoint %s does not exist; it may have been removed. Reload the page to see the current ones', 404)
export const LC_ERR_WEBHOOK_DELIVERY_NOT_FOUND = createError('LC_ERR_WEBHOOK_DELIVERY_NOT_FOUND', 'Delivery %s does not exist for this endpoint; reload the delivery log', 404)
export const LC_ERR_WEBHOOK_DELIVERY_BUSY = createError('LC_ERR_WEBHOOK_DELIVERY_BUSY', 'Delivery %s is being sent right now by %s; wait a few seconds and reload the delivery log to see how it went', 409)
export const LC_ERR_WEBHOOK_STATE = createError('LC_ERR_WEBHOOK_STATE', 'This endpoint is already %s (changed by someone else meanwhile); reload the page', 409)
export const LC_ERR_WEBHOOK_OFF = createError('LC_ERR_WEBHOOK_OFF', 'This endpoint is turned off; turn it on before sending to it', 409)

// ---------------------------------------------------------------- canned replies
export const LC_ERR_CANNED_NOT_FOUND = createError('LC_ERR_CANNED_NOT_FOUND', 'Canned reply %s does not exist, or you may not change it; reload the page to see the current replies', 404)
export const LC_ERR_CANNED_SCOPE = createError('LC_ERR_CANNED_SCOPE', 'You may not manage %s; ask an administrator', 403)
export const LC_ERR_CANNED_SHORTCUT = createError('LC_ERR_CANNED_SHORTCUT', 'Write the shortcut as a slash and up to 40 letters, digits or dashes, like /vpn-reset', 422)
export const LC_ERR_CANNED_SHORTCUT_TAKEN = createError('LC_ERR_CANNED_SHORTCUT_TAKEN', '/%s is already the shortcut of "%s" in %s; choose another shortcut', 422)
export const LC_ERR_CANNED_VARIABLE = createError('LC_ERR_CANNED_VARIABLE', '%s is not a variable you can use; the variables are %s', 422)

// ---------------------------------------------------------------- chat lists
export const LC_ERR_LIST_NOT_FOUND = createError('LC_ERR_LIST_NOT_FOUND', 'There is no chat list called "%s"; pick one of the lists in the console\'s sidebar', 404)
export const LC_ERR_LIST_FILTER = createError('LC_ERR_LIST_FILTER', 'You can list chats only of the groups you belong to, and %s is not one of them; pick one from the filter', 403)

// ---------------------------------------------------------------- search (Advanced Search and the lists' search box)
export const LC_ERR_SEARCH_TEXT = createError('LC_ERR_SEARCH_TEXT', 'Type at least one word of three or more letters or digits; common words such as "the", and signs such as * or ", are not searched', 422)
export const LC_ERR_SEARCH_TEXT_LONG = createError('LC_ERR_SEARCH_TEXT_LONG', 'Search for at most %s characters (this has %s); keep the words that matter', 422)
export const LC_ERR_SEARCH_CHAT_NUMBER = createError('LC_ERR_SEARCH_CHAT_NUMBER', 'A chat number is a whole number, like 1042 (it is in the chat\'s header)', 422)
export const LC_ERR_SEARCH_DATE = createError('LC_ERR_SEARCH_DATE', '%s: "%s" is not a calendar day; pick one from the calendar, or type it as YYYY-MM-DD, like 2026-11-21', 422)
export const LC_ERR_SEARCH_DATE_RANGE = createError('LC_ERR_SEARCH_DATE_RANGE', 'The range ends on %s, before it starts on %s; swap the two dates', 422)
export const LC_ERR_SEARCH_MAX = createError('LC_ERR_SEARCH_MAX', 'Show from 1 to %s results; pick a number from the list', 422)
export const LC_ERR_SEARCH_GROUP = createError('LC_ERR_SEARCH_GROUP', 'Group %s is not one of the groups you may search; pick one from the list', 422)
export const LC_ERR_SEARCH_AGENT = createError('LC_ERR_SEARCH_AGENT', 'Agent %s is not in any of the groups you may search; pick one from the list', 422)
export const LC_ERR_SEARCH_FIELD = createError('LC_ERR_SEARCH_FIELD', 'There is no custom field "%s" any more (it may have been deleted); search again from this form', 422)
export const LC_ERR_SEARCH_FIELD_VALUE = createError('LC_ERR_SEARCH_FIELD_VALUE', '%s', 422)

// ---------------------------------------------------------------- scheduled jobs (purge, idle end, queue timeout, stale presence…)
export const LC_ERR_JOB_UNKNOWN = createError('LC_ERR_JOB_UNKNOWN', 'There is no scheduled job "%s"; the jobs are %s', 404)
export const LC_ERR_JOB_SCHEDULE_INVALID = createError('LC_ERR_JOB_SCHEDULE_INVALID', 'The %s job cannot be scheduled: %s is not a cron expression node-cron accepts (%s); write five or six fields, like */10 * * * * for every ten minutes', 500)
export const LC_ERR_JOB_RUNNING = createError('LC_ERR_JOB_RUNNING', 'The %s job is already running on %s (since %s); its outcome will show on this page when it finishes', 409)

// ---------------------------------------------------------------- configuration
export const LC_ERR_MANIFEST_INVALID = createError('LC_ERR_MANIFEST_INVALID', 'manifest.json is invalid: %s', 500)
export const LC_ERR_SETTINGS_INVALID = createError('LC_ERR_SETTINGS_INVALID', 'Live chat settings are invalid: %s', 500)
export const LC_ERR_SETTING_INVALID = createError('LC_ERR_SETTING_INVALID', '%s', 422)
export const LC_ERR_SETTING_FIXED = createError('LC_ERR_SETTING_FIXED', '%s is set by the help desk\'s configuration, so it cannot be changed here; ask whoever runs the help desk to change it there', 422)
export const LC_ERR_SETTINGS_GROUP_UNKNOWN = createError('LC_ERR_SETTINGS_GROUP_UNKNOWN', 'There is no group of settings "%s"; reload the settings page', 404)
export const LC_ERR_HOST_MAPPING = createError('LC_ERR_HOST_MAPPING', 'The help desk\'s table mapping (the host section of manifest.json) does not fit its database, so live chat did not start; fix this and start again: %s', 500)
export const LC_ERR_HOST_MAPPING_MISSING = createError('LC_ERR_HOST_MAPPING_MISSING', 'There is no table mapping for the help desk (the host section of manifest.json), so sqlHost cannot reach its tables; add the section, or pass live chat an adapter of your own as its host option', 500)

/** The shape every coded error shares, for handlers that only need to read it. */
export interface CodedError extends Error {
  code: string
  statusCode?: number
}

export function isCoded (err: unknown): err is CodedError {
  return err instanceof Error && typeof (err as CodedError).code === 'string' && (err as CodedError).code.startsWith('LC_ERR_')
}

// ---------------------------------------------------------------- surveys (the customer rates an ended chat)
export const LC_ERR_SURVEY_CHAT_OPEN = createError('LC_ERR_SURVEY_CHAT_OPEN', 'This chat is still going on; you can rate it once it has ended', 409)
export const LC_ERR_SURVEY_NOT_OFFERED = createError('LC_ERR_SURVEY_NOT_OFFERED', 'The help desk has deleted this chat, so there is nothing to rate; start a new chat if you still need help', 409)
export const LC_ERR_SURVEY_DONE = createError('LC_ERR_SURVEY_DONE', 'You have already rated this chat; thank you for your feedback', 409)
export const LC_ERR_SURVEY_RATING = createError('LC_ERR_SURVEY_RATING', 'Choose a rating from 1 (very poor) to 5 (excellent)', 422)
export const LC_ERR_SURVEY_COMMENT_TOO_LONG = createError('LC_ERR_SURVEY_COMMENT_TOO_LONG', 'Comments can be at most %s characters (this one has %s); shorten it', 422)

// ---------------------------------------------------------------- transcripts (email and print)
export const LC_ERR_MAIL_UNAVAILABLE = createError('LC_ERR_MAIL_UNAVAILABLE', 'This help desk has no way to send email from live chat; print the transcript instead', 409)
export const LC_ERR_MAIL_FAILED = createError('LC_ERR_MAIL_FAILED', 'The help desk could not send the transcript to %s just now; nothing was sent, so try again', 502)

// ---------------------------------------------------------------- custom fields and manual events
export const LC_ERR_FIELD_NOT_FOUND = createError('LC_ERR_FIELD_NOT_FOUND', 'Custom field %s does not exist; reload the page to see the current fields', 404)
export const LC_ERR_FIELD_KEY_TAKEN = createError('LC_ERR_FIELD_KEY_TAKEN', 'The field "%s" already has the key %s; choose another key', 422)
export const LC_ERR_FIELD_HAS_VALUES = createError('LC_ERR_FIELD_HAS_VALUES', '%s has values in %s chats now; reload the page and delete it again to remove them too', 409)
export const LC_ERR_FIELD_VALUE = createError('LC_ERR_FIELD_VALUE', '%s', 422)
export const LC_ERR_EVENT_NOT_FOUND = createError('LC_ERR_EVENT_NOT_FOUND', 'Manual event %s does not exist; reload the page to see the current events', 404)
export const LC_ERR_EVENT_NAME_TAKEN = createError('LC_ERR_EVENT_NAME_TAKEN', 'A manual event named %s already exists; choose another name', 422)
export const LC_ERR_EVENT_CHAT_NOT_ACTIVE = createError('LC_ERR_EVENT_CHAT_NOT_ACTIVE', 'Manual events can be performed only on an active chat, and this one is %s; refresh to see where it stands', 409)

// ---------------------------------------------------------------- the Resources panel: knowledge articles shared and pinned
export const LC_ERR_RESOURCES_QUERY_EMPTY = createError('LC_ERR_RESOURCES_QUERY_EMPTY', 'Type a few words that describe the problem, such as "VPN will not connect"', 422)
export const LC_ERR_RESOURCES_QUERY_TOO_LONG = createError('LC_ERR_RESOURCES_QUERY_TOO_LONG', 'Searches can be at most %s characters (this one has %s); keep the words that matter', 422)
export const LC_ERR_RESOURCES_ARTICLE_UNKNOWN = createError('LC_ERR_RESOURCES_ARTICLE_UNKNOWN', 'The knowledge base has no article %s (it may have been removed); search again', 422)
export const LC_ERR_RESOURCES_ARTICLE_INTERNAL = createError('LC_ERR_RESOURCES_ARTICLE_INTERNAL', '“%s” is for agents only, so it cannot be shared with the customer; pin it to keep it with the chat', 422)
export const LC_ERR_RESOURCES_KB_FAILED = createError('LC_ERR_RESOURCES_KB_FAILED', 'The knowledge base did not answer just now, so nothing was %s; try again in a moment', 502)
export const LC_ERR_RESOURCES_SHARE_NOT_YOURS = createError('LC_ERR_RESOURCES_SHARE_NOT_YOURS', 'Only %s, who has this chat, can share articles in it; pin the article for them instead', 403)
export const LC_ERR_RESOURCES_SHARE_NOT_ACTIVE = createError('LC_ERR_RESOURCES_SHARE_NOT_ACTIVE', 'Articles can be shared only in an active chat, and this one is %s; pin the article to keep it with the chat', 409)
export const LC_ERR_RESOURCES_PINNED = createError('LC_ERR_RESOURCES_PINNED', '%s already pinned this article to the chat', 409)
export const LC_ERR_RESOURCES_PIN_NOT_FOUND = createError('LC_ERR_RESOURCES_PIN_NOT_FOUND', 'That article is not pinned to this chat (any more); reopen Resources to see the pins', 404)

// ---------------------------------------------------------------- Internal messaging (instant messages between agents and chat rooms)
export const LC_ERR_IM_NOT_FOUND = createError('LC_ERR_IM_NOT_FOUND', 'Conversation %s does not exist, or you may not see it; open Instant Messages or Chat Rooms to see yours', 404)
export const LC_ERR_IM_AGENTS = createError('LC_ERR_IM_AGENTS', '%s', 422)
export const LC_ERR_IM_RELATED = createError('LC_ERR_IM_RELATED', '%s', 422)
export const LC_ERR_IM_DELETED = createError('LC_ERR_IM_DELETED', 'This conversation was deleted by %s; undelete it from Deleted Items to continue it', 409)
export const LC_ERR_IM_INACTIVE = createError('LC_ERR_IM_INACTIVE', 'This conversation is inactive; send a message in it to restart it first', 409)
export const LC_ERR_IM_NOT_PARTICIPANT = createError('LC_ERR_IM_NOT_PARTICIPANT', 'Only participants of this conversation can %s; ask one of them to invite you', 403)
export const LC_ERR_IM_ROOM_NOT_ADMITTED = createError('LC_ERR_IM_ROOM_NOT_ADMITTED', 'None of the permissions of the room %s admits you, so you can manage it but not read or write in it; add your department, group or role to its permissions to join it', 403)
export const LC_ERR_IM_ROOM_INACTIVE = createError('LC_ERR_IM_ROOM_INACTIVE', 'The room %s is inactive, so nothing can be posted or joined there; ask a room manager to make it active again', 409)
export const LC_ERR_IM_DELETE_ACTIVE = createError('LC_ERR_IM_DELETE_ACTIVE', 'The conversation with %s is still active; only inactive conversations can be deleted', 409)
export const LC_ERR_IM_DELETE_NOT_YOURS = createError('LC_ERR_IM_DELETE_NOT_YOURS', 'You did not take part in the conversation with %s; only its participants, or a supervisor with the livechat.delete permission, may %s it', 403)
export const LC_ERR_IM_ALREADY_DELETED = createError('LC_ERR_IM_ALREADY_DELETED', 'The conversation with %s was already deleted by %s; it is in Deleted Items', 409)
export const LC_ERR_IM_NOT_DELETED = createError('LC_ERR_IM_NOT_DELETED', 'The conversation with %s is not in Deleted Items, so there is nothing to undelete; refresh the list', 409)
export const LC_ERR_IM_ROOM_NAME = createError('LC_ERR_IM_ROOM_NAME', '%s', 422)
export const LC_ERR_IM_ROOM_NO_ACCESS = createError('LC_ERR_IM_ROOM_NO_ACCESS', 'Add at least one department, group or role who may join', 422)
export const LC_ERR_IM_ROOM_ACCESS = createError('LC_ERR_IM_ROOM_ACCESS', '%s; pick a department, group or role from the list', 422)
export const LC_ERR_IM_ROOM_ACCESS_TAKEN = createError('LC_ERR_IM_ROOM_ACCESS_TAKEN', '%s may already join this room', 409)
export const LC_ERR_IM_ROOM_ACCESS_NOT_FOUND = createError('LC_ERR_IM_ROOM_ACCESS_NOT_FOUND', 'That permission is no longer on this room; reload the page to see who may join', 404)

// ---------------------------------------------------------------- the JSON API and its tokens
export const LC_ERR_API_TOKEN = createError('LC_ERR_API_TOKEN', 'Send a live chat API token as Authorization: Bearer <token>; an administrator creates one on the API tokens page', 401)
export const LC_ERR_API_TOKEN_REVOKED = createError('LC_ERR_API_TOKEN_REVOKED', 'This API token was revoked by %s; ask an administrator for a new one', 401)
export const LC_ERR_API_TOKEN_EXPIRED = createError('LC_ERR_API_TOKEN_EXPIRED', 'This API token ran out on %s; ask an administrator for a new one', 401)
export const LC_ERR_API_SCOPE = createError('LC_ERR_API_SCOPE', 'This API token lacks the %s scope; ask an administrator for a token that has it', 403)
export const LC_ERR_API_ADDRESS = createError('LC_ERR_API_ADDRESS', 'This API token may not be used from %s; ask an administrator to add the address to its allow list', 403)
export const LC_ERR_API_AGENT = createError('LC_ERR_API_AGENT', '%s', 403)
export const LC_ERR_API_IDEMPOTENCY_KEY = createError('LC_ERR_API_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 200 visible ASCII characters; send a UUID', 400)
export const LC_ERR_API_IDEMPOTENCY_REUSED = createError('LC_ERR_API_IDEMPOTENCY_REUSED', 'Idempotency-Key %s was first sent with a different request; use a new key for a new request', 422)
export const LC_ERR_API_IDEMPOTENCY_BUSY = createError('LC_ERR_API_IDEMPOTENCY_BUSY', 'A request with Idempotency-Key %s is still being answered; send it again in a moment to get its answer', 409)
export const LC_ERR_API_CURSOR = createError('LC_ERR_API_CURSOR', 'That cursor is not one this list gave; start again without it', 400)
export const LC_ERR_API_TOKEN_NOT_FOUND = createError('LC_ERR_API_TOKEN_NOT_FOUND', 'That API token does not exist; reload the page to see the current tokens', 404)
export const LC_ERR_API_TOKEN_ALREADY_REVOKED = createError('LC_ERR_API_TOKEN_ALREADY_REVOKED', 'This API token was already revoked by %s', 409)
export const LC_ERR_API_GROUP_NOT_FOUND = createError('LC_ERR_API_GROUP_NOT_FOUND', 'Group %s does not exist; GET /api/v1/groups lists the groups', 404)
export const LC_ERR_API_RANGE = createError('LC_ERR_API_RANGE', '%s; write one address or CIDR range per line, like 203.0.113.7 or 203.0.113.0/24 (at most a /8 of IPv4 or a /16 of IPv6)', 422)

// ---------------------------------------------------------------- generic answers
export const LC_ERR_NOT_FOUND = createError('LC_ERR_NOT_FOUND', 'There is no live chat page here; check the address', 404)
export const LC_ERR_REQUEST = createError('LC_ERR_REQUEST', '%s', 400)
export const LC_ERR_INTERNAL = createError('LC_ERR_INTERNAL', 'Something went wrong on our side; try again in a moment', 500)
export const LC_ERR_BAD_FRAME = createError('LC_ERR_BAD_FRAME', 'That message could not be read: %s', 400)
