/**
 * The one place that wraps rendered partials for htmx: HTTP responses and
 * socket frames alike are a list of <hx-partial> envelopes, each naming its target and swap.
 */
export type Swap = 'innerHTML' | 'outerHTML' | 'beforeend' | 'afterbegin' | 'delete'

export interface Fragment {
  target: string
  swap: Swap
  html: string
}

export function fragment (target: string, swap: Swap, html: string): Fragment {
  return { target, swap, html }
}

/** Target ids come from targets.ts and are never user text; the HTML is our own rendered partial. */
export function envelope (fragments: Fragment[]): string {
  return fragments.map((f) => `<hx-partial hx-target="#${f.target}" hx-swap="${f.swap}">${f.html}</hx-partial>`).join('')
}
