import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import { build as buildShared } from '../helpers/build.ts'

interface Teardown { teardown (fn: () => unknown): void }

/** The shared build: demo host + plugin on a private database (SQLite in memory, or its own MariaDB database). */
export async function build (t: Teardown): Promise<{ app: FastifyInstance, knex: Knex }> {
  const { app, knex } = await buildShared(t)
  return { app, knex }
}

export const origin = 'http://localhost:80'

/** Signs in through the login form (any password, for testing refusals) and returns the Cookie header. */
export async function login (app: FastifyInstance, username: string, password = 'demo'): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/login', headers: { origin }, payload: { username, password } })
  const cookie = [res.cookies].flat().find((c) => c.name === 'hd_session')
  if (res.statusCode !== 303 || !cookie) throw new Error(`login as ${username} failed: ${res.statusCode}`)
  return `hd_session=${cookie.value}`
}
