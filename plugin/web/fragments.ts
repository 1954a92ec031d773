import { type Fragment, fragment, type Swap } from '../realtime/fragments.ts'
import { render } from './views.ts'

export type { Fragment, Swap } from '../realtime/fragments.ts'

/**
 * Binds a partial to where it goes, once (docs/design.md §1, "A fragment is bound once"): the
 * function returned is the only way that partial is sent, whether by a page's htmx answer,
 * a projection or a socket. Declare it beside the partial's view-model:
 *
 *   export const commentForm = bind('comments/form', 'outerHTML', (m: CommentForm) => targets.commentForm(m.chatId))
 */
export function bind<M extends object> (partial: string, swap: Swap, target: (model: M) => string): (model: M) => Fragment {
  return (model) => fragment(target(model), swap, render(partial, model))
}
