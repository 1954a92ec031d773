import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { type CodedError, isCoded, LC_ERR_IM_NOT_FOUND, LC_ERR_IM_ROOM_ACCESS } from '../errors.ts'
import type { RoutingService } from '../routing/service.ts'
import type { Access, Agent } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import type { Permission } from '../settings.ts'
import { answer, clearNotice, ok } from '../web/answers.ts'
import { attempt, fieldError, refuse } from '../web/forms.ts'
import { listTableFragment } from '../web/lists/table.ts'
import {
  newRoomForm, newRoomRefusals, roomAccessBody, type RoomAccessParams, roomAccessForm, roomAccessParams, roomFormBody, roomFormMessages,
  type RoomJoinBody, roomJoinBody, type RoomListQuery, roomListQuery, type RoomParams, roomParams, roomRenameBody, roomRenameForm,
  type RoomStatusBody, roomStatusBody
} from './room-schemas.ts'
import {
  accessKey, type ManageState, parseAccessKey, roomDialogFragment, roomFormFragment, roomHeaderFragment, roomAccessTabFragment, roomListViews,
  type RoomListView, roomManageFragment, roomParticipantsFragment, type RoomViews
} from './room-view-models.ts'
import { type ImService, imViewer } from './service.ts'
import type { ConversationSummary, ImViewer } from './types.ts'
import { composerFragment, type ConsoleFrame } from './view-models.ts'

/** What the chat rooms pages use. */
export interface RoomRoutesDeps {
  base: string
  access: Pick<Access, 'agent'>
  routing: Pick<RoutingService, 'presence'>
  im: Pick<ImService, 'get' | 'unreadTotal' | 'createRoom' | 'participants' | 'withAccess' | 'roomAccess' | 'join' | 'leave' | 'admits' |
    'addRoomAccess' | 'removeRoomAccess' | 'renameRoom' | 'setRoomStatus'>
  roomViews: RoomViews
  consoleViews: ConsoleFrame
}

type IdRoute = { Params: RoomParams }

const messages = {
  created: (name: string) => `Chat room ${name} created`,
  joined: (name: string) => `You joined ${name}`,
  left: (name: string) => `You left ${name}`,
  renamed: (name: string) => `The room is now called ${name}`,
  added: (label: string) => `${label} may join the room now`,
  removed: (label: string) => `${label} was removed from the room's permissions; agents it alone admitted lost the room at once`,
  inactive: (name: string) => `${name} is inactive now: nobody can post in it until it is made active again`,
  active: (name: string) => `${name} is active again`
}

/** Refusals of the managers' panel, shown beside the part they are about. */
const accessRefusals = { LC_ERR_IM_ROOM_NO_ACCESS: 'add', LC_ERR_IM_ROOM_ACCESS: 'add', LC_ERR_IM_ROOM_ACCESS_TAKEN: 'add' } as const
const removeRefusals = new Set(['LC_ERR_IM_ROOM_NO_ACCESS', 'LC_ERR_IM_ROOM_ACCESS_NOT_FOUND'])

/**
 * A refusal's own status (a permission already there is a 409, not a 422): the form kit
 * keeps the code and message beside the field, this keeps the status for the answer.
 */
function statusOf (refusals: Readonly<Record<string, string>>) {
  const seen = { status: 422 }
  const beside = (err: CodedError): string | undefined => {
    const field = refusals[err.code]
    if (field !== undefined) seen.status = err.statusCode ?? 422
    return field
  }
  return { seen, beside }
}

/**
 * Chat rooms (docs/features.md#chat-rooms): the list with Search and Join, New room for
 * room managers (livechat.rooms), and a room's page with its tabs, Join / Leave and the
 * managers' panel. Posting uses the conversation routes of plugin/im/routes.ts, as threads
 * do. Who may see, read and manage a room is the service's rule; a room the viewer may not
 * see is a 404 like a missing id.
 */
export const roomRoutes: FastifyPluginAsync<RoomRoutesDeps> = async (fastify, { base, access, im, routing, roomViews: rooms, consoleViews }) => {
  async function viewerOf (request: FastifyRequest, permission?: Permission): Promise<{ agent: Agent, viewer: ImViewer }> {
    const agent = await access.agent(request, permission)
    return { agent, viewer: await imViewer(agent) }
  }

  /** A room the viewer may see; a thread's id is no room here (its page is /console/im/:id). */
  async function roomOf (viewer: ImViewer, id: number): Promise<ConversationSummary> {
    const room = await im.get(viewer, id)
    if (room.kind !== 'room') throw new LC_ERR_IM_NOT_FOUND(String(id))
    return room
  }

  /** The topbar (the console's, with Instant Messages and Chat Rooms) and the left navigation of every rooms page. */
  async function chrome (reply: FastifyReply, agent: Agent, viewer: ImViewer, current: RoomListView | number) {
    const [presence, unread, nav] = await Promise.all([routing.presence(agent.user.id), im.unreadTotal(agent.user.id), rooms.nav(viewer, current)])
    return {
      base,
      csrf: reply.generateCsrf(),
      bar: {
        base,
        agent: agent.user,
        links: { supervise: agent.can('livechat.supervise'), admin: agent.can('livechat.admin') },
        availability: await consoleViews.availability(presence),
        topbar: { base, unread, counted: true }
      },
      nav,
      wsBase: `${base}/ws/console`
    }
  }

  // ---------------------------------------------------------------- the list

  fastify.get<{ Querystring: RoomListQuery }>('/console/rooms', { schema: { querystring: roomListQuery } }, async (request, reply) => {
    const { agent, viewer } = await viewerOf(request)
    const view = request.query.view ?? 'active'
    const { table, filters, refused } = await rooms.table(viewer, view, request.query.q ?? '')
    // A search that cannot be run: the list unsearched, the reason beside the box.
    const status = refused ? 422 : 200
    if (request.headers['hx-request']) return await answer(reply, [listTableFragment(table)], status)
    return reply.code(status).lcView('im/rooms.page.hbs', {
      ...await chrome(reply, agent, viewer, view),
      title: roomListViews[view].title,
      canCreate: viewer.manageRooms,
      filters,
      table,
      wsUrl: `${base}/ws/console`
    })
  })

  // ---------------------------------------------------------------- New room (room managers)

  fastify.get('/console/rooms/new', async (request, reply) => {
    const { agent, viewer } = await viewerOf(request, 'livechat.rooms')
    if (request.headers['hx-request']) return await answer(reply, [roomDialogFragment(await rooms.dialog()), clearNotice()])
    return reply.lcView('im/room-new.page.hbs', {
      ...await chrome(reply, agent, viewer, 'active'),
      form: await rooms.roomForm(newRoomForm.state()),
      wsUrl: `${base}/ws/console`
    })
  })

  // Add and the X beside a chosen permission: the form again with the list changed; nothing is stored.
  fastify.post('/console/rooms/new/access', {
    schema: { body: roomFormBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    await viewerOf(request, 'livechat.rooms')
    const form = newRoomForm.read(request.body)
    const { values } = form
    if (values.remove !== '') {
      values.access = values.access.filter((k) => k !== values.remove)
      return await answer(reply, [roomFormFragment(await rooms.roomForm(form))])
    }
    if (values.add === '') refuse(form, 'access', roomFormMessages.noChoice)
    else if (!await rooms.knows(values.add)) {
      const rule = parseAccessKey(values.add)
      refuse(form, 'access', new LC_ERR_IM_ROOM_ACCESS(`There is no ${rule.kind} ${rule.ref} (it may have been removed)`))
    } else values.access.push(values.add)
    return await answer(reply, [roomFormFragment(await rooms.roomForm(form))], form.errors.access ? 422 : 200)
  })

  fastify.post('/console/rooms', {
    schema: { body: roomFormBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const { viewer } = await viewerOf(request, 'livechat.rooms')
    const form = newRoomForm.read(request.body)
    // A permission chosen in the select but not added yet counts: it is plainly what was meant.
    const { values } = form
    if (values.add !== '') values.access = [...new Set([...values.access, values.add])]
    const { seen, beside } = statusOf(newRoomRefusals)
    const room = await attempt(form, async () => await im.createRoom(viewer, { name: values.name, access: values.access.map(parseAccessKey) }), beside)
    if (!room) return await answer(reply, [roomFormFragment(await rooms.roomForm(form))], seen.status)
    const url = rooms.roomUrl(room.id)
    if (!request.headers['hx-request']) return await reply.redirect(url, 303)
    return await answer(reply.header('HX-Redirect', url), [clearNotice()])
  })

  // ---------------------------------------------------------------- a room

  fastify.get<IdRoute>('/console/rooms/:id', { schema: { params: roomParams } }, async (request, reply) => {
    const { agent, viewer } = await viewerOf(request)
    const room = await roomOf(viewer, request.params.id)
    const model = await rooms.room(viewer, room)
    return reply.lcView('im/room.page.hbs', {
      ...await chrome(reply, agent, viewer, room.id),
      title: `Chat room ${room.title}`,
      room: model,
      wsUrl: `${base}/ws/console${model.follow ? `?im=${model.follow}` : ''}`
    })
  })

  fastify.get<IdRoute>('/console/rooms/:id/tabs/participants', { schema: { params: roomParams } }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const room = await roomOf(viewer, request.params.id)
    return await answer(reply, [roomParticipantsFragment(rooms.participants(room, await im.participants(viewer, room.id)))])
  })

  fastify.get<IdRoute>('/console/rooms/:id/tabs/access', { schema: { params: roomParams } }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const room = await roomOf(viewer, request.params.id)
    const [agents, rules] = await Promise.all([im.withAccess(viewer, room.id), im.roomAccess(viewer, room.id)])
    return await answer(reply, [roomAccessTabFragment(await rooms.withAccess(room, agents, rules))])
  })

  fastify.post<IdRoute & { Body: RoomJoinBody }>('/console/rooms/:id/join', {
    schema: { params: roomParams, body: roomJoinBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const room = await im.join(viewer, (await roomOf(viewer, request.params.id)).id)
    // Join in the list opens the room; on the room's page the page stays.
    if (request.body?.open === 'yes') return await answer(reply.header('HX-Redirect', rooms.roomUrl(room.id)), [clearNotice()])
    return await answer(reply, [roomHeaderFragment(await rooms.header(viewer, room)), ok(messages.joined(room.title))])
  })

  fastify.post<IdRoute>('/console/rooms/:id/leave', {
    schema: { params: roomParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const room = await im.leave(viewer, (await roomOf(viewer, request.params.id)).id)
    return await answer(reply, [roomHeaderFragment(await rooms.header(viewer, room)), ok(messages.left(room.title))])
  })

  // ---------------------------------------------------------------- the managers' panel

  /**
   * After a permission changed: the panel, the header, and the Chat Room tab when the
   * change let the manager in or shut them out (otherwise a draft there is left alone).
   */
  async function accessChanged (reply: FastifyReply, viewer: ImViewer, room: ConversationSummary, wasAdmitted: boolean, notice: string) {
    const parts = [roomManageFragment(await rooms.manage(viewer, room)), roomHeaderFragment(await rooms.header(viewer, room))]
    if (await im.admits(viewer, room.id) !== wasAdmitted) parts.push(await rooms.conversationFragment(viewer, room))
    return await answer(reply, [...parts, ok(notice)])
  }

  /** The panel again, with the reason beside the part that was refused and what was typed or chosen there. */
  async function refusedInPanel (reply: FastifyReply, viewer: ImViewer, room: ConversationSummary, state: ManageState, status: number) {
    return await answer(reply, [roomManageFragment(await rooms.manage(viewer, room, state))], status)
  }

  fastify.post<IdRoute>('/console/rooms/:id/access', {
    schema: { params: roomParams, body: roomAccessBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const { viewer } = await viewerOf(request, 'livechat.rooms')
    const room = await roomOf(viewer, request.params.id)
    const form = roomAccessForm.read(request.body)
    const wasAdmitted = form.input === undefined ? false : await im.admits(viewer, room.id)
    const { seen, beside } = statusOf(accessRefusals)
    const rules = await attempt(form, async (add) => await im.addRoomAccess(viewer, room.id, parseAccessKey(add)), beside)
    if (!rules) return await refusedInPanel(reply, viewer, room, { add: form }, seen.status)
    const add = form.values.add
    const label = rules.find((r) => accessKey(r) === add)?.label ?? add
    return await accessChanged(reply, viewer, await roomOf(viewer, room.id), wasAdmitted, messages.added(label))
  })

  fastify.post<{ Params: RoomAccessParams }>('/console/rooms/:id/access/:accessId/remove', {
    schema: { params: roomAccessParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const { viewer } = await viewerOf(request, 'livechat.rooms')
    const room = await roomOf(viewer, request.params.id)
    const before = await im.roomAccess(viewer, room.id)
    const wasAdmitted = await im.admits(viewer, room.id)
    try {
      await im.removeRoomAccess(viewer, room.id, request.params.accessId)
    } catch (err) {
      if (!isCoded(err) || !removeRefusals.has(err.code)) throw err
      return await refusedInPanel(reply, viewer, room, { remove: fieldError(err) }, err.statusCode ?? 422)
    }
    const label = before.find((r) => r.id === request.params.accessId)?.label ?? 'The permission'
    return await accessChanged(reply, viewer, await roomOf(viewer, room.id), wasAdmitted, messages.removed(label))
  })

  fastify.post<IdRoute>('/console/rooms/:id/rename', {
    schema: { params: roomParams, body: roomRenameBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const { viewer } = await viewerOf(request, 'livechat.rooms')
    const room = await roomOf(viewer, request.params.id)
    const form = roomRenameForm.read(request.body)
    const { seen, beside } = statusOf({ LC_ERR_IM_ROOM_NAME: 'name' })
    const renamed = await attempt(form, async (name) => await im.renameRoom(viewer, room.id, name), beside)
    if (!renamed) return await refusedInPanel(reply, viewer, room, { rename: form }, seen.status)
    return await answer(reply, [
      roomManageFragment(await rooms.manage(viewer, renamed)),
      roomHeaderFragment(await rooms.header(viewer, renamed)),
      ok(messages.renamed(renamed.title))
    ])
  })

  fastify.post<IdRoute & { Body: RoomStatusBody }>('/console/rooms/:id/status', {
    schema: { params: roomParams, body: roomStatusBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const { viewer } = await viewerOf(request, 'livechat.rooms')
    const room = await roomOf(viewer, request.params.id)
    const changed = await im.setRoomStatus(viewer, room.id, request.body.status)
    const parts = [roomManageFragment(await rooms.manage(viewer, changed)), roomHeaderFragment(await rooms.header(viewer, changed))]
    // The reply box opens or closes with the room; a manager no permission admits has none.
    if (await im.admits(viewer, changed.id)) parts.push(composerFragment(rooms.composer(changed)))
    return await answer(reply, [...parts, ok(changed.status === 'active' ? messages.active(changed.title) : messages.inactive(changed.title))])
  })
}
