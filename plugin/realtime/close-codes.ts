/**
 * The close codes of every socket (docs/design.md §6). htmx does not come back after 1008;
 * after 1012 and 1013 it reconnects and resumes by seq.
 */
export const closeCodes = {
  /** Auth or Origin refused. The socket is accepted, then closed: a refused upgrade makes htmx retry forever. */
  refused: 1008,
  /** This instance is shutting down, or live chat was turned off: the client comes back when it can. */
  restarting: 1012,
  /** Too far behind: the hub's buffered-amount limit. */
  behind: 1013
} as const
