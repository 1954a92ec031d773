import type { FastifyPluginAsync } from 'fastify'
import { healthResponse, readyResponse } from './schemas.ts'
import type { OpsService } from './service.ts'

/** What the operator's probes read. */
export interface OpsRoutesDeps {
  ops: OpsService
}

/**
 * Health (docs/features.md#health-and-readiness): `/health` says the process answers, for a
 * liveness probe that restarts it when it does not; `/ready` says whether this instance can
 * serve chats now, for a load balancer that sends it traffic only then. Neither needs a
 * session: probes have none. They name the failing part, never a secret. While the instance
 * closes, Fastify itself answers 503 to every request, these included, so it drains first.
 */
export const opsRoutes: FastifyPluginAsync<OpsRoutesDeps> = async (fastify, { ops }) => {
  fastify.get('/health', { schema: { response: { 200: healthResponse } } }, async () => ({ status: 'ok' as const }))

  fastify.get('/ready', { schema: { response: { 200: readyResponse, 503: readyResponse } } }, async (_request, reply) => {
    const { ready, checks, failing } = await ops.readiness()
    if (ready) return { status: 'ready' as const, checks, failing }
    return await reply.code(503).header('retry-after', '5').send({ status: 'unavailable' as const, checks, failing })
  })
}
