import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { agentSession, openSocket, startChat } from './build.ts'

/**
 * A chat Alice has accepted, with both sides' sockets open from seq 2 (the question and
 * "joined"); both are closed when `t` ends.
 */
export async function liveChat (t: { teardown: (fn: () => unknown) => void }, app: FastifyInstance, url: string) {
  const { chatId, cookie } = await startChat(app)
  const alice = await agentSession(app, 'alice')
  await alice.post(`/livechat/console/chats/${chatId}/accept`)
  const agent = await openSocket(url, `/livechat/ws/console?since=${chatId}.2`, { cookie: alice.cookie, origin: url })
  const customer = await openSocket(url, `/livechat/ws/chat/${chatId}?since=${chatId}.2`, { cookie, origin: url })
  t.teardown(async () => { await agent.close(); await customer.close() })
  return { chatId, cookie, alice, agent, customer }
}

/** A socket that must be refused: where it connects, with what, and the close reason expected. */
export interface Refusal { name: string, path: string, headers: Record<string, string>, reason: string }

/** Opens each socket and checks it was accepted, then closed with 1008 and its reason, having been sent nothing. */
export async function expectRefused (t: Test, url: string, cases: Refusal[]): Promise<void> {
  for (const c of cases) {
    const socket = await openSocket(url, c.path, c.headers)
    const closed = await socket.closed
    t.equal(closed.code, 1008, c.name)
    t.equal(closed.reason, c.reason, c.name)
    t.same(socket.frames, [], `${c.name}: nothing was sent`)
  }
}
