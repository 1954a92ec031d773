import { Redis } from 'ioredis'
import type { Bus, BusEvent, BusHandler } from './bus-events.ts'

export interface RedisBusLog {
  warn: (obj: object, msg: string) => void
  error: (obj: object, msg: string) => void
}

export interface RedisBusOptions {
  /** The pub/sub channel every instance of one desk shares (default `livechat:events`). */
  channel?: string
  log?: RedisBusLog
}

export type RedisBus = Bus & {
  /** Resolves once the subscription is acknowledged: from then on no event on the channel is missed. */
  ready: () => Promise<void>
}

const consoleLog: RedisBusLog = {
  warn: (obj, msg) => { console.warn(msg, obj) },
  error: (obj, msg) => { console.error(msg, obj) }
}

/**
 * The bus between instances (docs/design.md §6): every event goes through one Redis pub/sub
 * channel, and this instance's handlers are fed only from its subscription, so an event
 * it published itself comes back once, like anyone else's. Two connections: a subscribed
 * connection cannot publish.
 */
export function redisBus (url: string, opts: RedisBusOptions = {}): RedisBus {
  const channel = opts.channel ?? 'livechat:events'
  const log = opts.log ?? consoleLog
  const handlers = new Set<BusHandler>()
  let closed = false
  // A publish waits at most one retry: the change it announces is already committed, and
  // a request must not hang on Redis (see publish).
  // Auto-pipelining: payloads published in one turn go out in one write rather than one each, in order.
  const publisher = new Redis(url, { maxRetriesPerRequest: 1, enableAutoPipelining: true })
  // The events published in one turn of the event loop, whole (a batch of 50 assignments is 250, a group of starts
  // three a chat), travel as one payload, a JSON array: one PUBLISH and one message for every instance to parse,
  // rather than one each. The handlers still get them one at a time, in the order published.
  let pending: { events: BusEvent[], sent: Promise<void> } | null = null
  const subscriber = new Redis(url)
  // Without a listener ioredis prints every connection error itself; reconnecting is its job.
  publisher.on('error', (err: unknown) => { log.warn({ err }, 'live chat Redis publisher error') })
  subscriber.on('error', (err: unknown) => { log.warn({ err }, 'live chat Redis subscriber error') })

  subscriber.on('message', (from: string, payload: string) => {
    if (from !== channel) return
    let events: BusEvent[]
    try {
      const parsed = JSON.parse(payload) as BusEvent | BusEvent[]
      events = Array.isArray(parsed) ? parsed : [parsed]
      if (events.some((e) => typeof e !== 'object' || e === null || typeof e.type !== 'string')) throw new Error('not an event')
    } catch (err) {
      log.warn({ err, channel, payload: payload.slice(0, 200) }, 'live chat bus ignored a malformed payload')
      return
    }
    for (const event of events) {
      for (const handler of handlers) {
        try {
          handler(event)
        } catch (err) {
          log.error({ err, event: event.type }, 'live chat bus handler failed')
        }
      }
    }
  })

  // ioredis subscribes again by itself after a reconnect; this is the first acknowledgement.
  // A connection error before it fails ready() at once, rather than after ioredis's retries.
  const subscribed = new Promise<void>((resolve, reject) => {
    const early = (err: Error) => { reject(new Error(`live chat could not subscribe on Redis at ${redacted(url)}: ${err.message}`, { cause: err })) }
    subscriber.once('error', early)
    subscriber.subscribe(channel).then(() => { resolve() }, reject).finally(() => { subscriber.off('error', early) })
  })
  subscribed.catch((err: unknown) => { if (!closed) log.error({ err, channel }, 'live chat Redis subscription failed') })
  // Ready means both connections are: the subscriber can be up while the publisher is still
  // between connect and ready, and a readiness check made then would fail for nothing.
  // The ping waits in ioredis's offline queue until the publisher is ready.
  const up = subscribed.then(async () => { await publisher.ping() })
  up.catch(() => {})

  return {
    ready: () => up,
    async publish (event: BusEvent) {
      if (pending) {
        pending.events.push(event)
        return await pending.sent
      }
      const batch: { events: BusEvent[], sent: Promise<void> } = { events: [event], sent: Promise.resolve() }
      pending = batch
      batch.sent = (async () => {
        // Until our own subscription stands, our own sockets would miss what we publish. (Awaited here, it also lets
        // the rest of this turn's events join the batch.)
        try {
          await subscribed
        } finally {
          pending = null
        }
        const { events } = batch
        try {
          // One event alone goes as before: an instance of an earlier version reads it still.
          await publisher.publish(channel, JSON.stringify(events.length === 1 ? events[0] : events))
        } catch (err) {
          // The change is committed; failing the request now would only hide that. Sockets
          // that missed it catch up by seq when the next message arrives or they reconnect.
          log.error({ err, event: events[0]!.type, events: events.length }, 'live chat could not publish on Redis')
        }
      })()
      return await batch.sent
    },
    subscribe (handler) {
      handlers.add(handler)
      return () => { handlers.delete(handler) }
    },
    async check () {
      // Both connections: one that publishes and one that hears what the others publish.
      for (const [name, redis] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
        if (redis.status !== 'ready') throw new Error(`Redis ${name} connection is ${redis.status}`)
      }
      await publisher.ping()
    },
    async close () {
      closed = true
      handlers.clear()
      await Promise.all([quit(publisher), quit(subscriber)])
    }
  }
}

/** QUIT, or a plain disconnect when the connection is not up (QUIT would wait for it). */
async function quit (redis: Redis): Promise<void> {
  if (redis.status === 'end') return
  if (redis.status !== 'ready') {
    redis.disconnect()
    return
  }
  try {
    await redis.quit()
  } catch {
    redis.disconnect()
  }
}

function redacted (url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.href
  } catch {
    return 'REDIS_URL (not a valid URL)'
  }
}
