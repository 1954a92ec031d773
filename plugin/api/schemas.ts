import type { FromSchema } from 'json-schema-to-ts'
import { ChatStatus } from '../chats/types.ts'
import { reportFilters } from '../reports/schemas.ts'
import { idField } from '../security/schemas.ts'

/*
 * The JSON API's requests and answers (docs/features.md#json-api). Every route declares its
 * request and its answers here; @fastify/swagger writes the OpenAPI document from them, and a
 * test checks each answer against them. Times are ISO 8601 in UTC.
 */

const time = { type: 'string', format: 'date-time', maxLength: 30 } as const
const maybeTime = { type: ['string', 'null'], format: 'date-time', maxLength: 30 } as const
const text = (maxLength: number) => ({ type: 'string', maxLength } as const)
const maybeText = (maxLength: number) => ({ type: ['string', 'null'], maxLength } as const)

/** Every refusal: the LC_ERR_* code, what to do, and the request field it is about when there is one. */
export const apiError = {
  $id: 'lc/api/error',
  type: 'object',
  additionalProperties: false,
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', pattern: '^LC_ERR_[A-Z_]+$' },
    message: { type: 'string' },
    field: { type: 'string', description: 'The request field the refusal is about (a JSON pointer into the body or query)' }
  }
} as const
export type ApiError = FromSchema<typeof apiError>

export const chatStatuses = Object.values(ChatStatus)

export const apiChat = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'status', 'groupId', 'agentId', 'customer', 'question', 'createdAt', 'queuedAt', 'assignedAt', 'endedAt', 'messageCount', 'transferredTo', 'deleted'],
  properties: {
    id: { type: 'integer' },
    status: { enum: chatStatuses },
    groupId: { type: ['integer', 'null'] },
    agentId: maybeText(64),
    customer: {
      type: 'object',
      additionalProperties: false,
      required: ['userId', 'name', 'email'],
      properties: { userId: maybeText(64), name: text(200), email: text(320) }
    },
    question: text(10000),
    createdAt: time,
    queuedAt: maybeTime,
    assignedAt: maybeTime,
    endedAt: maybeTime,
    messageCount: { type: 'integer' },
    transferredTo: maybeText(64),
    deleted: { type: 'boolean' }
  }
} as const

export const apiMessage = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'seq', 'kind', 'author', 'text', 'createdAt'],
  properties: {
    id: { type: 'integer' },
    seq: { type: 'integer' },
    kind: { enum: ['text', 'event', 'coaching', 'file', 'note', 'kb_share'] },
    author: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'id', 'name'],
      properties: { kind: { enum: ['customer', 'agent', 'system'] }, id: maybeText(64), name: text(200) }
    },
    text: { type: 'string', description: 'The message; for a file its name, for a shared article its title' },
    file: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'size', 'type'],
      properties: { name: text(255), size: { type: 'integer' }, type: text(100) }
    },
    article: {
      type: 'object',
      additionalProperties: false,
      required: ['title', 'url'],
      properties: { title: text(500), url: text(2000) }
    },
    createdAt: time
  }
} as const

const page = (items: object) => ({
  type: 'object',
  additionalProperties: false,
  required: ['items', 'nextCursor'],
  properties: {
    items: { type: 'array', items },
    nextCursor: { type: ['string', 'null'], description: 'Pass as cursor for the next page; null on the last page' }
  }
} as const)

const list = (items: object) => ({
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: { items: { type: 'array', items } }
} as const)

export const chatPage = { $id: 'lc/api/chat-page', ...page(apiChat) } as const

export const chatWithTranscript = {
  $id: 'lc/api/chat-transcript',
  type: 'object',
  additionalProperties: false,
  required: ['chat', 'messages'],
  properties: { chat: apiChat, messages: { type: 'array', items: apiMessage } }
} as const

export const oneChat = {
  $id: 'lc/api/chat',
  type: 'object',
  additionalProperties: false,
  required: ['chat'],
  properties: { chat: apiChat }
} as const

export const oneMessage = {
  $id: 'lc/api/message',
  type: 'object',
  additionalProperties: false,
  required: ['message', 'duplicate'],
  properties: { message: apiMessage, duplicate: { type: 'boolean', description: 'True when clientMsgId was sent before: the message stored then' } }
} as const

export const apiGroup = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'departmentId', 'name', 'distribution', 'enabled'],
  properties: { id: { type: 'integer' }, departmentId: { type: 'integer' }, name: text(200), distribution: text(40), enabled: { type: 'boolean' } }
} as const
export const groupList = { $id: 'lc/api/groups', ...list(apiGroup) } as const

export const apiDepartment = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'defaultGroupId'],
  properties: { id: { type: 'integer' }, name: text(200), defaultGroupId: { type: ['integer', 'null'] } }
} as const
export const departmentList = { $id: 'lc/api/departments', ...list(apiDepartment) } as const

export const apiAgent = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'status', 'maxChats', 'groups'],
  properties: {
    id: text(64),
    name: text(200),
    status: { enum: ['available', 'unavailable'] },
    maxChats: { type: 'integer' },
    groups: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['groupId', 'active'], properties: { groupId: { type: 'integer' }, active: { type: 'boolean' } } } }
  }
} as const
export const agentList = { $id: 'lc/api/agents', ...list(apiAgent) } as const

export const groupQueue = {
  $id: 'lc/api/group-queue',
  type: 'object',
  additionalProperties: false,
  required: ['groupId', 'waiting', 'availableAgents', 'chats'],
  properties: {
    groupId: { type: 'integer' },
    waiting: { type: 'integer', description: 'Chats waiting in the group\'s line' },
    availableAgents: { type: 'integer', description: 'Agents of the group available now' },
    chats: { type: 'array', items: apiChat }
  }
} as const

export const apiCanned = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'groupId', 'title', 'shortcut', 'body'],
  properties: { id: { type: 'integer' }, groupId: { type: ['integer', 'null'] }, title: text(200), shortcut: text(60), body: { type: 'string' } }
} as const
export const cannedList = { $id: 'lc/api/canned', ...list(apiCanned) } as const

export const apiComment = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'author', 'body', 'resolution', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'integer' },
    author: { type: 'object', additionalProperties: false, required: ['id', 'name'], properties: { id: text(64), name: text(200) } },
    body: { type: 'string' },
    resolution: { type: 'boolean' },
    createdAt: time,
    updatedAt: time
  }
} as const
export const commentList = { $id: 'lc/api/comments', ...list(apiComment) } as const
export const oneComment = { $id: 'lc/api/comment', type: 'object', additionalProperties: false, required: ['comment'], properties: { comment: apiComment } } as const

export const apiTicket = {
  type: 'object',
  additionalProperties: false,
  required: ['ref', 'url', 'createdFromChat', 'linkedBy', 'linkedAt'],
  properties: { ref: text(64), url: maybeText(2000), createdFromChat: { type: 'boolean' }, linkedBy: text(200), linkedAt: time }
} as const
export const ticketList = { $id: 'lc/api/tickets', ...list(apiTicket) } as const

export const surveyAnswer = {
  $id: 'lc/api/survey',
  type: 'object',
  additionalProperties: false,
  required: ['survey'],
  properties: {
    survey: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['rating', 'comment', 'createdAt'],
      properties: { rating: { type: 'integer' }, comment: maybeText(5000), createdAt: time },
      description: 'null until the customer answers'
    }
  }
} as const

// ---------------------------------------------------------------- requests

export const chatParams = {
  $id: 'lc/api/chat-params',
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: idField }
} as const

export const groupParams = { ...chatParams, $id: 'lc/api/group-params' } as const

/** Chat list names: the console's lists (docs/features.md#chat-lists). */
export const listNames = ['my-active', 'my-completed', 'queue', 'transferred', 'global-active', 'global-completed', 'deleted'] as const

export const cursorPattern = '^[A-Za-z0-9_-]{1,40}$'

export const chatQuery = {
  $id: 'lc/api/chat-query',
  type: 'object',
  additionalProperties: false,
  properties: {
    list: { enum: listNames, description: 'One of the console\'s lists, as the token\'s agent sees it; without it every chat the token may see' },
    status: { enum: chatStatuses },
    department: idField,
    group: idField,
    agent: { type: 'string', maxLength: 64, description: 'Chats of this agent (host user id)' },
    q: { type: 'string', maxLength: 500, description: 'The lists\' search box: words of the messages, the customer or the question, or a chat number' },
    cursor: { type: 'string', pattern: cursorPattern },
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 25 }
  }
} as const
export type ChatQuery = FromSchema<typeof chatQuery>

export const messageBody = {
  $id: 'lc/api/message-body',
  type: 'object',
  additionalProperties: false,
  required: ['text'],
  properties: {
    text: { type: 'string', maxLength: 100000 },
    clientMsgId: { type: 'string', maxLength: 64, pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Your id for the message: sent again, it is stored once' }
  }
} as const
export type MessageBody = FromSchema<typeof messageBody>

export const transferBody = {
  $id: 'lc/api/transfer-body',
  type: 'object',
  additionalProperties: false,
  required: ['groupId'],
  properties: {
    groupId: idField,
    agentId: { type: 'string', maxLength: 64, description: 'A member of the group to hold it for; without it the whole group\'s queue' },
    auto: { type: 'boolean', description: 'Give it to the group\'s best available agent at once' },
    comment: { type: 'string', maxLength: 1000 }
  }
} as const
export type TransferBody = FromSchema<typeof transferBody>

export const commentBody = {
  $id: 'lc/api/comment-body',
  type: 'object',
  additionalProperties: false,
  required: ['body'],
  properties: { body: { type: 'string', maxLength: 20000 }, resolution: { type: 'boolean' } }
} as const
export type CommentBody = FromSchema<typeof commentBody>

/** The query of a route that takes none: an unknown parameter is refused, not ignored. */
export const noQuery = {
  $id: 'lc/api/no-query',
  type: 'object',
  additionalProperties: false,
  properties: {}
} as const

/** A write with nothing to say but its address. */
export const emptyBody = {
  $id: 'lc/api/empty-body',
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {}
} as const

/** A report's period and filters, as the Reports page takes them (docs/reports.md). */
export const reportQuery = {
  $id: 'lc/api/report-query',
  type: 'object',
  additionalProperties: false,
  properties: reportFilters
} as const

const count = { type: 'integer', minimum: 0 } as const
const maybeMs = { type: ['number', 'null'], description: 'milliseconds; null when there are no values' } as const
const spread = {
  type: 'object',
  additionalProperties: false,
  required: ['count', 'median', 'p90'],
  properties: { count, median: maybeMs, p90: maybeMs }
} as const
const period = {
  type: 'object',
  additionalProperties: false,
  required: ['start', 'end', 'days', 'timeZone'],
  properties: { start: { type: 'string', format: 'date' }, end: { type: 'string', format: 'date' }, days: count, timeZone: text(64) }
} as const
const figures = {
  type: 'object',
  additionalProperties: false,
  required: ['started', 'answered', 'missed', 'abandoned', 'transfers', 'transferredChats', 'firstResponse', 'wait', 'handle', 'satisfaction', 'byHour', 'byDay', 'agents', 'groups'],
  properties: {
    started: count,
    answered: count,
    missed: count,
    abandoned: count,
    transfers: count,
    transferredChats: count,
    firstResponse: spread,
    wait: spread,
    handle: spread,
    satisfaction: {
      type: 'object',
      additionalProperties: false,
      required: ['count', 'average', 'distribution'],
      properties: { count, average: { type: ['number', 'null'] }, distribution: { type: 'array', items: count, minItems: 5, maxItems: 5, description: 'how many rated 1, 2, 3, 4 and 5' } }
    },
    byHour: { type: 'array', items: count, minItems: 24, maxItems: 24, description: 'chats started in each hour 0-23 of the desk\'s clock' },
    byDay: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['date', 'started', 'answered'], properties: { date: { type: 'string', format: 'date' }, started: count, answered: count } }
    },
    agents: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['agentId', 'name', 'chats', 'answered', 'medianFirstResponse', 'medianHandle', 'averageLoad', 'peakLoad'],
        properties: {
          agentId: text(64),
          name: text(200),
          chats: count,
          answered: count,
          medianFirstResponse: maybeMs,
          medianHandle: maybeMs,
          averageLoad: { type: ['number', 'null'], description: 'concurrent load: the chats the agent had open as they got each of these, on average (two decimals); null with none' },
          peakLoad: { type: ['integer', 'null'], minimum: 0, description: 'concurrent load: the most chats the agent had open as they got one of these; null with none' }
        }
      }
    },
    groups: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['groupId', 'name', 'started', 'answered', 'missed', 'abandoned'],
        properties: { groupId: { type: ['integer', 'null'] }, name: text(500), started: count, answered: count, missed: count, abandoned: count }
      }
    }
  }
} as const

const deflection = {
  type: 'object',
  additionalProperties: false,
  required: ['deflected', 'rate'],
  properties: {
    deflected: count,
    rate: { type: ['number', 'null'], description: 'deflected out of deflected plus chats started, in percent to one decimal; null when nobody asked' }
  }
} as const

const tickets = {
  type: 'object',
  additionalProperties: false,
  required: ['created', 'groups'],
  properties: {
    created: count,
    groups: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['groupId', 'name', 'tickets'], properties: { groupId: { type: ['integer', 'null'] }, name: text(500), tickets: count } }
    }
  }
} as const

/** A period's figures beside the period of the same length before it; durations in milliseconds. */
export const reportAnswer = {
  $id: 'lc/api/report',
  type: 'object',
  additionalProperties: false,
  required: ['period', 'previous', 'filter', 'current', 'before', 'deflection', 'tickets'],
  properties: {
    period,
    previous: period,
    filter: {
      type: 'object',
      additionalProperties: false,
      required: ['department', 'group', 'agent'],
      properties: { department: { type: ['integer', 'null'] }, group: { type: ['integer', 'null'] }, agent: maybeText(64) }
    },
    current: figures,
    before: figures,
    deflection: {
      type: ['object', 'null'],
      description: 'questions a suggested article answered before a chat (docs/reports.md#deflection); null with a group or agent filter',
      additionalProperties: false,
      required: ['current', 'before'],
      properties: { current: deflection, before: deflection }
    },
    tickets: {
      type: 'object',
      description: 'tickets made from the transcripts of the period\'s chats, per group (docs/reports.md#tickets)',
      additionalProperties: false,
      required: ['current', 'before'],
      properties: { current: tickets, before: tickets }
    }
  }
} as const
