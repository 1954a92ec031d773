/*
 * Business hours (docs/features.md#business-hours): the maths, with no database. A
 * department's week is a list of opening periods in wall-clock time of its IANA time zone;
 * whether it is open at an instant is read off the wall clock there, so a change of
 * daylight saving time needs no special case: at 03:00 on the morning the clocks jump from
 * 02:00, a period opening at 02:30 is open. Only "when does it open next" turns a wall time
 * back into an instant, and there a time the jump skipped opens at the jump.
 */

/** ISO weekdays: 1 is Monday, 7 is Sunday. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7

export const weekdays = [1, 2, 3, 4, 5, 6, 7] as const satisfies readonly Weekday[]
export const weekdayNames = { 1: 'Monday', 2: 'Tuesday', 3: 'Wednesday', 4: 'Thursday', 5: 'Friday', 6: 'Saturday', 7: 'Sunday' } as const

/** One opening period on a weekday, in minutes after local midnight: `closes` may be 1440 (24:00), never at or before `opens`. */
export interface Period { day: Weekday, opens: number, closes: number }

/** A date the department is closed all day, whatever its week says: `date` is YYYY-MM-DD in its time zone. */
export interface Holiday { date: string, name: string }

/** A department's schedule. No periods at all is open around the clock, but for its holidays. */
export interface Schedule {
  timeZone: string
  periods: Period[]
  holidays: Holiday[]
  /** What a customer reads while it is closed, beside when it opens; null for nothing more. */
  closedMessage: string | null
}

/** What a schedule says at an instant: open, or closed with why and when it opens next. */
export type HoursState =
  | { open: true }
  | {
    open: false
    /** The holiday that closes today, or null when the week does. */
    holiday: string | null
    /** The next instant it opens (epoch ms), or null when it does not within a year. */
    opensAt: number | null
    /** "Monday at 09:00 (Europe/Berlin)", for a person; null with `opensAt`. */
    opens: string | null
    timeZone: string
    closedMessage: string | null
  }

const minute = 60_000
const day = 86_400_000
/** How far ahead the next opening is looked for: a year of holidays is the most a desk closes. */
const horizonDays = 370

// ---------------------------------------------------------------- time zones

const formats = new Map<string, Intl.DateTimeFormat>()

/** A formatter of the wall clock in `timeZone`; throws a RangeError for a zone Intl does not know. */
function wallFormat (timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit'
    })
    formats.set(timeZone, f)
  }
  return f
}

/** The IANA name Intl knows `name` by (`europe/berlin` is Europe/Berlin), or null for one it does not know. */
export function canonicalTimeZone (name: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name)) return null
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: name }).resolvedOptions().timeZone
  } catch {
    return null
  }
}

/** Every IANA time zone the runtime knows, for the form's list. */
export function timeZones (): string[] {
  return ['UTC', ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC')]
}

/** The wall clock in `timeZone` at `at`: the local date, its weekday and the minute of the day. */
export function wallClock (at: number, timeZone: string): { date: string, day: Weekday, minute: number } {
  const parts = Object.fromEntries(wallFormat(timeZone).formatToParts(at).map((p) => [p.type, p.value]))
  const date = `${parts.year}-${parts.month}-${parts.day}`
  return { date, day: weekdayOf(date), minute: Number(parts.hour) * 60 + Number(parts.minute) }
}

/** Local minus UTC at `at`, in ms (to the minute: no zone in use today has seconds in its offset). */
function offsetAt (at: number, timeZone: string): number {
  const t = Math.floor(at / minute) * minute
  const w = wallClock(t, timeZone)
  return wallMs(w.date, w.minute) - t
}

/** A wall time read as if it were UTC: the arithmetic of local dates without a zone. */
function wallMs (date: string, minutes: number): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  return Date.UTC(y, m - 1, d) + minutes * minute
}

/**
 * The first instant at which the wall clock in `timeZone` reads `minutes` on `date` or later.
 * A time the clocks fall back over comes twice: the first. A time they jump over never comes:
 * the jump.
 */
export function instantOf (date: string, minutes: number, timeZone: string): number {
  const wall = wallMs(date, minutes)
  const offsets = [...new Set([offsetAt(wall - day, timeZone), offsetAt(wall, timeZone), offsetAt(wall + day, timeZone)])]
  const exact = offsets.map((o) => wall - o).filter((t) => t + offsetAt(t, timeZone) === wall)
  if (exact.length > 0) return Math.min(...exact)
  // Skipped: the jump lies between the two readings; find the first minute on or past `wall`.
  let lo = wall - Math.max(...offsets)
  let hi = wall - Math.min(...offsets)
  while (hi - lo > minute) {
    const mid = lo + Math.floor((hi - lo) / 2 / minute) * minute
    if (mid + offsetAt(mid, timeZone) >= wall) hi = mid
    else lo = mid
  }
  return hi
}

// ---------------------------------------------------------------- calendar dates

/** Whether `text` is a real calendar date written YYYY-MM-DD (2027-02-29 is not). */
export function isCalendarDate (text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  if (!m) return false
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
  return d.toISOString().slice(0, 10) === text
}

export function weekdayOf (date: string): Weekday {
  const sunday0 = new Date(wallMs(date, 0)).getUTCDay()
  return (sunday0 === 0 ? 7 : sunday0) as Weekday
}

function addDays (date: string, n: number): string {
  return new Date(wallMs(date, 0) + n * day).toISOString().slice(0, 10)
}

// ---------------------------------------------------------------- open or closed

/** Whether the schedule is open at `at`: not a holiday there, and inside one of the day's periods (or there are none). */
export function isOpen (schedule: Schedule, at: number): boolean {
  const now = wallClock(at, schedule.timeZone)
  if (schedule.holidays.some((h) => h.date === now.date)) return false
  if (schedule.periods.length === 0) return true
  return schedule.periods.some((p) => p.day === now.day && p.opens <= now.minute && now.minute < p.closes)
}

/** The first instant at or after `at` when the schedule is open; null when it stays closed for a year. */
export function nextOpening (schedule: Schedule, at: number): number | null {
  if (isOpen(schedule, at)) return at
  const { timeZone } = schedule
  const today = wallClock(at, timeZone).date
  for (let k = 0; k < horizonDays; k++) {
    const date = addDays(today, k)
    if (schedule.holidays.some((h) => h.date === date)) continue
    // A week without periods is open all day: the first day that is not a holiday opens at its midnight.
    const periods = schedule.periods.length === 0
      ? [{ opens: 0, closes: 1440 }]
      : schedule.periods.filter((p) => p.day === weekdayOf(date)).sort((a, b) => a.opens - b.opens)
    for (const p of periods) {
      const opens = instantOf(date, p.opens, timeZone)
      if (opens >= at) return opens
      if (instantOf(date, p.closes, timeZone) > at) return at
    }
  }
  return null
}

const clockTime = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`

/**
 * When `opensAt` is, for a person reading it at `now`, in the schedule's zone: "today at
 * 09:00", "tomorrow at 09:00", "Monday at 09:00" within the week, else "Monday 4 January at
 * 09:00"; the zone's name after it.
 */
export function describeOpening (opensAt: number, now: number, timeZone: string): string {
  const then = wallClock(opensAt, timeZone)
  const today = wallClock(now, timeZone).date
  const days = Math.round((wallMs(then.date, 0) - wallMs(today, 0)) / day)
  const when = days === 0
    ? 'today'
    : days === 1
      ? 'tomorrow'
      : days < 7
        ? weekdayNames[then.day]
        : `${weekdayNames[then.day]} ${Number(then.date.slice(8))} ${monthNames[Number(then.date.slice(5, 7)) - 1]!}${then.date.slice(0, 4) === today.slice(0, 4) ? '' : ` ${then.date.slice(0, 4)}`}`
  return `${when} at ${clockTime(then.minute)} (${timeZone})`
}

const monthNames = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']

/** Open, or closed with the holiday and the next opening as a person reads them. */
export function hoursState (schedule: Schedule, at: number): HoursState {
  if (isOpen(schedule, at)) return { open: true }
  const today = wallClock(at, schedule.timeZone).date
  const opensAt = nextOpening(schedule, at)
  return {
    open: false,
    holiday: schedule.holidays.find((h) => h.date === today)?.name ?? null,
    opensAt,
    opens: opensAt === null ? null : describeOpening(opensAt, at, schedule.timeZone),
    timeZone: schedule.timeZone,
    closedMessage: schedule.closedMessage
  }
}

// ---------------------------------------------------------------- reading what an administrator typed

/** A day's periods as written: "09:00–12:00, 13:00–17:00" (any dash, 24:00 for midnight at the end). */
export function formatPeriods (periods: Array<Pick<Period, 'opens' | 'closes'>>): string {
  return [...periods].sort((a, b) => a.opens - b.opens).map((p) => `${clockTime(p.opens)}–${clockTime(p.closes)}`).join(', ')
}

export const hoursMessages = {
  periodShape: (day: string) => `${day}: write each period as 09:00–17:00, periods separated by commas`,
  badTime: (day: string, time: string) => `${day}: ${time} is not a time of day; use 00:00 to 24:00`,
  backwards: (day: string, period: string) => `${day}: ${period} ends before it starts; a period that runs past midnight is two, one on each day`,
  overlap: (day: string, a: string, b: string) => `${day}: ${a} and ${b} overlap; make them one period or move one`,
  holidayShape: (line: number) => `Line ${line}: write a holiday as a date and its name, e.g. 2026-12-25 Christmas Day`,
  holidayDate: (line: number, date: string) => `Line ${line}: ${date} is not a date in the calendar; use YYYY-MM-DD`,
  holidayName: (line: number) => `Line ${line}: give the holiday a name after its date`,
  holidayTwice: (line: number, date: string) => `Line ${line}: ${date} is listed already; keep one line per date`,
  holidayNameLong: (line: number, max: number) => `Line ${line}: a holiday's name can be at most ${max} characters`,
  tooManyHolidays: (max: number) => `At most ${max} holidays; remove the ones that are past`,
  unknownZone: (name: string) => `"${name}" is not a time zone we know; pick one from the list, such as Europe/Berlin or America/New_York`
}

export const holidayLimits = { count: 200, name: 100 } as const

function readTime (text: string): number | null {
  const m = /^(\d{1,2})[:.](\d{2})$/.exec(text)
  if (!m) return null
  const h = Number(m[1])
  const mm = Number(m[2])
  if (mm > 59 || h > 24 || (h === 24 && mm > 0)) return null
  return h * 60 + mm
}

/** One weekday's periods as typed, or the first problem with them (named after `dayName`). */
export function parsePeriods (text: string, day: Weekday, dayName = weekdayNames[day]): { periods: Period[] } | { problem: string } {
  const pieces = text.split(/[,;]/).map((s) => s.trim()).filter((s) => s !== '')
  const periods: Period[] = []
  for (const piece of pieces) {
    const m = /^(\S+)\s*[-–—]\s*(\S+)$/.exec(piece) ?? /^(\S+)\s+to\s+(\S+)$/i.exec(piece)
    if (!m) return { problem: hoursMessages.periodShape(dayName) }
    const opens = readTime(m[1]!)
    const closes = readTime(m[2]!)
    if (opens === null || opens === 1440) return { problem: hoursMessages.badTime(dayName, m[1]!) }
    if (closes === null) return { problem: hoursMessages.badTime(dayName, m[2]!) }
    if (closes <= opens) return { problem: hoursMessages.backwards(dayName, `${clockTime(opens)}–${clockTime(closes)}`) }
    periods.push({ day, opens, closes })
  }
  const problem = overlapIn(periods, dayName)
  return problem ? { problem } : { periods }
}

/** Two periods of one day that share a minute (touching, 12:00 to 12:00, is fine). */
function overlapIn (periods: Period[], dayName: string): string | null {
  const sorted = [...periods].sort((a, b) => a.opens - b.opens)
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1]!, sorted[i]!]
    if (b.opens < a.closes) return hoursMessages.overlap(dayName, formatPeriods([a]), formatPeriods([b]))
  }
  return null
}

/** Holidays as typed, one a line: "2026-12-25 Christmas Day". */
export function parseHolidays (text: string): { holidays: Holiday[] } | { problem: string } {
  const holidays: Holiday[] = []
  const lines = text.split('\n')
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim()
    if (line === '') continue
    const n = i + 1
    const m = /^(\S+)\s*(.*)$/.exec(line)!
    const [date, name] = [m[1]!, m[2]!.replace(/^[-–—:]\s*/, '').trim()]
    if (!/^\d{4}-\d{1,2}-\d{1,2}$/.test(date)) return { problem: hoursMessages.holidayShape(n) }
    if (!isCalendarDate(date)) return { problem: hoursMessages.holidayDate(n, date) }
    if (name === '') return { problem: hoursMessages.holidayName(n) }
    if ([...name].length > holidayLimits.name) return { problem: hoursMessages.holidayNameLong(n, holidayLimits.name) }
    if (holidays.some((h) => h.date === date)) return { problem: hoursMessages.holidayTwice(n, date) }
    holidays.push({ date, name })
  }
  if (holidays.length > holidayLimits.count) return { problem: hoursMessages.tooManyHolidays(holidayLimits.count) }
  return { holidays: holidays.sort((a, b) => a.date.localeCompare(b.date)) }
}

/** Holidays as the form shows them, one a line. */
export function formatHolidays (holidays: Holiday[]): string {
  return holidays.map((h) => `${h.date} ${h.name}`).join('\n')
}

/** The first thing wrong with a schedule given whole (what the service stores), or null. */
export function scheduleProblem (schedule: Schedule): string | null {
  if (canonicalTimeZone(schedule.timeZone) === null) return hoursMessages.unknownZone(schedule.timeZone)
  for (const d of weekdays) {
    const own = schedule.periods.filter((p) => p.day === d)
    const bad = own.find((p) => !Number.isInteger(p.opens) || !Number.isInteger(p.closes) || p.opens < 0 || p.closes > 1440 || p.closes <= p.opens)
    if (bad) return hoursMessages.backwards(weekdayNames[d], formatPeriods([bad]))
    const overlap = overlapIn(own, weekdayNames[d])
    if (overlap) return overlap
  }
  if (schedule.periods.some((p) => !weekdays.includes(p.day))) return hoursMessages.periodShape('A period')
  const parsed = parseHolidays(formatHolidays(schedule.holidays))
  return 'problem' in parsed ? parsed.problem : null
}
