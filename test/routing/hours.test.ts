import t from 'tap'
import {
  canonicalTimeZone, describeOpening, hoursState, instantOf, isCalendarDate, isOpen, nextOpening, parseHolidays, parsePeriods,
  type Schedule, scheduleProblem, wallClock
} from '../../plugin/routing/hours.ts'

const at = (iso: string): number => Date.parse(iso)

/** Monday to Friday, 09:00–12:00 and 13:00–17:00, Berlin time. */
const berlin: Schedule = {
  timeZone: 'Europe/Berlin',
  periods: [1, 2, 3, 4, 5].flatMap((day) => [{ day, opens: 540, closes: 720 }, { day, opens: 780, closes: 1020 }]) as Schedule['periods'],
  holidays: [{ date: '2026-12-25', name: 'Christmas Day' }],
  closedMessage: 'For outages call 0800 123 456'
}

t.test('business hours', async (t) => {
  t.test('the wall clock is read in the schedule\'s zone', async (t) => {
    t.same(wallClock(at('2026-12-07T08:30:00Z'), 'Europe/Berlin'), { date: '2026-12-07', day: 1, minute: 570 })
    t.same(wallClock(at('2026-12-07T03:00:00Z'), 'America/New_York'), { date: '2026-12-06', day: 7, minute: 1320 }, 'still Sunday evening there')
  })

  t.test('open inside a period, closed between periods, at closing time and on the weekend', async (t) => {
    t.ok(isOpen(berlin, at('2026-12-07T08:00:00Z')), 'Monday 09:00 in Berlin (UTC+1): opening minute')
    t.notOk(isOpen(berlin, at('2026-12-07T07:59:00Z')), 'Monday 08:59')
    t.notOk(isOpen(berlin, at('2026-12-07T11:30:00Z')), 'lunch, 12:30')
    t.notOk(isOpen(berlin, at('2026-12-07T16:00:00Z')), '17:00 is closing time')
    t.ok(isOpen(berlin, at('2026-12-07T15:59:00Z')), '16:59')
    t.notOk(isOpen(berlin, at('2026-12-05T10:00:00Z')), 'Saturday')
  })

  t.test('a holiday closes the whole day, whatever the week says', async (t) => {
    t.notOk(isOpen(berlin, at('2026-12-25T10:00:00Z')), 'Friday 25 December, 11:00')
    const state = hoursState(berlin, at('2026-12-25T10:00:00Z'))
    t.match(state, { open: false, holiday: 'Christmas Day', opens: 'Monday at 09:00 (Europe/Berlin)', closedMessage: 'For outages call 0800 123 456' })
    t.equal(nextOpening(berlin, at('2026-12-25T10:00:00Z')), at('2026-12-28T08:00:00Z'))
  })

  t.test('no periods is open around the clock but for holidays', async (t) => {
    const always: Schedule = { ...berlin, periods: [] }
    t.ok(isOpen(always, at('2026-12-06T02:00:00Z')))
    t.notOk(isOpen(always, at('2026-12-25T12:00:00Z')))
    t.equal(nextOpening(always, at('2026-12-25T12:00:00Z')), at('2026-12-25T23:00:00Z'), 'Berlin midnight after the holiday')
  })

  t.test('the next opening, said for a person', async (t) => {
    const fridayEvening = at('2026-12-04T18:00:00Z')
    t.equal(nextOpening(berlin, fridayEvening), at('2026-12-07T08:00:00Z'))
    t.match(hoursState(berlin, fridayEvening), { open: false, holiday: null, opens: 'Monday at 09:00 (Europe/Berlin)' })
    t.match(hoursState(berlin, at('2026-12-07T11:30:00Z')), { opens: 'today at 13:00 (Europe/Berlin)' }, 'after lunch')
    t.match(hoursState(berlin, at('2026-12-07T17:00:00Z')), { opens: 'tomorrow at 09:00 (Europe/Berlin)' })
    t.equal(describeOpening(at('2027-01-11T08:00:00Z'), at('2026-12-30T12:00:00Z'), 'Europe/Berlin'), 'Monday 11 January 2027 at 09:00 (Europe/Berlin)')
    t.equal(describeOpening(at('2026-12-21T08:00:00Z'), at('2026-12-10T12:00:00Z'), 'Europe/Berlin'), 'Monday 21 December at 09:00 (Europe/Berlin)')
    t.same(hoursState(berlin, at('2026-12-07T08:30:00Z')), { open: true })
    const never: Schedule = { ...berlin, periods: [], holidays: Array.from({ length: 400 }, (_, i) => ({ date: new Date(at('2026-12-01T00:00:00Z') + i * 86_400_000).toISOString().slice(0, 10), name: 'Closed' })) }
    t.match(hoursState(never, at('2026-12-07T10:00:00Z')), { open: false, opensAt: null, opens: null }, 'nothing within a year')
  })

  t.test('daylight saving time: the week keeps its wall-clock hours across the change', async (t) => {
    // Berlin goes from UTC+1 to UTC+2 at 01:00 UTC on Sunday 28 March 2027.
    t.equal(nextOpening(berlin, at('2027-03-27T12:00:00Z')), at('2027-03-29T07:00:00Z'), 'Monday 09:00 is 07:00 UTC after the change')
    t.equal(nextOpening(berlin, at('2027-03-20T12:00:00Z')), at('2027-03-22T08:00:00Z'), 'and 08:00 UTC the Monday before')
    t.ok(isOpen(berlin, at('2027-03-29T07:00:00Z')))
    t.notOk(isOpen(berlin, at('2027-03-29T06:59:00Z')), '08:59 summer time')

    // A period opening at 02:30 that Sunday, a time that never comes: it opens at the jump, 03:00.
    const night: Schedule = { timeZone: 'Europe/Berlin', periods: [{ day: 7, opens: 150, closes: 300 }], holidays: [], closedMessage: null }
    t.notOk(isOpen(night, at('2027-03-28T00:59:00Z')), '01:59 winter time')
    t.ok(isOpen(night, at('2027-03-28T01:00:00Z')), '03:00 summer time')
    t.equal(nextOpening(night, at('2027-03-27T23:00:00Z')), at('2027-03-28T01:00:00Z'))
    t.equal(instantOf('2027-03-28', 150, 'Europe/Berlin'), at('2027-03-28T01:00:00Z'))

    // The clocks go back from 03:00 to 02:00 at 01:00 UTC on 31 October 2027: 02:30 comes twice, and opens the first time.
    t.equal(instantOf('2027-10-31', 150, 'Europe/Berlin'), at('2027-10-31T00:30:00Z'))
    t.equal(nextOpening(night, at('2027-10-30T20:00:00Z')), at('2027-10-31T00:30:00Z'))
    t.ok(isOpen(night, at('2027-10-31T01:30:00Z')), 'the second 02:30 is inside the period too')
    t.notOk(isOpen(night, at('2027-10-31T04:00:00Z')), '05:00 winter time: closed')

    // New York's change is on another day (14 March 2027): 09:00 there is 14:00 UTC, then 13:00 UTC.
    const ny: Schedule = { ...berlin, timeZone: 'America/New_York', holidays: [] }
    t.equal(nextOpening(ny, at('2027-03-13T12:00:00Z')), at('2027-03-15T13:00:00Z'))
    t.equal(nextOpening(ny, at('2027-03-06T12:00:00Z')), at('2027-03-08T14:00:00Z'))
  })

  t.test('a period may close at 24:00 and the next day open at 00:00', async (t) => {
    const late: Schedule = { timeZone: 'UTC', periods: [{ day: 1, opens: 1320, closes: 1440 }, { day: 2, opens: 0, closes: 120 }], holidays: [], closedMessage: null }
    t.ok(isOpen(late, at('2026-12-07T23:59:00Z')))
    t.ok(isOpen(late, at('2026-12-08T00:00:00Z')))
    t.notOk(isOpen(late, at('2026-12-08T02:00:00Z')))
  })

  t.test('reading a day\'s periods: several, and every problem named after the day', async (t) => {
    t.same(parsePeriods('09:00-12:00, 13:00 – 17:30', 1), { periods: [{ day: 1, opens: 540, closes: 720 }, { day: 1, opens: 780, closes: 1050 }] })
    t.same(parsePeriods('', 3), { periods: [] })
    t.same(parsePeriods('9:00 to 24:00', 2), { periods: [{ day: 2, opens: 540, closes: 1440 }] })
    t.same(parsePeriods('17:00-09:00', 1), { problem: 'Monday: 17:00–09:00 ends before it starts; a period that runs past midnight is two, one on each day' })
    t.same(parsePeriods('09:00-09:00', 1), { problem: 'Monday: 09:00–09:00 ends before it starts; a period that runs past midnight is two, one on each day' })
    t.same(parsePeriods('09:00-13:00, 12:00-17:00', 5), { problem: 'Friday: 09:00–13:00 and 12:00–17:00 overlap; make them one period or move one' })
    t.same(parsePeriods('09:00-12:00, 12:00-17:00', 5), { periods: [{ day: 5, opens: 540, closes: 720 }, { day: 5, opens: 720, closes: 1020 }] }, 'touching is not overlapping')
    t.same(parsePeriods('25:00-26:00', 2), { problem: 'Tuesday: 25:00 is not a time of day; use 00:00 to 24:00' })
    t.same(parsePeriods('09:60-10:00', 2), { problem: 'Tuesday: 09:60 is not a time of day; use 00:00 to 24:00' })
    t.same(parsePeriods('mornings', 6), { problem: 'Saturday: write each period as 09:00–17:00, periods separated by commas' })
  })

  t.test('reading holidays: a real date and a name, one a line', async (t) => {
    t.same(parseHolidays('2026-12-26 Boxing Day\n\n2026-12-25 – Christmas Day'), { holidays: [{ date: '2026-12-25', name: 'Christmas Day' }, { date: '2026-12-26', name: 'Boxing Day' }] })
    t.same(parseHolidays('2027-02-29 Leap'), { problem: 'Line 1: 2027-02-29 is not a date in the calendar; use YYYY-MM-DD' })
    t.same(parseHolidays('2026-12-25 A\n25/12/2026 B'), { problem: 'Line 2: write a holiday as a date and its name, e.g. 2026-12-25 Christmas Day' })
    t.same(parseHolidays('2026-12-25'), { problem: 'Line 1: give the holiday a name after its date' })
    t.same(parseHolidays('2026-12-25 A\n2026-12-25 B'), { problem: 'Line 2: 2026-12-25 is listed already; keep one line per date' })
    t.ok(isCalendarDate('2028-02-29'))
    t.notOk(isCalendarDate('2026-13-01'))
  })

  t.test('time zones are IANA names Intl knows', async (t) => {
    t.equal(canonicalTimeZone('Europe/Berlin'), 'Europe/Berlin')
    t.equal(canonicalTimeZone('UTC'), 'UTC')
    t.equal(canonicalTimeZone('Europe/Berln'), null)
    t.equal(canonicalTimeZone('Mars/Olympus'), null)
    t.equal(canonicalTimeZone('<script>'), null)
  })

  t.test('a whole schedule is checked before it is stored', async (t) => {
    t.equal(scheduleProblem(berlin), null)
    t.match(scheduleProblem({ ...berlin, timeZone: 'Nowhere/Land' }), /is not a time zone we know/)
    t.match(scheduleProblem({ ...berlin, periods: [{ day: 1, opens: 600, closes: 500 }] }), /Monday: 10:00–08:20 ends before it starts/)
    t.match(scheduleProblem({ ...berlin, periods: [{ day: 2, opens: 600, closes: 700 }, { day: 2, opens: 650, closes: 800 }] }), /Tuesday: .* overlap/)
    t.match(scheduleProblem({ ...berlin, holidays: [{ date: '2026-02-30', name: 'x' }] }), /not a date in the calendar/)
  })
})
