import type { FromSchema } from 'json-schema-to-ts'
import { csrfField, idField } from '../security/schemas.ts'
import { checkboxes, defineForm, type FormState, type FormValues, hidden, select, text } from '../web/forms.ts'

/**
 * A permission as the forms send it: `department:<id>`, `group:<id>` or `role:<name>`
 * (role names follow the rolePermissions setting's own pattern). Whether it exists is
 * the service's question, so a stale choice comes back beside the field with a reason.
 */
export const accessKeyPattern = '^(department:[0-9]{1,10}|group:[0-9]{1,10}|role:[A-Za-z0-9_.-]{1,64})$'
const accessKey = { type: 'string', maxLength: 80, pattern: accessKeyPattern } as const
/** The Add Permission select: a permission, or its empty first option. */
const accessChoice = { type: 'string', maxLength: 80, pattern: `${accessKeyPattern}|^$` } as const
/** The chosen permissions listed in the form (one hidden field each; formbody gives one as a string). */
const accessList = { anyOf: [accessKey, { type: 'array', maxItems: 100, items: accessKey }] } as const
/**
 * A room's name as typed. The service says what a name may be (1 to 120 characters), so
 * a long one comes back in the form with the reason; this only bounds the request.
 */
const roomName = { type: 'string', maxLength: 2000 } as const

/**
 * Chat Rooms list: Active or Inactive, and what the search box holds. The service says how
 * long a search may be (100 characters), so a longer one comes back beside the box.
 */
export const roomListQuery = {
  $id: 'lc/im/room-list-query',
  type: 'object',
  additionalProperties: false,
  properties: {
    view: { enum: ['active', 'inactive'] },
    q: { type: 'string', maxLength: 2000 }
  }
} as const
export type RoomListQuery = FromSchema<typeof roomListQuery>

export const roomParams = {
  $id: 'lc/im/room-params',
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: idField }
} as const
export type RoomParams = FromSchema<typeof roomParams>

/** One of a room's permissions, in Remove's address. */
export const roomAccessParams = {
  $id: 'lc/im/room-access-params',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'accessId'],
  properties: { id: idField, accessId: idField }
} as const
export type RoomAccessParams = FromSchema<typeof roomAccessParams>

/**
 * The New room form. Save sends it all; Add (`add`) and the X beside a listed permission
 * (`remove`) send it to the draft route, which only answers with the form changed.
 */
export const roomFormBody = {
  $id: 'lc/im/room-form',
  type: 'object',
  additionalProperties: false,
  properties: {
    name: roomName,
    access: accessList,
    add: accessChoice,
    remove: accessKey,
    // Where the form is shown: in the dialog over the list, or on its own page.
    place: { enum: ['dialog', 'page'] },
    _csrf: csrfField
  }
} as const
export type RoomFormBody = FromSchema<typeof roomFormBody>

/** Add Permission on a room's Permissions panel. */
export const roomAccessBody = {
  $id: 'lc/im/room-access',
  type: 'object',
  additionalProperties: false,
  properties: { add: accessChoice, _csrf: csrfField }
} as const
export type RoomAccessBody = FromSchema<typeof roomAccessBody>

export const roomRenameBody = {
  $id: 'lc/im/room-rename',
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: roomName, _csrf: csrfField }
} as const
export type RoomRenameBody = FromSchema<typeof roomRenameBody>

/** Join; from the list (`open`), the room opens once joined. */
export const roomJoinBody = {
  $id: 'lc/im/room-join',
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { open: { enum: ['yes'] }, _csrf: csrfField }
} as const
export type RoomJoinBody = FromSchema<typeof roomJoinBody>

/** Make inactive / Make active. */
export const roomStatusBody = {
  $id: 'lc/im/room-status',
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: { status: { enum: ['active', 'inactive'] }, _csrf: csrfField }
} as const
export type RoomStatusBody = FromSchema<typeof roomStatusBody>

// ---------------------------------------------------------------- the forms

export const roomFormMessages = {
  noChoice: 'Choose a department, group or role from the list, then press Add'
}

/**
 * The New room form, as Save, Add and the X beside a permission send it. The route's JSON
 * Schema checks the shapes; what a name may be and whether the permissions will do is the
 * service's to say, beside the field each is about. The name is kept as typed.
 */
export const newRoomForm = defineForm({
  name: text({ trim: false }),
  access: checkboxes(),
  add: select(),
  remove: hidden(),
  place: select()
})
export type NewRoomFormState = FormState<FormValues<typeof newRoomForm>>

/** Where the service's refusals of a new room are shown. */
export const newRoomRefusals = {
  LC_ERR_IM_ROOM_NAME: 'name', LC_ERR_IM_ROOM_NO_ACCESS: 'access', LC_ERR_IM_ROOM_ACCESS: 'access', LC_ERR_IM_ROOM_ACCESS_TAKEN: 'access'
} as const

/** Add Permission on a room's panel: a choice is required; whether it may be added is the service's to say. */
export const roomAccessForm = defineForm({
  add: select(undefined, { required: roomFormMessages.noChoice })
}, { input: (v) => v.add })
export type RoomAccessFormState = FormState<FormValues<typeof roomAccessForm>>

/** Rename on a room's panel: the name as typed; what a name may be is the service's to say (LC_ERR_IM_ROOM_NAME). */
export const roomRenameForm = defineForm({ name: text({ trim: false }) }, { input: (v) => v.name })
export type RoomRenameFormState = FormState<FormValues<typeof roomRenameForm>>
