import { canonicalTimeZone, hoursMessages, type Period, parseHolidays, parsePeriods, type Schedule, weekdayNames, weekdays } from '../routing/hours.ts'
import { csrfField as csrf } from '../security/schemas.ts'
import { defineForm, type FormState, type FormValues, text } from '../web/forms.ts'

/*
 * The business hours form (docs/features.md#business-hours), one per department. A weekday's
 * periods are one line, "09:00–12:00, 13:00–17:00", so a day holds as many as it needs and a
 * problem is said beside the day it is in; holidays are one a line, "2026-12-25 Christmas Day".
 */

const dayText = { type: 'string', maxLength: 200 } as const

export const hoursBody = {
  $id: 'lc/admin/hours',
  type: 'object',
  additionalProperties: false,
  required: ['time_zone'],
  properties: {
    day_1: dayText,
    day_2: dayText,
    day_3: dayText,
    day_4: dayText,
    day_5: dayText,
    day_6: dayText,
    day_7: dayText,
    time_zone: { type: 'string', maxLength: 64 },
    holidays: { type: 'string', maxLength: 20000 },
    closed_message: { type: 'string', maxLength: 2000 },
    _csrf: csrf
  }
} as const

export const closedMessageMax = 500

const dayField = (day: typeof weekdays[number]) => text({
  label: weekdayNames[day],
  check: (v) => {
    const parsed = parsePeriods(v, day)
    return 'problem' in parsed ? parsed.problem : null
  }
})

const periodsOf = (values: Record<string, string>): Period[] =>
  weekdays.flatMap((d) => {
    const parsed = parsePeriods(values[`day_${d}`] ?? '', d)
    return 'periods' in parsed ? parsed.periods : []
  })

/** A department's weekly schedule, time zone, holidays and closed message, read whole. */
export const hoursForm = defineForm({
  day_1: dayField(1),
  day_2: dayField(2),
  day_3: dayField(3),
  day_4: dayField(4),
  day_5: dayField(5),
  day_6: dayField(6),
  day_7: dayField(7),
  time_zone: text({ label: 'Time zone', required: true, check: (v) => canonicalTimeZone(v) ? null : hoursMessages.unknownZone(v) }),
  holidays: text({
    label: 'Holidays',
    check: (v) => {
      const parsed = parseHolidays(v)
      return 'problem' in parsed ? parsed.problem : null
    }
  }),
  closed_message: text({ label: 'Message while closed', max: closedMessageMax })
}, {
  schema: { schema: hoursBody, sample: { time_zone: 'UTC' } },
  input: (v): Schedule => ({
    timeZone: canonicalTimeZone(v.time_zone)!,
    periods: periodsOf(v),
    holidays: (parseHolidays(v.holidays) as { holidays: Schedule['holidays'] }).holidays,
    closedMessage: v.closed_message || null
  })
})

export type HoursFormState = FormState<FormValues<typeof hoursForm>>
