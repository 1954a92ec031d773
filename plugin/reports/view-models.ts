import type { Figures, Spread } from '../facts/service.ts'
import { wallClock } from '../routing/hours.ts'
import { ratingLabels } from '../surveys/service.ts'
import type { Deflection, Report } from './service.ts'

/*
 * What the Reports page's partials take (views/reports/): each table of docs/reports.md with,
 * where it has one, its chart drawn on the server as SVG from the same rows, so the chart and
 * its table can never disagree; the CSV export of a table is the same rows again.
 */

export interface Cell { text: string, value?: number | null }
export interface Table { id: TableId, title: string, columns: string[], rows: Cell[][], chart: Chart | null }
export interface Bar { x: number, y: number, width: number, height: number, label: string, value: number, labelX: number, showLabel: boolean }
export interface Chart { id: string, title: string, description: string, width: number, height: number, baseline: number, bars: Bar[], max: number }

export const tableIds = ['summary', 'hours', 'days', 'agents', 'groups', 'satisfaction'] as const
export type TableId = typeof tableIds[number]

/** "2 min 05 s", "45 s", "1 h 02 min"; a dash where there is nothing to measure. */
export function duration (ms: number | null): string {
  if (ms === null) return '—'
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`
}

const count = (n: number): Cell => ({ text: n.toLocaleString('en'), value: n })
const time = (ms: number | null): Cell => ({ text: duration(ms), value: ms === null ? null : Math.round(ms / 1000) })
const load = (n: number | null, digits: number): Cell => ({ text: n === null ? '—' : n.toFixed(digits), value: n })

/** A bar chart of labelled counts: bars scale to the largest value; every bar keeps its label in the table beside it. */
export function barChart (id: string, title: string, points: Array<{ label: string, value: number }>): Chart {
  const width = 720
  const height = 220
  const baseline = 190
  const max = Math.max(1, ...points.map((p) => p.value))
  const step = width / Math.max(1, points.length)
  const every = Math.ceil(points.length / 12)
  const bars = points.map((p, i) => {
    const h = Math.round((p.value / max) * (baseline - 20))
    const x = Math.round(i * step + step * 0.1)
    return { x, y: baseline - h, width: Math.max(1, Math.round(step * 0.8)), height: h, label: p.label, value: p.value, labelX: Math.round(i * step + step / 2), showLabel: i % every === 0 }
  })
  const top = points.reduce((a, p) => (p.value > a.value ? p : a), points[0] ?? { label: '', value: 0 })
  const description = points.length === 0 ? 'No data.' : `${points.length} bars, highest ${top.value.toLocaleString('en')} at ${top.label}. The table below holds every value.`
  return { id, title, description, width, height, baseline, bars, max }
}

function summaryRows (now: Figures, before: Figures, deflection: Report['deflection'], tickets: Report['tickets']): Cell[][] {
  const line = (name: string, a: Cell, b: Cell): Cell[] => {
    const change = a.value != null && b.value != null ? a.value - b.value : null
    return [{ text: name }, a, b, { text: change === null ? '—' : `${change > 0 ? '+' : ''}${change.toLocaleString('en')}`, value: change }]
  }
  const spreadLines = (name: string, x: Spread, y: Spread): Cell[][] => [
    line(`${name}, median`, time(x.median), time(y.median)),
    line(`${name}, 90th percentile`, time(x.p90), time(y.p90))
  ]
  const rate = (d: Deflection): Cell => ({ text: d.rate === null ? '—' : `${d.rate.toFixed(1)}%`, value: d.rate })
  const deflectionLines = deflection === null
    ? []
    : [
        line('Questions a suggested solution answered', count(deflection.current.deflected), count(deflection.before.deflected)),
        line('Deflection rate, percent', rate(deflection.current), rate(deflection.before))
      ]
  const avg = (f: Figures): Cell => ({ text: f.satisfaction.average === null ? '—' : f.satisfaction.average.toFixed(2), value: f.satisfaction.average })
  return [
    line('Chats started', count(now.started), count(before.started)),
    line('Answered', count(now.answered), count(before.answered)),
    line('Missed', count(now.missed), count(before.missed)),
    line('Abandoned in the queue', count(now.abandoned), count(before.abandoned)),
    line('Transfers', count(now.transfers), count(before.transfers)),
    line('Chats transferred', count(now.transferredChats), count(before.transferredChats)),
    ...spreadLines('Time to first response', now.firstResponse, before.firstResponse),
    ...spreadLines('Wait time', now.wait, before.wait),
    ...spreadLines('Handle time', now.handle, before.handle),
    line('Satisfaction, average (1–5)', avg(now), avg(before)),
    line('Survey answers', count(now.satisfaction.count), count(before.satisfaction.count)),
    ...deflectionLines,
    line('Tickets created from chats', count(tickets.current.created), count(tickets.before.created))
  ]
}

/** Every table of a report, in page order. */
export function reportTables (r: Report): Table[] {
  const f = r.current
  const hours = f.byHour.map((n, h) => ({ label: `${String(h).padStart(2, '0')}:00`, value: n }))
  const days = f.byDay.map((d) => ({ label: d.date, value: d.started }))
  const ticketsOf = new Map(r.tickets.current.groups.map((g) => [g.groupId, g.tickets]))
  const ratings = f.satisfaction.distribution.map((n, i) => ({ label: `${i + 1}`, value: n }))
  return [
    { id: 'summary', title: 'Summary, with the period before', columns: ['Figure', 'This period', 'Period before', 'Change'], rows: summaryRows(f, r.before, r.deflection, r.tickets), chart: null },
    { id: 'hours', title: 'Chats started by hour of the day', columns: ['Hour', 'Chats started'], rows: hours.map((h) => [{ text: h.label }, count(h.value)]), chart: barChart('lc-chart-hours', 'Chats started by hour of the day', hours) },
    {
      id: 'days',
      title: 'Chats by day',
      columns: ['Date', 'Chats started', 'Answered'],
      rows: f.byDay.map((d) => [{ text: d.date }, count(d.started), count(d.answered)]),
      chart: barChart('lc-chart-days', 'Chats started by day', days)
    },
    {
      id: 'agents',
      title: 'Chats per agent',
      columns: ['Agent', 'Chats', 'Answered', 'Time to first response, median', 'Handle time, median', 'Concurrent load, average', 'Concurrent load, peak'],
      rows: f.agents.map((a) => [
        { text: r.names.agent(a.agentId) }, count(a.chats), count(a.answered), time(a.medianFirstResponse), time(a.medianHandle), load(a.averageLoad, 2), load(a.peakLoad, 0)
      ]),
      chart: null
    },
    {
      id: 'groups',
      title: 'Chats per group',
      columns: ['Group', 'Chats started', 'Answered', 'Missed', 'Abandoned', 'Tickets created'],
      rows: f.groups.map((g) => [{ text: r.names.group(g.groupId) }, count(g.started), count(g.answered), count(g.missed), count(g.abandoned), count(ticketsOf.get(g.groupId) ?? 0)]),
      chart: null
    },
    {
      id: 'satisfaction',
      title: 'Satisfaction: answers by rating',
      columns: ['Rating', 'Answers'],
      rows: ratings.map((x) => [{ text: `${x.label} (${['very poor', 'poor', 'fair', 'good', 'excellent'][Number(x.label) - 1]})` }, count(x.value)]),
      chart: barChart('lc-chart-satisfaction', 'Survey answers by rating, 1 (very poor) to 5 (excellent)', ratings)
    }
  ]
}

/** A CSV cell: quoted, and a leading = + - @ made text, so a spreadsheet never runs a name as a formula. */
function csvCell (text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text
  return `"${safe.replace(/"/g, '""')}"`
}

/** One table as CSV (RFC 4180, CRLF): raw numbers (durations in seconds) rather than the page's words. */
export function tableCsv (table: Table): string {
  const lines = [table.columns.map(csvCell).join(',')]
  const raw = (c: Cell): string => c.value === undefined ? c.text : c.value === null ? '' : String(c.value)
  for (const row of table.rows) lines.push(row.map((c) => csvCell(raw(c))).join(','))
  return lines.join('\r\n') + '\r\n'
}

const periodLabels: Record<string, string> = { today: 'Today', 7: 'Last 7 days', 30: 'Last 30 days', 90: 'Last 90 days', custom: 'Custom range' }

/** The page: filters, summary tiles and the tables. */
export function reportPage (r: Report, query: string) {
  const when = (at: number): string => {
    const w = wallClock(at, r.period.timeZone)
    return `${w.date} ${String(Math.floor(w.minute / 60)).padStart(2, '0')}:${String(w.minute % 60).padStart(2, '0')}`
  }
  return {
    tables: reportTables(r),
    period: r.period,
    previous: r.previous,
    periodOptions: Object.entries(periodLabels).map(([value, label]) => ({ value, label, selected: value === r.period.choice })),
    departments: r.choices.departments.map((d) => ({ ...d, selected: d.id === r.filter.department })),
    groups: r.choices.groups.map((g) => ({ id: g.id, name: `${g.departmentName} › ${g.name}`, selected: g.id === r.filter.group })),
    agents: r.choices.agents.map((a) => ({ ...a, selected: a.id === r.filter.agent })),
    ownOnly: r.ownOnly,
    comments: r.comments.map((c) => ({
      chatId: c.chatId,
      rating: c.rating,
      ratingLabel: ratingLabels[c.rating] ?? '',
      comment: c.comment,
      at: new Date(c.createdAt).toISOString(),
      date: when(c.createdAt)
    })),
    custom: r.period.choice === 'custom',
    query
  }
}
