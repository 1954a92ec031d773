import type { Bus, BusEvent, BusHandler } from './bus-events.ts'
import type { RedisBusLog } from './redis-bus.ts'

/**
 * The single-instance bus. Handlers run on a later tick so a publisher never waits on
 * rendering, and one failing handler cannot stop the others.
 */
export function memoryBus (): Bus {
  const handlers = new Set<BusHandler>()
  return {
    async publish (event: BusEvent) {
      // A round trip through JSON keeps the in-process bus honest about what Redis can carry.
      const copy = JSON.parse(JSON.stringify(event)) as BusEvent
      for (const h of handlers) setImmediate(() => { h(copy) })
    },
    subscribe (handler) {
      handlers.add(handler)
      return () => { handlers.delete(handler) }
    },
    async close () { handlers.clear() }
  }
}

/**
 * The bus an instance publishes on: Redis pub/sub when `redisUrl` is set (several instances
 * deliver to each other's sockets), else the in-process bus. Subscribed before the plugin is
 * ready, so no instance misses what another publishes.
 */
export async function openBus (redisUrl: string | undefined, log: RedisBusLog): Promise<Bus> {
  if (!redisUrl) return memoryBus()
  // Loaded only here: an instance without Redis never loads its client.
  const { redisBus } = await import('./redis-bus.ts')
  const redis = redisBus(redisUrl, { log })
  try {
    await redis.ready()
  } catch (err) {
    await redis.close()
    throw err
  }
  return redis
}
