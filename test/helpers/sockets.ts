import type { FastifyInstance } from 'fastify'
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
