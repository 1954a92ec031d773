import type { Knex } from 'knex'

// Transaction mode: one INSERT … SELECT (DML, transactional on both dialects). The chats that
// existed before lc_chat_facts get their row from what their own tables kept: the first
// assignment and every transfer from History, the first agent reply from the messages (read
// once, here, by the (chat_id, seq) index), the closing action from History, the rating from
// the survey. Later changes write the row as they happen (docs/reports.md).
const closing = ['ended', 'idle_ended', 'abandoned', 'cancelled', 'queue_timed_out']
const answerKinds = ['text', 'file', 'kb_share']

export async function up (knex: Knex): Promise<void> {
  const firstReply = (column: string): Knex.QueryBuilder => knex('lc_messages as m').select(column)
    .whereRaw('m.chat_id = c.id').where('m.author_kind', 'agent').whereIn('m.kind', answerKinds).orderBy('m.seq').limit(1)
  await knex.into(knex.raw('?? (??, ??, ??, ??, ??, ??, ??, ??, ??, ??, ??)', [
    'lc_chat_facts', 'chat_id', 'group_id', 'agent_id', 'first_agent_id', 'created_at', 'first_assigned_at', 'first_response_at',
    'ended_at', 'outcome', 'transfers', 'rating'
  ])).insert(
    knex('lc_chats as c').select(
      'c.id', 'c.group_id', 'c.agent_id',
      firstReply('m.author_id').as('first_agent_id'),
      'c.created_at',
      knex('lc_chat_history as h').min('h.created_at').whereRaw('h.chat_id = c.id').whereIn('h.action', ['assigned', 'accepted', 'taken']).as('first_assigned_at'),
      firstReply('m.created_at').as('first_response_at'),
      'c.ended_at',
      knex('lc_chat_history as h').select('h.action').whereRaw('h.chat_id = c.id').whereIn('h.action', closing).orderBy('h.id', 'desc').limit(1).as('outcome'),
      knex('lc_chat_history as h').count('*').whereRaw('h.chat_id = c.id').where('h.action', 'transferred').as('transfers'),
      knex('lc_chat_surveys as s').select('s.rating').whereRaw('s.chat_id = c.id').as('rating')
    ).whereNotExists(knex('lc_chat_facts as f').select('f.chat_id').whereRaw('f.chat_id = c.id'))
  )
}

export async function down (knex: Knex): Promise<void> {
  await knex('lc_chat_facts').del()
}
