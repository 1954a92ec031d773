import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'
import { LC_ERR_METRICS_TOKEN, LC_ERR_NOT_FOUND } from '../errors.ts'
import type { Settings } from '../settings.ts'
import type { Metrics } from './metrics.ts'

/** What the metrics endpoint reads: the token setting and this instance's metrics. */
export interface MetricsRoutesDeps {
  settings: Pick<Settings, 'metricsToken'>
  metrics: Pick<Metrics, 'text' | 'contentType'>
}

/** Equal or not in the same time whatever the token sent: both sides are hashed to one length first. */
function sameToken (sent: string, token: string): boolean {
  const a = createHash('sha256').update(sent).digest()
  const b = createHash('sha256').update(token).digest()
  return timingSafeEqual(a, b)
}

/**
 * Prometheus metrics (docs/features.md#metrics): off (404, as if there were no such page)
 * until the administrator sets `metricsToken`; then only a request bearing it is answered,
 * since queue lengths and chat counts say how busy the desk is. No session is needed: a
 * scraper has none.
 */
export const metricsRoutes: FastifyPluginAsync<MetricsRoutesDeps> = async (fastify, { settings, metrics }) => {
  fastify.get('/metrics', async (request, reply) => {
    const token = settings.metricsToken
    if (token === '') throw new LC_ERR_NOT_FOUND()
    const header = request.headers.authorization ?? ''
    const sent = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : ''
    if (sent === '' || !sameToken(sent, token)) {
      void reply.header('www-authenticate', 'Bearer realm="livechat metrics"')
      throw new LC_ERR_METRICS_TOKEN()
    }
    return await reply.header('content-type', metrics.contentType).header('cache-control', 'no-store').send(await metrics.text())
  })
}
