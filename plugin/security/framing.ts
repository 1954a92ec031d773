import type { RequestLike } from '../host/adapter.ts'
import type { Settings } from '../settings.ts'

/*
 * The customer's pages inside the chat widget's frame on another site (docs/features.md#embeddable-widget,
 * docs/design.md §8). Only those pages may be framed, and only by the sites in widgetOrigins.
 */

/** An origin as the CSP may name it: scheme, host and port, nothing that could end the directive. */
const plainOrigin = /^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$/

/** The widget sites as written in the setting, without a trailing slash, and only those that are plain origins. */
export function widgetOrigins (settings: Pick<Settings, 'widgetOrigins'>): string[] {
  return settings.widgetOrigins.map((o) => o.replace(/\/$/, '')).filter((o) => plainOrigin.test(o))
}

/** Whether `origin` (an Origin header) is one of the widget sites; compared through URL, so ":443" written or not is the same. */
export function isWidgetOrigin (settings: Pick<Settings, 'widgetOrigins'>, origin: string | undefined): boolean {
  if (origin === undefined) return false
  let asked: URL
  try { asked = new URL(origin) } catch { return false }
  return widgetOrigins(settings).some((o) => {
    const allowed = new URL(o)
    return allowed.protocol === asked.protocol && allowed.host === asked.host
  })
}

/** The page's CSP with `frame-ancestors` widened from 'self' to the widget sites. */
export function framedPolicy (csp: string, settings: Pick<Settings, 'widgetOrigins'>): string {
  const sites = widgetOrigins(settings)
  if (sites.length === 0) return csp
  return csp.replace(/frame-ancestors 'self'/, `frame-ancestors 'self' ${sites.join(' ')}`)
}

/** Browsers keep a Secure cookie sent over plain HTTP only from a loopback host (tests, a desk on one machine). */
function secureContext (request: RequestLike & { protocol: string, hostname: string }): boolean {
  if (request.protocol === 'https') return true
  const host = request.hostname.replace(/:\d+$/, '')
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '[::1]'
}

/**
 * The cookie attributes of a customer's page: inside a frame (a navigation the browser marks
 * `Sec-Fetch-Dest: iframe`) on a secure context, `SameSite=None; Secure; Partitioned`; else none
 * to add (the page's own `Lax`/`Strict` stand). A cross-site frame gets no SameSite=Lax or
 * Strict cookie at all, and browsers that block third-party cookies still keep a partitioned
 * one: it lives only under the embedding site, so the chat it opens is that site's alone, and
 * the CSRF token and the Origin check still guard every change (docs/design.md §8).
 */
export function framedCookie (request: RequestLike & { protocol: string, hostname: string }): { sameSite: 'none', secure: true, partitioned: true } | Record<string, never> {
  if (request.headers['sec-fetch-dest'] !== 'iframe' || !secureContext(request)) return {}
  return { sameSite: 'none', secure: true, partitioned: true }
}
