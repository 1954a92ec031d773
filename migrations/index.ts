import type { Knex } from 'knex'
import * as createChats from './20261121000001_create_lc_chats.ts'
import * as createMessages from './20261121000002_create_lc_messages.ts'
import * as createChatHistory from './20261121000003_create_lc_chat_history.ts'
import * as createAgentPresence from './20261121000004_create_lc_agent_presence.ts'
import * as createJobLocks from './20261121000005_create_lc_job_locks.ts'
import * as createRouting from './20261121000006_create_lc_routing.ts'
import * as createChatComments from './20261121000007_create_lc_chat_comments.ts'
import * as createCannedReplies from './20261121000008_create_lc_canned_replies.ts'
import * as indexChatsCustomerEmail from './20261121000009_index_lc_chats_customer_email.ts'
import * as createAgentPreferences from './20261121000010_create_lc_agent_preferences.ts'
import * as createChatSurveys from './20261121000011_create_lc_chat_surveys.ts'
import * as createChatFiles from './20261121000012_create_lc_chat_files.ts'
import * as createCustomFields from './20261121000013_create_lc_custom_fields.ts'
import * as createManualEvents from './20261121000014_create_lc_manual_events.ts'
import * as addCustomerOrigin from './20261121000015_add_lc_chats_customer_origin.ts'
import * as createChatItems from './20261121000016_create_lc_chat_items.ts'
import * as createKbDeflections from './20261121000017_create_lc_kb_deflections.ts'
import * as createChatPins from './20261121000018_create_lc_chat_pins.ts'
import * as indexChatCommentsBody from './20261121000019_index_lc_chat_comments_body.ts'
import * as addCreatedFromChat from './20261121000020_add_lc_chat_items_created_from_chat.ts'
import * as addCustomerPresence from './20261121000021_add_lc_chats_customer_presence.ts'
import * as indexMessagesBody from './20261121000022_index_lc_messages_body.ts'
import * as indexChatsSearch from './20261121000023_index_lc_chats_search.ts'
import * as indexChatsDeletedAt from './20261121000024_index_lc_chats_deleted_at.ts'
import * as createJobRuns from './20261121000025_create_lc_job_runs.ts'
import * as createIm from './20261121000026_create_lc_im.ts'
import * as addJobTicks from './20261206000027_add_lc_job_ticks.ts'
import * as addMissedOffers from './20261207000028_add_lc_missed_offers.ts'
import * as createSettings from './20261208000029_create_lc_settings.ts'
import * as createDepartmentHours from './20261208000030_create_lc_department_hours.ts'
import * as createBlockedAddresses from './20261208000031_create_lc_blocked_addresses.ts'
import * as createJobItemFailures from './20261208000032_create_lc_job_item_failures.ts'
import * as addRoutingHostIds from './20261208000033_add_lc_routing_host_ids.ts'
import * as createWebhookEndpoints from './20261208000034_create_lc_webhook_endpoints.ts'
import * as createWebhookOutbox from './20261208000035_create_lc_webhook_outbox.ts'
import * as addChatsCustomerVerifiedId from './20261208000036_add_lc_chats_customer_verified_id.ts'
import * as createApiTokens from './20261208000037_create_lc_api_tokens.ts'
import * as createApiCalls from './20261208000038_create_lc_api_calls.ts'
import * as addAgentPresenceSweptAt from './20261208000044_add_lc_agent_presence_swept_at.ts'
import * as backfillChatFacts from './20261208000042_backfill_lc_chat_facts.ts'
import * as createAudit from './20261208000043_create_lc_audit.ts'
import * as createChatFacts from './20261208000041_create_lc_chat_facts.ts'
import * as createMessageSearch from './20261208000039_create_lc_message_search.ts'
import * as moveMessagesBodyIndex from './20261208000040_move_lc_messages_body_index.ts'
import * as addChatFactsChangedAt from './20261208000045_add_lc_chat_facts_changed_at.ts'
import * as indexChatFactsChangedAt from './20261208000046_index_lc_chat_facts_changed_at.ts'
import * as createChatRollups from './20261208000047_create_lc_chat_rollups.ts'
import * as createChatRollupState from './20261208000048_create_lc_chat_rollup_state.ts'
import * as backfillChatRollups from './20261208000049_backfill_lc_chat_rollups.ts'
import * as addChatsCustomerReadSeq from './20261208000050_add_lc_chats_customer_read_seq.ts'
import * as addChatFactsAgentLoad from './20261208000051_add_lc_chat_facts_agent_load.ts'
import * as addChatRollupsLoad from './20261208000052_add_lc_chat_rollups_load.ts'
import * as createMessageWords from './20261208000058_create_lc_message_words.ts'
import * as dropMessageSearch from './20261208000059_drop_lc_message_search.ts'
import * as coverChatFactsToday from './20261208000060_cover_lc_chat_facts_today.ts'
import * as createPurgedChatWords from './20261208000061_create_lc_purged_chat_words.ts'
import * as coverChatsGroupQueue from './20261208000062_cover_lc_chats_group_queue.ts'
import * as indexChatsAgentRecent from './20261208000063_index_lc_chats_agent_recent.ts'
import * as indexChatsAgentCreatedFound from './20261208000065_index_lc_chats_agent_created_found.ts'
import * as createMessageWordsDue from './20261208000066_create_lc_message_words_due.ts'
import * as keepPurgedChatWords from './20261208000067_keep_lc_purged_chat_words.ts'

/**
 * A static list, not a directory scan: names are the same in development and in a
 * build, and stray .d.ts files are never taken for migrations.
 */
const migrations: Record<string, Knex.Migration> = {
  '20261121000001_create_lc_chats': createChats,
  '20261121000002_create_lc_messages': createMessages,
  '20261121000003_create_lc_chat_history': createChatHistory,
  '20261121000004_create_lc_agent_presence': createAgentPresence,
  '20261121000005_create_lc_job_locks': createJobLocks,
  '20261121000006_create_lc_routing': createRouting,
  '20261121000007_create_lc_chat_comments': createChatComments,
  '20261121000008_create_lc_canned_replies': createCannedReplies,
  '20261121000009_index_lc_chats_customer_email': indexChatsCustomerEmail,
  '20261121000010_create_lc_agent_preferences': createAgentPreferences,
  '20261121000011_create_lc_chat_surveys': createChatSurveys,
  '20261121000012_create_lc_chat_files': createChatFiles,
  '20261121000013_create_lc_custom_fields': createCustomFields,
  '20261121000014_create_lc_manual_events': createManualEvents,
  '20261121000015_add_lc_chats_customer_origin': addCustomerOrigin,
  '20261121000016_create_lc_chat_items': createChatItems,
  '20261121000017_create_lc_kb_deflections': createKbDeflections,
  '20261121000018_create_lc_chat_pins': createChatPins,
  '20261121000019_index_lc_chat_comments_body': indexChatCommentsBody,
  '20261121000020_add_lc_chat_items_created_from_chat': addCreatedFromChat,
  '20261121000021_add_lc_chats_customer_presence': addCustomerPresence,
  '20261121000022_index_lc_messages_body': indexMessagesBody,
  '20261121000023_index_lc_chats_search': indexChatsSearch,
  '20261121000024_index_lc_chats_deleted_at': indexChatsDeletedAt,
  '20261121000025_create_lc_job_runs': createJobRuns,
  '20261121000026_create_lc_im': createIm,
  '20261206000027_add_lc_job_ticks': addJobTicks,
  '20261207000028_add_lc_missed_offers': addMissedOffers,
  '20261208000029_create_lc_settings': createSettings,
  '20261208000030_create_lc_department_hours': createDepartmentHours,
  '20261208000031_create_lc_blocked_addresses': createBlockedAddresses,
  '20261208000032_create_lc_job_item_failures': createJobItemFailures,
  '20261208000033_add_lc_routing_host_ids': addRoutingHostIds,
  '20261208000034_create_lc_webhook_endpoints': createWebhookEndpoints,
  '20261208000035_create_lc_webhook_outbox': createWebhookOutbox,
  '20261208000036_add_lc_chats_customer_verified_id': addChatsCustomerVerifiedId,
  '20261208000037_create_lc_api_tokens': createApiTokens,
  '20261208000038_create_lc_api_calls': createApiCalls,
  '20261208000039_create_lc_message_search': createMessageSearch,
  '20261208000040_move_lc_messages_body_index': moveMessagesBodyIndex,
  '20261208000041_create_lc_chat_facts': createChatFacts,
  '20261208000042_backfill_lc_chat_facts': backfillChatFacts,
  '20261208000043_create_lc_audit': createAudit,
  '20261208000044_add_lc_agent_presence_swept_at': addAgentPresenceSweptAt,
  '20261208000045_add_lc_chat_facts_changed_at': addChatFactsChangedAt,
  '20261208000046_index_lc_chat_facts_changed_at': indexChatFactsChangedAt,
  '20261208000047_create_lc_chat_rollups': createChatRollups,
  '20261208000048_create_lc_chat_rollup_state': createChatRollupState,
  '20261208000049_backfill_lc_chat_rollups': backfillChatRollups,
  '20261208000050_add_lc_chats_customer_read_seq': addChatsCustomerReadSeq,
  '20261208000051_add_lc_chat_facts_agent_load': addChatFactsAgentLoad,
  '20261208000052_add_lc_chat_rollups_load': addChatRollupsLoad,
  '20261208000058_create_lc_message_words': createMessageWords,
  '20261208000059_drop_lc_message_search': dropMessageSearch,
  '20261208000060_cover_lc_chat_facts_today': coverChatFactsToday,
  '20261208000061_create_lc_purged_chat_words': createPurgedChatWords,
  '20261208000062_cover_lc_chats_group_queue': coverChatsGroupQueue,
  '20261208000063_index_lc_chats_agent_recent': indexChatsAgentRecent,
  '20261208000065_index_lc_chats_agent_created_found': indexChatsAgentCreatedFound,
  '20261208000066_create_lc_message_words_due': createMessageWordsDue,
  '20261208000067_keep_lc_purged_chat_words': keepPurgedChatWords
}

export const migrationSource: Knex.MigrationSource<string> = {
  async getMigrations () { return Object.keys(migrations).sort() },
  getMigrationName (name) { return name },
  async getMigration (name) {
    const migration = migrations[name]
    if (!migration) throw new Error(`Unknown live chat migration ${name}`)
    return migration
  }
}

/** The plugin's own bookkeeping table, never the host's knex_migrations. */
export const migrationTable = 'lc_knex_migrations'

export async function migrateLatest (knex: Knex): Promise<void> {
  await knex.migrate.latest({ migrationSource, tableName: migrationTable })
}
