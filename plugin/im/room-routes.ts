import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { RouteDeps } from '../deps.ts'
import { isCoded, LC_ERR_IM_NOT_FOUND, LC_ERR_IM_ROOM_ACCESS } from '../errors.ts'
import type { Permission } from '../settings.ts'
import type { Fragment } from '../realtime/fragments.ts'
import type { Agent } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { answer } from '../web/answers.ts'
import { listTableFragment } from '../web/lists/table.ts'
import {
  type RoomAccessBody, roomAccessBody, type RoomAccessParams, roomAccessParams, type RoomFormBody, roomFormBody, type RoomJoinBody, roomJoinBody,
  type RoomListQuery, roomListQuery, type RoomParams, roomParams, type RoomRenameBody, roomRenameBody, type RoomStatusBody, roomStatusBody
} from './room-schemas.ts'
import { accessKey, createRoomViews, type ManageErrors, parseAccessKey, roomListViews, roomMessages, type RoomListView } from './room-view-models.ts'
import { imViewer } from './service.ts'
import type { ConversationSummary, ImViewer } from './types.ts'

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

/** Refusals a person fixes in the New room form itself: it comes back with everything kept and the reason beside the field. */
const nameErrors = new Set(['LC_ERR_IM_ROOM_NAME'])
const accessErrors = new Set(['LC_ERR_IM_ROOM_NO_ACCESS', 'LC_ERR_IM_ROOM_ACCESS', 'LC_ERR_IM_ROOM_ACCESS_TAKEN'])

/** A form field sent once or many times (formbody gives one as a string), each value once. */
function listOf (raw: string | string[] | undefined): string[] {
  return [...new Set(raw === undefined ? [] : Array.isArray(raw) ? raw : [raw])]
}

/**
 * Chat rooms (docs/features.md#chat-rooms): the list with Search and Join, New room for
 * room managers (livechat.rooms), and a room's page with its tabs, Join / Leave and the
 * managers' panel. Posting uses the conversation routes of plugin/im/routes.ts, as threads
 * do. Who may see, read and manage a room is the service's rule; a room the viewer may not
 * see is a 404 like a missing id.
 */
export const roomRoutes: FastifyPluginAsync<RouteDeps> = async (fastify, deps) => {
  const { base, access, views, im, routing, consoleViews, answers, settings } = deps
  const rooms = createRoomViews({ base, im, views, maxMessageLength: settings.maxMessageLength })

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

  async function send (reply: FastifyReply, status: number, parts: Fragment[]): Promise<FastifyReply> {
    return await answers.send(reply, status, parts)
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
    if (request.headers['hx-request']) return await send(reply, 200, [await rooms.modalFragment(), answers.clearNotice()])
    return reply.lcView('im/room-new.page.hbs', {
      ...await chrome(reply, agent, viewer, 'active'),
      form: await rooms.roomForm({ name: '', access: [] }),
      wsUrl: `${base}/ws/console`
    })
  })

  // Add and the X beside a chosen permission: the form again with the list changed; nothing is stored.
  fastify.post<{ Body: RoomFormBody }>('/console/rooms/new/access', {
    schema: { body: roomFormBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    await viewerOf(request, 'livechat.rooms')
    const body = request.body ?? {}
    const draft = { name: body.name ?? '', access: listOf(body.access), place: body.place }
    if (body.remove !== undefined) {
      draft.access = draft.access.filter((k) => k !== body.remove)
      return await send(reply, 200, [rooms.formFragment(await rooms.roomForm(draft))])
    }
    const add = body.add ?? ''
    if (add === '') return await send(reply, 422, [rooms.formFragment(await rooms.roomForm(draft, { access: roomMessages.noChoice }))])
    if (!await rooms.knows(add)) {
      const rule = parseAccessKey(add)
      const error = new LC_ERR_IM_ROOM_ACCESS(`There is no ${rule.kind} ${rule.ref} (it may have been removed)`).message
      return await send(reply, 422, [rooms.formFragment(await rooms.roomForm(draft, { access: error }))])
    }
    draft.access.push(add)
    return await send(reply, 200, [rooms.formFragment(await rooms.roomForm(draft))])
  })

  fastify.post<{ Body: RoomFormBody }>('/console/rooms', {
    schema: { body: roomFormBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const { viewer } = await viewerOf(request, 'livechat.rooms')
    const body = request.body ?? {}
    // A permission chosen in the select but not added yet counts: it is plainly what was meant.
    const draft = { name: body.name ?? '', access: listOf([...listOf(body.access), ...body.add ? [body.add] : []]), place: body.place }
    let room: ConversationSummary
    try {
      room = await im.createRoom(viewer, { name: draft.name, access: draft.access.map(parseAccessKey) })
    } catch (err) {
      if (!isCoded(err)) throw err
      const field = nameErrors.has(err.code) ? 'name' : accessErrors.has(err.code) ? 'access' : null
      if (field === null) throw err
      return await send(reply, err.statusCode ?? 422, [rooms.formFragment(await rooms.roomForm(draft, { [field]: err.message }))])
    }
    const url = rooms.roomUrl(room.id)
    if (!request.headers['hx-request']) return await reply.redirect(url, 303)
    return await send(reply.header('HX-Redirect', url), 200, [answers.clearNotice()])
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
    return await send(reply, 200, [rooms.participantsFragment(room, await im.participants(viewer, room.id))])
  })

  fastify.get<IdRoute>('/console/rooms/:id/tabs/access', { schema: { params: roomParams } }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const room = await roomOf(viewer, request.params.id)
    const [agents, rules] = await Promise.all([im.withAccess(viewer, room.id), im.roomAccess(viewer, room.id)])
    return await send(reply, 200, [await rooms.withAccessFragment(room, agents, rules)])
  })

  fastify.post<IdRoute & { Body: RoomJoinBody }>('/console/rooms/:id/join', {
    schema: { params: roomParams, body: roomJoinBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const room = await im.join(viewer, (await roomOf(viewer, request.params.id)).id)
    // Join in the list opens the room; on the room's page the page stays.
    if (request.body?.open === 'yes') return await send(reply.header('HX-Redirect', rooms.roomUrl(room.id)), 200, [answers.clearNotice()])
    return await send(reply, 200, [await rooms.headerFragment(viewer, room), answers.ok(messages.joined(room.title))])
  })

  fastify.post<IdRoute>('/console/rooms/:id/leave', {
    schema: { params: roomParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const room = await im.leave(viewer, (await roomOf(viewer, request.params.id)).id)
    return await send(reply, 200, [await rooms.headerFragment(viewer, room), answers.ok(messages.left(room.title))])
  })

  // ---------------------------------------------------------------- the managers' panel

  /**
   * After a permission changed: the panel, the header, and the Chat Room tab when the
   * change let the manager in or shut them out (otherwise a draft there is left alone).
   */
  async function accessChanged (reply: FastifyReply, viewer: ImViewer, room: ConversationSummary, wasAdmitted: boolean, notice: string) {
    const parts = [await rooms.manageFragment(viewer, room), await rooms.headerFragment(viewer, room)]
    if (await im.admits(viewer, room.id) !== wasAdmitted) parts.push(await rooms.conversationFragment(viewer, room))
    return await send(reply, 200, [...parts, answers.ok(notice)])
  }

  async function refuseInPanel (reply: FastifyReply, viewer: ImViewer, room: ConversationSummary, err: unknown, field: keyof ManageErrors, codes: ReadonlySet<string>, typed: { name?: string, add?: string } = {}) {
    if (!isCoded(err) || !codes.has(err.code)) throw err
    return await send(reply, err.statusCode ?? 422, [await rooms.manageFragment(viewer, room, { [field]: err.message }, typed)])
  }

  fastify.post<IdRoute & { Body: RoomAccessBody }>('/console/rooms/:id/access', {
    schema: { params: roomParams, body: roomAccessBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const { viewer } = await viewerOf(request, 'livechat.rooms')
    const room = await roomOf(viewer, request.params.id)
    const add = request.body?.add ?? ''
    if (add === '') return await send(reply, 422, [await rooms.manageFragment(viewer, room, { access: roomMessages.noChoice })])
    const wasAdmitted = await im.admits(viewer, room.id)
    let rules
    try {
      rules = await im.addRoomAccess(viewer, room.id, parseAccessKey(add))
    } catch (err) {
      return await refuseInPanel(reply, viewer, room, err, 'access', accessErrors, { add })
    }
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
      return await refuseInPanel(reply, viewer, room, err, 'remove', new Set(['LC_ERR_IM_ROOM_NO_ACCESS', 'LC_ERR_IM_ROOM_ACCESS_NOT_FOUND']))
    }
    const label = before.find((r) => r.id === request.params.accessId)?.label ?? 'The permission'
    return await accessChanged(reply, viewer, await roomOf(viewer, room.id), wasAdmitted, messages.removed(label))
  })

  fastify.post<IdRoute & { Body: RoomRenameBody }>('/console/rooms/:id/rename', {
    schema: { params: roomParams, body: roomRenameBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const { viewer } = await viewerOf(request, 'livechat.rooms')
    const room = await roomOf(viewer, request.params.id)
    let renamed: ConversationSummary
    try {
      renamed = await im.renameRoom(viewer, room.id, request.body.name)
    } catch (err) {
      return await refuseInPanel(reply, viewer, room, err, 'name', nameErrors, { name: request.body.name })
    }
    return await send(reply, 200, [
      await rooms.manageFragment(viewer, renamed),
      await rooms.headerFragment(viewer, renamed),
      answers.ok(messages.renamed(renamed.title))
    ])
  })

  fastify.post<IdRoute & { Body: RoomStatusBody }>('/console/rooms/:id/status', {
    schema: { params: roomParams, body: roomStatusBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const { viewer } = await viewerOf(request, 'livechat.rooms')
    const room = await roomOf(viewer, request.params.id)
    const changed = await im.setRoomStatus(viewer, room.id, request.body.status)
    const parts = [await rooms.manageFragment(viewer, changed), await rooms.headerFragment(viewer, changed)]
    // The reply box opens or closes with the room; a manager no permission admits has none.
    if (await im.admits(viewer, changed.id)) parts.push(rooms.composerFragment(changed))
    return await send(reply, 200, [...parts, answers.ok(changed.status === 'active' ? messages.active(changed.title) : messages.inactive(changed.title))])
  })
}
