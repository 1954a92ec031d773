import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import { type CodedError, isCoded, LC_ERR_BAD_FRAME, LC_ERR_TURNED_OFF, LC_ERR_UNAVAILABLE } from '../errors.ts'
import type { Settings } from '../settings.ts'
import type { ValidateFunction } from 'ajv'
import { compiledOnUse, createAjv, describeAjvError } from '../validation.ts'
import { envelope, type Fragment } from './fragments.ts'
import { closeCodes } from './close-codes.ts'
import type { Client, Hub } from './hub.ts'

export { closeCodes } from './close-codes.ts'

/** An audience's frames: a oneOf discriminated on `type`, each branch naming its `type` as a const. */
export interface FrameSchema {
  $id: string
  oneOf: ReadonlyArray<{ properties: { type: { const: string } } }>
}

/** A socket as its audience knows it once identified: the hub's client, and whatever else the audience keeps. */
export interface Identified {
  client: Client
}

/** What a frame handler is given with the frame: the socket, its rate limit, and how to answer it. */
export interface SocketContext<I extends Identified> {
  id: I
  /** Counts one against the socket's rate limit (messagesPerMinute, a fixed window); false once it is over. */
  allowed: () => boolean
  /** Sends fragments to this socket only, after whatever it is already being sent (rendered then when lazy). */
  send: (parts: Fragment[] | (() => Promise<Fragment[]>)) => Promise<void>
  /** Tells this socket why a frame was refused, in the notice area; the socket stays open. */
  refuse: (err: CodedError) => Promise<void>
  /**
   * Sends fragments to this socket in the same frame as the chat's message `seq`, when that
   * has yet to reach it (hub.sendWith): a sender's fresh reply box goes with their copy of the message.
   */
  sendWith: (chatId: number, seq: number, parts: Fragment[]) => Promise<void>
}

/** One handler per frame `type`, each given the frame of that type. */
export type FrameHandlers<I extends Identified, F extends { type: string }> = {
  [T in F['type']]: (frame: Extract<F, { type: T }>, socket: SocketContext<I>) => Promise<void>
}

/** One socket route's rules: who may connect, what it is sent first, which frames it takes. */
export interface Audience<I extends Identified, F extends { type: string }> {
  frames: FrameSchema
  /**
   * Checks Origin and the session and builds the hub's client, before anything is sent; a
   * coded error refuses the socket (closed with 1008 and the code as the reason).
   */
  identify: (socket: WebSocket, request: FastifyRequest) => Promise<I>
  /** Once the socket has joined the hub: what it follows and is sent first (a resume, fresh lists). */
  start: (id: I, socket: SocketContext<I>) => Promise<void>
  handlers: FrameHandlers<I, F>
}

export interface SocketServerDeps {
  hub: Pick<Hub, 'attach' | 'detach' | 'send' | 'sendWith'>
  log: Pick<FastifyBaseLogger, 'error' | 'warn'>
  /** messagesPerMinute: each socket's limit. */
  settings: Pick<Settings, 'messagesPerMinute'>
  /** The notice line error frames show (web/answers.ts): given by the wiring, since realtime renders no partial. */
  notice: (level: 'error', message: string, code?: string) => Fragment
  /** Whether the host has live chat turned off (asked again when the last answer was off): a frame is then refused unread and its socket closed. */
  off?: () => boolean | Promise<boolean>
}

/** Whether a socket answered one of the last two pings: the sockets the liveness sweep keeps. */
export interface Live {
  has: (socket: WebSocket) => boolean
}

/** Listens to the liveness tick, told after every socket was pinged which ones are live. */
export type TickListener = (live: Live) => void

export interface SocketServer {
  /** The handler of one socket route (`fastify.get(path, { websocket: true }, sockets.serve(audience))`). */
  serve: <I extends Identified, F extends { type: string }>(audience: Audience<I, F>) => (socket: WebSocket, request: FastifyRequest) => void
  /**
   * Ticks at least every `everyMs` (the tick runs as often as its most pressed listener asks)
   * and calls `listener` each time, after the pings; returns what stops listening.
   */
  onTick: (everyMs: number, listener: TickListener) => () => void
  /** Sockets open and identified now, by audience (the operator's metrics). */
  open: () => Record<Client['kind'], number>
}

/**
 * The socket server both audiences use (docs/design.md §6): frames wait until the socket is
 * identified, are parsed and checked against the audience's schema, and go to its handler
 * for their type; a rate limit per socket; one liveness sweep for every socket, which pings
 * them and cuts off the ones that answered none of the last two pings.
 */
// Each audience's frame schema compiled once per process, on its first frame: every plugin
// instance in a process serves the same audiences.
const frameAjv = createAjv()
const frameValidators = new WeakMap<object, ValidateFunction>()
function frameValidator<F> (frames: object): ValidateFunction<F> {
  let validate = frameValidators.get(frames)
  if (!validate) frameValidators.set(frames, validate = compiledOnUse(frameAjv, frames))
  return validate as ValidateFunction<F>
}

/**
 * Lets go of the upgrade's HTTP request and reply. @fastify/websocket's 'error' listener holds
 * both (it logs with the request and terminates the socket; ours, added in its place, does the
 * same), and the connection keeps the ServerResponse the upgrade was routed with, which holds
 * the request with its headers.
 */
function forgetUpgrade (socket: WebSocket): void {
  socket.removeAllListeners('error')
  const raw = (socket as WebSocket & { _socket?: { _httpMessage?: { detachSocket?: (s: unknown) => void } | null } })._socket
  raw?._httpMessage?.detachSocket?.(raw)
}

/** Pings sent in one go before the sweep lets other work in: 18,000 sockets are 18 slices. */
const pingsPerSlice = 1000
/**
 * Pings in a row a socket may leave unanswered before it is cut off. Two, so a pong that
 * came in just as the next tick was due (a busy server reads it a little later) costs nothing.
 */
const missesAllowed = 2

export function createSocketServer ({ hub, log, settings, notice, off = () => false }: SocketServerDeps): SocketServer {
  // Sockets gone without a close (a laptop asleep, a dropped network) are cut off, so they
  // neither pile up nor keep anyone present. Per socket one number: the pings sent since it
  // was last heard from (a pong or any frame).
  const missed = new Map<WebSocket, number>()
  const live: Live = { has: (socket) => (missed.get(socket) ?? missesAllowed) < missesAllowed }
  // Identified sockets by audience, counted as they open and close so a scrape reads two numbers.
  const open: Record<Client['kind'], number> = { agent: 0, customer: 0 }
  const listeners = new Map<TickListener, number>()
  let timer: ReturnType<typeof setInterval> | undefined
  let period = Infinity
  let lastTick = 0
  let sweeping = false

  /**
   * One sweep for every socket (docs/design.md §6): each is pinged, and those that answered
   * none of the last pings are cut off. A tick that comes late says the event loop was held
   * up, so pongs may be waiting unread: it pings, but counts no miss and cuts nobody off. The
   * pings go in slices, so a sweep over 18,000 sockets does not hold the loop in one piece.
   */
  function tick (): void {
    const now = Date.now()
    const late = lastTick > 0 && now - lastTick > period * 1.5
    lastTick = now
    // A sweep still under way (a very busy loop) is not started twice.
    if (sweeping) return
    sweeping = true
    const sockets = missed.entries()
    const slice = (): void => {
      try {
        for (let n = 0; n < pingsPerSlice; n++) {
          const next = sockets.next()
          if (next.done === true) { finish(); return }
          const [socket, misses] = next.value
          if (misses >= missesAllowed && !late) { socket.terminate(); continue }
          if (!late) missed.set(socket, misses + 1)
          socket.ping()
        }
        setImmediate(slice)
      } catch (err) {
        sweeping = false
        log.error({ err }, 'live chat socket sweep failed')
      }
    }
    const finish = (): void => {
      sweeping = false
      for (const listener of listeners.keys()) {
        try {
          listener(live)
        } catch (err) {
          log.error({ err }, 'live chat socket tick failed')
        }
      }
    }
    slice()
  }

  /** One interval, at the shortest period a listener asks for; none while nobody listens. */
  function schedule (): void {
    const every = Math.min(...listeners.values())
    if (every === period) return
    clearInterval(timer)
    timer = undefined
    period = every
    lastTick = 0
    if (every === Infinity) return
    timer = setInterval(tick, every)
    timer.unref()
  }

  /**
   * A socket's log lines about its frames, at one level: the first, then at most one a minute with how many
   * were left out, so one client sending junk in a loop cannot flood the log.
   */
  function frameLog (log: FastifyBaseLogger, level: 'warn' | 'error'): (fields: object, message: string) => void {
    let last = -Infinity
    let suppressed = 0
    return (fields, message) => {
      const now = Date.now()
      if (now - last < 60_000) { suppressed++; return }
      last = now
      log[level]({ ...fields, ...(suppressed > 0 ? { suppressed } : {}) }, message)
      suppressed = 0
    }
  }

  /** A fixed window per socket: enough for a person typing, not for a flood. */
  function rateLimiter (): () => boolean {
    let windowStart = Date.now()
    let count = 0
    return () => {
      const now = Date.now()
      if (now - windowStart > 60_000) { windowStart = now; count = 0 }
      return ++count <= settings.messagesPerMinute
    }
  }

  function serve<I extends Identified, F extends { type: string }> (audience: Audience<I, F>) {
    const types: readonly string[] = audience.frames.oneOf.map((branch) => branch.properties.type.const)
    // Each type is checked against its own branch, so what is wrong is told in that frame's
    // fields (a read frame missing its seq is not told a message needs a body).
    const branches = new Map<string, object>(audience.frames.oneOf.map((branch) => [branch.properties.type.const, branch]))

    /** Parses and checks a frame; what is wrong with it is the sender's, told to them and not thrown. */
    function parse (raw: string): F | CodedError {
      let frame: unknown
      try {
        frame = JSON.parse(raw)
      } catch {
        return new LC_ERR_BAD_FRAME('it is not JSON')
      }
      // Name the allowed types first: the oneOf's own first error would talk about a branch's fields.
      const type = (frame as { type?: unknown } | null)?.type
      const branch = typeof type === 'string' ? branches.get(type) : undefined
      if (!branch) return new LC_ERR_BAD_FRAME(`type must be one of: ${types.join(', ')}`)
      const validate = frameValidator<F>(branch)
      if (!validate(frame)) return new LC_ERR_BAD_FRAME(describeAjvError(validate.errors![0]!, 'message'))
      return frame
    }

    async function dispatch (context: SocketContext<I>, frame: F): Promise<void> {
      const handle = audience.handlers[frame.type as F['type']] as (frame: F, socket: SocketContext<I>) => Promise<void>
      await handle(frame, context)
    }

    return (socket: WebSocket, request: FastifyRequest): void => {
      // An idle socket keeps only what it needs (docs/design.md §9): its logger, not the
      // upgrade's request and reply, which @fastify/websocket's error listener and the HTTP
      // response bound to the connection would otherwise hold for the socket's whole life.
      const log = request.log
      forgetUpgrade(socket)
      const allowed = rateLimiter()
      let context: SocketContext<I> | undefined
      let counted: Client['kind'] | undefined
      // Frames wait for this: nothing is read, and nothing sent, before the socket is identified.
      const ready = audience.identify(socket, request).then(async (id) => {
        const send = async (parts: Fragment[] | (() => Promise<Fragment[]>)): Promise<void> =>
          await hub.send(id.client, Array.isArray(parts) ? envelope(parts) : async () => envelope(await parts()))
        context = {
          id,
          allowed,
          send,
          refuse: async (err) => { await send([notice('error', err.message, err.code)]) },
          sendWith: async (chatId, seq, parts) => { await hub.sendWith(id.client, chatId, seq, envelope(parts)) }
        }
        if (socket.readyState !== 1) return
        hub.attach(id.client)
        counted = id.client.kind
        open[counted]++
        await audience.start(id, context)
      }, (err: unknown) => {
        const reason = isCoded(err) ? err.code : 'LC_ERR_INTERNAL'
        if (!isCoded(err)) log.error({ err }, 'live chat socket setup failed')
        socket.close(closeCodes.refused, reason)
      })
      ready.catch((err: unknown) => { log.error({ err }, 'live chat socket start failed') })
      // Attached synchronously, before any await, or early frames would be dropped.
      const note = { warn: frameLog(log, 'warn'), error: frameLog(log, 'error') }
      socket.on('message', (data, isBinary) => {
        missed.set(socket, 0)
        void ready.then(async () => {
          if (!context) return
          // A refusal is the sender's to fix: a warning without a stack. Anything else is ours
          // (the database away, say): logged as an error, and the sender is not blamed for it.
          const refuse = async (err: CodedError): Promise<void> => {
            note.warn({ code: err.code, reason: err.message }, 'live chat socket frame refused')
            await context!.refuse(err)
          }
          const turnedOff = off()
          if (turnedOff === true || (turnedOff !== false && await turnedOff)) {
            // Turned off: nothing a frame asks is done; the socket goes, as the others did.
            await context.refuse(new LC_ERR_TURNED_OFF())
            socket.close(closeCodes.restarting, 'Live chat is turned off')
            return
          }
          // Checked before any await, so a refusal keeps its place among the answers to later frames.
          const frame = isBinary ? new LC_ERR_BAD_FRAME('binary frames are not accepted') : parse(data.toString())
          if (isCoded(frame)) { await refuse(frame); return }
          try {
            await dispatch(context, frame)
          } catch (err) {
            if (isCoded(err) && (err.statusCode ?? 500) < 500) { await refuse(err); return }
            note.error({ err }, 'live chat socket message failed')
            await context.refuse(new LC_ERR_UNAVAILABLE())
          }
        }).catch((err: unknown) => { log.error({ err }, 'live chat socket answer failed') })
      })
      missed.set(socket, 0)
      socket.on('pong', () => { missed.set(socket, 0) })
      socket.on('close', () => {
        missed.delete(socket)
        if (context) hub.detach(context.id.client)
        if (counted) open[counted]--
        counted = undefined
      })
      socket.on('error', (err) => {
        log.warn({ err }, 'live chat socket error')
        socket.terminate()
      })
    }
  }

  return {
    serve,
    open: () => ({ ...open }),
    onTick (everyMs, listener) {
      listeners.set(listener, everyMs)
      schedule()
      return () => {
        listeners.delete(listener)
        schedule()
      }
    }
  }
}
