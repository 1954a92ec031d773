/**
 * Whether the host has live chat turned on (docs/features.md#turning-it-off), asked once a
 * second, so that turning it off is a hard stop and not only the host's 404 for new
 * requests: open sockets are closed, jobs skip their ticks and socket frames are refused.
 * Between checks the last answer stands; a host that cannot answer leaves it as it was.
 */
export interface PluginSwitch {
  /** The last answer: true until the host says otherwise. */
  on: () => boolean
  /** When the last answer was off, asks again (the host may have just turned it back on); true if it is still off. */
  stillOff: () => Promise<boolean>
  /** Starts asking; `turnedOff` runs once each time the answer goes from on to off. */
  start: () => void
  stop: () => void
}

export interface SwitchDeps {
  /** The host's answer (the plugin's `enabled` option); none means always on. */
  enabled?: () => boolean | Promise<boolean>
  turnedOff: () => Promise<void>
  log: { warn: (obj: object, msg: string) => void, error: (obj: object, msg: string) => void, info: (obj: object, msg: string) => void }
  everyMs?: number
}

export function createSwitch ({ enabled, turnedOff, log, everyMs = 1_000 }: SwitchDeps): PluginSwitch {
  let on = true
  let timer: ReturnType<typeof setInterval> | undefined
  let asking = false

  async function check (): Promise<void> {
    if (!enabled || asking) return
    asking = true
    try {
      const now = await enabled()
      if (now === on) return
      on = now
      log.info({ on }, on ? 'live chat turned on' : 'live chat turned off: closing its sockets, its jobs skip their ticks')
      if (!on) await turnedOff()
    } catch (err) {
      log.warn({ err }, 'live chat could not ask the host whether it is turned on; the last answer stands')
    } finally {
      asking = false
    }
  }

  return {
    on: () => on,
    async stillOff () {
      if (on) return false
      await check()
      return !on
    },
    start () {
      if (!enabled || timer) return
      timer = setInterval(() => { void check() }, everyMs)
      timer.unref()
      void check()
    },
    stop () {
      clearInterval(timer)
      timer = undefined
    }
  }
}
