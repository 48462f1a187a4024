// The Insights page's period: a choice (today, the last 7 or 30 days, or custom dates) turned into
// the `from` / `to` the analytics API takes: dates, each midnight in the browser's time zone, `to`
// excluded. Plain functions of "now", so tests call them directly.

import type { AnalyticsBucketSize, AnalyticsQuery } from './api/types';

export const PERIOD_CHOICES = ['today', '7d', '30d', 'custom'] as const;
export type PeriodChoice = (typeof PERIOD_CHOICES)[number];

export interface PeriodSelection {
  choice: PeriodChoice;
  bucket: AnalyticsBucketSize;
  /** The custom period's first and last day (both included), as YYYY-MM-DD. */
  customFrom: string;
  customTo: string;
}

const DAYS: Record<Exclude<PeriodChoice, 'custom'>, number> = { today: 1, '7d': 7, '30d': 30 };

/** The local calendar date of `at`, as YYYY-MM-DD. */
export function localDate(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}

/** A YYYY-MM-DD date `days` later (or earlier), calendar-wise. */
export function addDays(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number);
  const at = new Date(Date.UTC(year, month - 1, day + days));
  return at.toISOString().slice(0, 10);
}

/** The browser's IANA time zone ("Europe/Berlin"), UTC when it does not say. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** The first selection: the last 7 days by day, a custom period preset to the same days. */
export function defaultSelection(now: Date): PeriodSelection {
  const today = localDate(now);
  return { choice: '7d', bucket: 'day', customFrom: addDays(today, -6), customTo: today };
}

/** What to ask the API for; null while a custom period is incomplete or ends before it starts. */
export function analyticsQuery(chatbotId: string, selection: PeriodSelection, now: Date, tz: string): AnalyticsQuery | null {
  const today = localDate(now);
  let from: string;
  let to: string;
  if (selection.choice === 'custom') {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(selection.customFrom) || !/^\d{4}-\d{2}-\d{2}$/.test(selection.customTo)) return null;
    if (selection.customTo < selection.customFrom) return null;
    from = selection.customFrom;
    to = addDays(selection.customTo, 1);
  } else {
    from = addDays(today, 1 - DAYS[selection.choice]);
    to = addDays(today, 1);
  }
  return { chatbot_id: chatbotId, from, to, bucket: selection.bucket, tz };
}
