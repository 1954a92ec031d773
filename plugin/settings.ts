import type { FromSchema } from 'json-schema-to-ts'
import type { ValidateFunction } from 'ajv'
import { LC_ERR_SETTINGS_INVALID } from './errors.ts'
import type { Manifest } from './manifest.ts'
import { createAjv, describeAjvError } from './validation.ts'

/** The live chat permissions a host role can grant; manifest.json's `permissions` lists the same ids. */
export const permissionIds = [
  'livechat.agent',
  'livechat.transfer',
  'livechat.supervise',
  'livechat.delete',
  'livechat.admin',
  'livechat.rooms'
] as const
export type Permission = typeof permissionIds[number]

/**
 * The plugin's settings: what a host may set, each with its default. This object is the one
 * source: `Settings` derives from it, and manifest.json's `settingsSchema` is written from it
 * by `npm run manifest` (test/settings.test.ts fails when the two differ). The descriptions are
 * what a help desk administrator reads, so a setting's meaning is written here once.
 */
export const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  // How the administrators' settings screen lays the settings out: each group in this order,
  // its settings in the order listed. Every setting is in exactly one group (test/settings.test.ts).
  // A setting that cannot take effect while the plugin runs would carry `'x-restart': true`,
  // and the screen says "applies after a restart" beside it; today every one applies at once.
  'x-groups': [
    {
      id: 'queue',
      title: 'Chats and the queue',
      settings: ['maxMessageLength', 'queuePositionMessage', 'queuePositionMessageOne', 'queueNextMessage', 'queueTimeoutMinutes', 'customerTicketUrl', 'portalUrl']
    },
    {
      id: 'agents',
      title: 'Agents and idle chats',
      settings: ['heartbeatTimeoutSeconds', 'reofferSeconds', 'reofferMissesBeforeUnavailable', 'idleWarningSeconds', 'idleHighSeconds', 'customerGoneSeconds', 'idleEndMinutes']
    },
    {
      id: 'limits',
      title: 'Limits',
      settings: ['chatStartsPerMinute', 'chatStartsPerCustomerPerMinute', 'messagesPerMinute', 'apiCallsPerMinute']
    },
    {
      id: 'reports',
      title: 'Reports and wallboard',
      settings: ['reportTimeZone', 'wallboardWaitAmberSeconds', 'wallboardWaitRedSeconds', 'wallboardQueueAmber', 'wallboardQueueRed']
    },
    {
      id: 'files',
      title: 'Files',
      settings: ['maxFileBytes', 'allowedFileTypes']
    },
    {
      id: 'retention',
      title: 'Retention and jobs',
      settings: ['purgeAfterDays', 'purgeBatchSize', 'imInactiveHours', 'apiCallRetentionDays', 'auditRetentionDays', 'jobSchedules']
    },
    {
      id: 'access',
      title: 'Access and security',
      settings: ['rolePermissions', 'allowedOrigins', 'metricsToken']
    },
    {
      id: 'webhooks',
      title: 'Webhooks',
      settings: ['webhookAllowedHosts', 'webhookTimeoutSeconds', 'webhookRetryHours', 'webhookDisableAfterFailures']
    },
    {
      id: 'widget',
      title: 'Widget and verified identity',
      settings: ['widgetOrigins', 'identitySecret', 'identityPublicKey', 'identityIssuer', 'identityAudience']
    }
  ],
  properties: {
    rolePermissions: {
      title: 'Permissions of each role',
      description: 'Host role name to the live chat permissions it grants',
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z0-9_.-]{1,64}$' },
      additionalProperties: {
        type: 'array',
        items: { enum: permissionIds }
      },
      default: {
        agent: ['livechat.agent', 'livechat.transfer'],
        supervisor: ['livechat.agent', 'livechat.transfer', 'livechat.supervise', 'livechat.delete', 'livechat.rooms'],
        admin: [...permissionIds]
      }
    },
    maxMessageLength: {
      title: 'Longest chat message',
      description: 'Longest chat message accepted, in characters',
      type: 'integer',
      minimum: 1,
      maximum: 10000,
      default: 10000
    },
    heartbeatTimeoutSeconds: {
      title: 'Agent console timeout (seconds)',
      description: 'An agent with no open console for this long is treated as unavailable',
      type: 'integer',
      minimum: 10,
      maximum: 3600,
      default: 60
    },
    queuePositionMessage: {
      title: 'Queue position message',
      description: 'Shown to a waiting customer; {ahead} is replaced by the number of people ahead',
      type: 'string',
      minLength: 1,
      maxLength: 200,
      default: '{ahead} people are ahead of you'
    },
    queuePositionMessageOne: {
      title: 'Queue position message, one ahead',
      description: 'Shown to a waiting customer with one person ahead',
      type: 'string',
      minLength: 1,
      maxLength: 200,
      default: '1 person is ahead of you'
    },
    queueNextMessage: {
      title: 'Next in queue message',
      description: 'Shown to the customer at the front of the queue',
      type: 'string',
      minLength: 1,
      maxLength: 200,
      default: 'You are next; an agent will be with you shortly'
    },
    reportTimeZone: {
      title: 'Desk time zone for reports',
      description: 'The IANA time zone (e.g. Europe/Berlin) whose days and hours the reports and the wallboard\'s "today" count by; a name the server does not know is read as UTC, and the Reports page says so',
      type: 'string',
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z][A-Za-z0-9_+\\-/]*$',
      default: 'UTC'
    },
    wallboardWaitAmberSeconds: {
      title: 'Wallboard: longest wait turns amber after (seconds)',
      description: 'The wallboard\'s longest-wait tile turns amber when a chat has waited this long',
      type: 'integer',
      minimum: 1,
      maximum: 86400,
      default: 60
    },
    wallboardWaitRedSeconds: {
      title: 'Wallboard: longest wait turns red after (seconds)',
      description: 'The wallboard\'s longest-wait tile turns red when a chat has waited this long',
      type: 'integer',
      minimum: 1,
      maximum: 86400,
      default: 180
    },
    wallboardQueueAmber: {
      title: 'Wallboard: waiting chats turn amber at',
      description: 'The wallboard\'s chats-waiting tile turns amber when this many chats wait',
      type: 'integer',
      minimum: 1,
      maximum: 10000,
      default: 3
    },
    wallboardQueueRed: {
      title: 'Wallboard: waiting chats turn red at',
      description: 'The wallboard\'s chats-waiting tile turns red when this many chats wait',
      type: 'integer',
      minimum: 1,
      maximum: 10000,
      default: 8
    },
    customerTicketUrl: {
      title: 'Customer ticket link',
      description: 'Where a signed-in customer sees one of their tickets in the help desk\'s portal (linked after they leave a message); {ref} is replaced by the ticket number',
      type: 'string',
      minLength: 1,
      maxLength: 200,
      pattern: '\\{ref\\}',
      default: '/portal/tickets/{ref}'
    },
    portalUrl: {
      title: 'Portal address',
      description: 'The help desk\'s portal, which every customer page links back to: a path on this site (/portal) or an http(s) address',
      type: 'string',
      minLength: 1,
      maxLength: 200,
      // A path or a web address only: it becomes a link, so never javascript: or a scheme-relative //host.
      pattern: '^(/(?![/\\\\])|https?://)',
      default: '/portal'
    },
    allowedOrigins: {
      title: 'Allowed origins',
      description: 'Origins allowed to open sockets and post forms; empty means the request\'s own host only',
      type: 'array',
      items: { type: 'string', format: 'uri', maxLength: 200, examples: ['https://helpdesk.example.com'] },
      default: []
    },
    webhookAllowedHosts: {
      title: 'Webhook hosts allowed on private networks',
      description: 'Webhooks are never sent to private, loopback or link-local addresses (10.0.0.0/8, 127.0.0.1, 169.254.169.254, fd00::/8…) unless this list names the host: a host name as written in the endpoint\'s URL, an IP address, or a CIDR range. Name only receivers you run yourself',
      type: 'array',
      items: { type: 'string', minLength: 1, maxLength: 100, examples: ['hooks.internal.example.com', '10.1.2.3', '10.20.0.0/16'] },
      maxItems: 50,
      default: []
    },
    webhookTimeoutSeconds: {
      title: 'Webhook timeout (seconds)',
      description: 'How long one delivery waits for the receiver\'s answer before it counts as failed and is retried',
      type: 'integer',
      minimum: 1,
      maximum: 60,
      default: 10
    },
    webhookRetryHours: {
      title: 'Webhook retries for (hours)',
      description: 'A failed delivery is retried with a growing wait (15 seconds, doubling, at most an hour) for this many hours, then given up and shown as failed in the delivery log',
      type: 'integer',
      minimum: 1,
      maximum: 72,
      default: 24
    },
    webhookDisableAfterFailures: {
      title: 'Turn a webhook off after (failures in a row)',
      description: 'An endpoint whose deliveries failed this many times in a row, with no success between, is turned off and administrators are told (on the Webhooks page, and by mail when the help desk sends mail); its events wait until it is turned on again',
      type: 'integer',
      minimum: 1,
      maximum: 10000,
      default: 50
    },
    widgetOrigins: {
      title: 'Widget sites',
      description: 'Sites whose pages may show the chat widget (<prefix>/widget.js), each as an origin like https://www.example.com: the customer\'s chat pages may be framed by them (Content-Security-Policy frame-ancestors) and the widget may ask them for availability. Empty: the widget works nowhere',
      type: 'array',
      items: { type: 'string', format: 'uri', maxLength: 200, pattern: '^https?://[^/?#]+$', examples: ['https://www.example.com'] },
      default: []
    },
    identitySecret: {
      title: 'Identity secret (HS256)',
      description: 'The secret the customer portal signs identity tokens with (JWT, HS256), at least 32 characters; empty: HS256 tokens are refused. See docs/widget.md',
      type: 'string',
      maxLength: 500,
      pattern: '^(.{32,})?$',
      'x-pattern': 'at least 32 characters, or empty to turn HS256 off',
      // A secret: the settings screen takes it in a password field and its history never shows it.
      writeOnly: true,
      default: ''
    },
    identityPublicKey: {
      title: 'Identity public key (RS256 or ES256)',
      description: 'The public key, in PEM (-----BEGIN PUBLIC KEY-----…), of the key pair the customer portal signs identity tokens with: an RSA key for RS256, a P-256 key for ES256. Line breaks may be left out. Empty: RS256 and ES256 tokens are refused',
      type: 'string',
      maxLength: 5000,
      default: ''
    },
    identityIssuer: {
      title: 'Identity issuer',
      description: 'When set, an identity token must carry exactly this iss claim (the portal\'s own name for itself, say https://portal.example.com)',
      type: 'string',
      maxLength: 200,
      default: ''
    },
    identityAudience: {
      title: 'Identity audience',
      description: 'The aud claim an identity token must carry, so a token made for another service is refused here',
      type: 'string',
      minLength: 1,
      maxLength: 200,
      default: 'livechat'
    },
    metricsToken: {
      title: 'Metrics token',
      description: 'The secret a Prometheus server sends (Authorization: Bearer <token>) to read the operator\'s metrics at <prefix>/metrics; empty turns the endpoint off (404). Use a long random string (32 characters or more) and give it only to the monitoring system',
      type: 'string',
      maxLength: 200,
      // A secret: the settings screen takes it in a password field and its history never shows it.
      writeOnly: true,
      default: ''
    },
    chatStartsPerMinute: {
      title: 'Chat starts per address per minute',
      description: 'Chats, questions and left messages one address may send per minute, for visitors not signed in (a whole company behind one address counts as one: keep it generous; behind a proxy the host must trust it, or every visitor shares its address)',
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      default: 30
    },
    chatStartsPerCustomerPerMinute: {
      title: 'Chat starts per customer per minute',
      description: 'Chats, questions and left messages one signed-in portal customer may send per minute, wherever they are',
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      default: 5
    },
    apiCallsPerMinute: {
      title: 'API calls per token per minute',
      description: 'Calls one API token may make to the JSON API per minute, counted on all instances together when they share Redis',
      type: 'integer',
      minimum: 1,
      maximum: 100000,
      default: 600
    },
    messagesPerMinute: {
      title: 'Messages per socket per minute',
      description: 'Messages one socket may send per minute',
      type: 'integer',
      minimum: 1,
      maximum: 10000,
      default: 120
    },
    reofferSeconds: {
      title: 'Re-offer after (seconds)',
      description: 'A chat round robin assigned is given to another agent when its agent has not answered within this many seconds (counted as a missed offer, see reofferMissesBeforeUnavailable)',
      type: 'integer',
      minimum: 10,
      maximum: 3600,
      default: 60
    },
    reofferMissesBeforeUnavailable: {
      title: 'Missed offers before unavailable',
      description: 'An agent who lets this many chats in a row go unanswered for reofferSeconds is made unavailable, with a notice saying why; answering a chat given to them, or switching Available back on, starts the count again. 0 never makes anyone unavailable',
      type: 'integer',
      minimum: 0,
      maximum: 100,
      default: 3
    },
    customerGoneSeconds: {
      title: 'Customer left after (seconds)',
      description: 'An active chat shows "Customer left" to its agent once the customer\'s chat window has been closed (no connection from it) for this many seconds; the chat stays active until the agent ends or abandons it. Not below 60: an open window checks in about every 30 seconds',
      type: 'integer',
      minimum: 60,
      maximum: 86400,
      default: 120
    },
    idleWarningSeconds: {
      title: 'Idle warning after (seconds)',
      description: 'In the chat lists, an active chat whose agent has not written for this many seconds shows the yellow idle warning (idle time is not reset by a customer message or a transfer)',
      type: 'integer',
      minimum: 10,
      maximum: 86400,
      default: 120
    },
    idleHighSeconds: {
      title: 'High idle warning after (seconds)',
      description: 'In the chat lists, an active chat whose agent has not written for this many seconds shows the red high idle warning; keep it above idleWarningSeconds',
      type: 'integer',
      minimum: 10,
      maximum: 86400,
      default: 300
    },
    purgeAfterDays: {
      title: 'Purge deleted chats after (days)',
      description: 'Deleted chats are removed for good this many days after deletion',
      type: 'integer',
      minimum: 1,
      maximum: 3650,
      default: 90
    },
    apiCallRetentionDays: {
      title: 'Keep API call records (days)',
      description: 'The record of each call made with an API token (its token page, and the idempotency keys it keeps) is removed by the api-calls job this many days after the call',
      type: 'integer',
      minimum: 1,
      maximum: 3650,
      default: 90
    },
    auditRetentionDays: {
      title: 'Keep the audit log (days)',
      description: 'Each entry of the audit log (who changed settings, groups, tokens, webhooks or the block list, took, transferred, deleted or undeleted chats, ran jobs by hand) is removed by the purge job this many days after it was written',
      type: 'integer',
      minimum: 1,
      maximum: 3650,
      default: 365
    },
    purgeBatchSize: {
      title: 'Purge batch size',
      description: 'The purge job removes deleted chats at most this many at a time, each batch its own short transaction; it makes batches smaller when they take more than a few milliseconds, and rests between them, so live chats are not held up',
      type: 'integer',
      minimum: 1,
      maximum: 5000,
      default: 200
    },
    imInactiveHours: {
      title: 'Instant messages inactive after (hours)',
      description: 'An instant message conversation with no message for this many hours becomes inactive (it can be restarted by writing in it, and deleted once inactive)',
      type: 'integer',
      minimum: 1,
      maximum: 8760,
      default: 24
    },
    idleEndMinutes: {
      title: 'End chats of gone customers after (minutes)',
      description: 'An active chat whose customer has been shown as gone ("Customer left", see customerGoneSeconds) for this many minutes is ended automatically with a system message; 0 never ends one',
      type: 'integer',
      minimum: 0,
      maximum: 10080,
      default: 30
    },
    queueTimeoutMinutes: {
      title: 'Queue timeout (minutes)',
      description: 'A chat that has waited in the queue this many minutes without an agent is closed and its question becomes a help desk ticket (as if the customer had left a message); the customer\'s window says so. 0 lets chats wait for ever',
      type: 'integer',
      minimum: 0,
      maximum: 10080,
      default: 15
    },
    jobSchedules: {
      title: 'Job schedules',
      description: 'Overrides the cron schedule of jobs listed in the manifest\'s jobs section, by job id, e.g. {"purge": "0 3 * * *"}; five fields (minute first) or six (second first), in the server\'s time zone. A bad expression or an unknown job id stops the plugin from loading',
      type: 'object',
      propertyNames: { pattern: '^[a-z][a-z0-9-]{1,63}$' },
      additionalProperties: { type: 'string', minLength: 1, maxLength: 100 },
      default: {}
    },
    maxFileBytes: {
      title: 'Largest file (bytes)',
      description: 'Largest file a customer or agent may send in a chat, in bytes (10 MB by default, 100 MB at most); a larger one is refused and nothing of it is kept',
      type: 'integer',
      minimum: 1,
      maximum: 104857600,
      default: 10485760
    },
    allowedFileTypes: {
      title: 'Allowed file types',
      description: 'MIME types that may be sent in a chat, checked against the file\'s content (its magic bytes), never its name or what the browser says; text/plain means valid UTF-8 text without NUL bytes that does not start like HTML or XML. Legacy .doc/.xls/.ppt are not offered: by content they cannot be told apart from other Compound File containers such as .msi installers',
      type: 'array',
      uniqueItems: true,
      maxItems: 100,
      items: { type: 'string', pattern: '^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$', examples: ['application/pdf'] },
      default: [
        'image/png',
        'image/jpeg',
        'image/gif',
        'image/webp',
        'application/pdf',
        'text/plain',
        'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'application/vnd.openxmlformats-officedocument.presentationml.presentation',
        'application/vnd.oasis.opendocument.text',
        'application/vnd.oasis.opendocument.spreadsheet',
        'application/vnd.oasis.opendocument.presentation'
      ]
    }
  }
} as const

/**
 * Settings after validation, every default filled in: a setting with a `default` is required
 * here (json-schema-to-ts's default), enums become string unions and `additionalProperties`
 * objects become records. It cannot express `propertyNames` patterns, `format`, lengths or
 * bounds, so role names and job ids stay `string` and numbers stay `number`; Ajv checks those.
 */
export type Settings = FromSchema<typeof settingsSchema>

const settingsValidators = new Map<string, ValidateFunction>()

/**
 * The settings schema's validator, compiled once per process for each schema text: settings
 * are resolved again on every change and reload, and by every instance of the plugin in a
 * process, and compiling is most of what resolving costs. A handful of schemas at most.
 */
function settingsValidator (schema: object): ValidateFunction {
  const key = JSON.stringify(schema)
  let validate = settingsValidators.get(key)
  if (!validate) settingsValidators.set(key, validate = createAjv().compile(schema))
  return validate
}

/**
 * Validates the host's settings against the manifest's settings schema and fills in
 * defaults; throws LC_ERR_SETTINGS_INVALID naming the setting and what it may be.
 */
export function resolveSettings (manifest: Manifest, settings: Record<string, unknown> = {}): Settings {
  const validate = settingsValidator(manifest.settingsSchema)
  const copy = structuredClone(settings)
  if (!validate(copy)) {
    throw new LC_ERR_SETTINGS_INVALID(describeAjvError(validate.errors![0]!, 'settings'))
  }
  return copy as unknown as Settings
}

/** The live chat permissions a host user's roles grant. */
export function permissionsFor (settings: Pick<Settings, 'rolePermissions'>, roles: string[]): Set<Permission> {
  const out = new Set<Permission>()
  for (const role of roles) for (const p of settings.rolePermissions[role] ?? []) out.add(p)
  return out
}

/** A setting's name, as the schema's properties name it. */
export type SettingName = keyof Settings

/** One group of the settings screen, as `x-groups` lists it. */
export interface SettingGroup { id: string, title: string, settings: SettingName[] }

/** The settings screen's groups, in order (`x-groups` of the schema). */
export function settingGroups (schema: Record<string, unknown> = settingsSchema): SettingGroup[] {
  return (schema['x-groups'] ?? []) as SettingGroup[]
}

/** Told after settings changed in place: the names whose values changed. */
export type SettingsListener = (changed: ReadonlySet<SettingName>) => void

/** What a part that holds something built from a setting (a timer's period, a cron task) listens to. */
export interface SettingsWatch {
  /** Calls `listener` after every change; returns what stops it. */
  onChange (listener: SettingsListener): () => void
}

export interface LiveSettings extends SettingsWatch {
  /**
   * The one settings object every service and route holds (docs/design.md §1, settings). Its
   * values are replaced in place when an administrator changes one, on this instance or
   * another, so whatever reads `settings.x` when it needs it reads the current value.
   */
  readonly settings: Settings
  /** Replaces each value that differs from `next`'s, then tells the listeners; returns the names changed. */
  apply (next: Settings): SettingName[]
}

/** The live settings object, starting from `initial` (resolved and complete). */
export function liveSettings (initial: Settings): LiveSettings {
  const settings = structuredClone(initial)
  const listeners = new Set<SettingsListener>()
  return {
    settings,
    apply (next) {
      const changed: SettingName[] = []
      for (const name of Object.keys(next) as SettingName[]) {
        if (JSON.stringify(settings[name]) === JSON.stringify(next[name])) continue
        // A fresh value, never the caller's: nobody outside may change what every service reads.
        ;(settings as Record<SettingName, unknown>)[name] = structuredClone(next[name])
        changed.push(name)
      }
      if (changed.length > 0) {
        const names = new Set(changed)
        for (const listener of listeners) listener(names)
      }
      return changed
    },
    onChange (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
}
