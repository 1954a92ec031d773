import type { Bus, BusEvent, BusHandler } from './bus-events.ts'

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
