import type { HostAdapter, HostUser, TicketRequester } from '../host/adapter.ts'

/** Who a ticket is for: a help desk user (`id`), or a guest (`id` null) with the name and email they gave. */
export interface Requester extends TicketRequester {
  id: string | null
}

/** What is known of the customer: the signed-in user (or their id), and the name and email they typed. */
export interface RequesterClaim {
  user?: HostUser | null
  userId?: string | null
  name: string
  email: string
}

/** How many users the email search may return; an exact match is looked for among them. */
const searchLimit = 25

/** An email as compared: trimmed, case-insensitive. */
export const sameEmail = (email: string): string => email.trim().toLowerCase()

/**
 * The one answer to "who is the requester" (docs/hosts.md#tickets-a-desk-receives), for Create Ticket, leave a
 * message and the queue-timeout job alike: signed in, that user; else the help desk user whose email is the one
 * given, when exactly one user has it (trimmed, ignoring case); else a guest with the name and email given.
 * The help desk's own errors are thrown as they are, for the caller to say what was not done.
 */
export async function findRequester (host: Pick<HostAdapter, 'getUser' | 'findUsers'>, claim: RequesterClaim): Promise<Requester> {
  const signedIn = claim.user ?? (claim.userId ? await host.getUser(claim.userId) : null)
  if (signedIn) return { id: signedIn.id, name: signedIn.name, email: signedIn.email }
  const email = sameEmail(claim.email)
  const name = claim.name.trim()
  if (email !== '') {
    const same = (await host.findUsers(email, searchLimit)).filter((u) => sameEmail(u.email) === email)
    if (same.length === 1) return { id: same[0]!.id, name: same[0]!.name, email: same[0]!.email }
  }
  // A guest without a name is called by the email they gave.
  return { id: null, name: name || claim.email.trim(), email: claim.email.trim() }
}
