import type { DeflectionPeriod, DeflectionService } from './service.ts'

/** A period's figures as the report shows them. */
export interface PeriodModel extends DeflectionPeriod {
  label: string
  /** "12.5%", or "—" when nobody asked anything in the period. */
  rateText: string
}

/** The deflections/report partial: the periods and the latest deflected questions. */
export async function reportModel (deflections: Pick<DeflectionService, 'report'>) {
  const { recent, periods } = await deflections.report()
  return {
    periods: periods.map((p): PeriodModel => ({ ...p, label: `Last ${p.days} days`, rateText: p.rate === null ? '—' : `${p.rate}%` })),
    recent: recent.map((d) => ({ ...d, customer: d.customerEmail, signedIn: d.customerUserId !== null }))
  }
}
