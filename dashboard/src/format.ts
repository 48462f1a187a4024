// Small pure formatting helpers shared by the components: numbers, times and durations with Intl
// in the current language's locale.

import { currentLocale, t } from './i18n';

/**
 * The phone number a user typed, as the API wants it (E.164 digits without "+"), or null when it
 * cannot be one: 7–15 digits, not starting with 0 once "+" or "00" is removed.
 */
export function normalizePhoneNumber(input: string): string | null {
  let digits = input.trim().replace(/[\s\-().]/g, '');
  if (digits.startsWith('+')) digits = digits.slice(1);
  else if (digits.startsWith('00')) digits = digits.slice(2);
  return /^[1-9][0-9]{6,14}$/.test(digits) ? digits : null;
}

/** A number as the API stores it (digits), shown the international way. */
export function formatPhoneNumber(digits: string | null | undefined): string {
  if (!digits) return '';
  return digits.startsWith('+') ? digits : `+${digits}`;
}

/**
 * A customer as a person reads them: their phone number when WhatsApp shows it, else their LID
 * (customers may hide their number; WhatsApp then names them `<lid>@lid`) as "hidden number ·1234".
 */
export function formatCustomer(phone: string | null | undefined, chat: string | null | undefined): string {
  if (phone && !phone.includes('@')) return formatPhoneNumber(phone);
  const lid = (chat || phone || '').split('@')[0];
  return lid ? t('history.hiddenNumber', { last4: lid.slice(-4) }) : '';
}

/** "ABCD1234" shown as "ABCD-1234", the way WhatsApp prints pairing codes. */
export function formatPairingCode(code: string): string {
  const clean = code.replace(/[^0-9A-Za-z]/g, '').toUpperCase();
  return clean.length === 8 ? `${clean.slice(0, 4)}-${clean.slice(4)}` : clean;
}

/** Seconds left until `iso` (rounded up, never negative); null when there is no expiry. */
export function secondsUntil(iso: string | null | undefined, now: number): number | null {
  if (!iso) return null;
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** "0:42", "1:05" (in the locale's digits). */
export function formatCountdown(seconds: number, locale: string = currentLocale()): string {
  const minutes = Math.floor(seconds / 60);
  const twoDigits = new Intl.NumberFormat(locale, { minimumIntegerDigits: 2, useGrouping: false });
  return `${new Intl.NumberFormat(locale, { useGrouping: false }).format(minutes)}:${twoDigits.format(seconds % 60)}`;
}

/** A number in the locale's way: "1,234.5", "1.234,5". */
export function formatNumber(value: number, locale: string = currentLocale()): string {
  return new Intl.NumberFormat(locale).format(value);
}

/** A duration in the locale's short units: "35 ms", "45 sec", "45 Sek.". */
export function formatDuration(value: number, unit: 'millisecond' | 'second', locale: string = currentLocale()): string {
  return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short' }).format(value);
}

/** A message time: the time of day for today, the date and time otherwise. */
export function formatTimestamp(iso: string, now: number = Date.now(), locale: string = currentLocale()): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const sameDay = at.toDateString() === new Date(now).toDateString();
  return sameDay
    ? at.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : at.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}

/** How long ago, in the locale's words: "now", "12 seconds ago", "5 minutes ago", "vor 3 Stunden". */
export function formatAgo(seconds: number, locale: string = currentLocale()): string {
  const words = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const s = Math.max(0, seconds);
  if (s < 60) return words.format(-Math.round(s), 'second');
  if (s < 3600) return words.format(-Math.floor(s / 60), 'minute');
  if (s < 86_400) return words.format(-Math.floor(s / 3600), 'hour');
  return words.format(-Math.floor(s / 86_400), 'day');
}

/** A span of time in its largest whole unit: "20 sec", "5 min", "2 hr" (the locale's short units). */
export function formatSpan(seconds: number, locale: string = currentLocale()): string {
  const unit = seconds >= 3600 && seconds % 3600 === 0 ? 'hour' : seconds >= 60 && seconds % 60 === 0 ? 'minute' : 'second';
  const value = unit === 'hour' ? seconds / 3600 : unit === 'minute' ? seconds / 60 : seconds;
  return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short' }).format(value);
}

/** An hour of a day: "Dec 1, 14:00" (the locale's order and clock). */
export function formatHour(iso: string, locale: string = currentLocale()): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return at.toLocaleString(locale, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** A session's status in words (an operator's view); a status this dashboard does not know yet, as the API names it. */
export function formatSessionStatus(status: string): string {
  return t(`fleet.status.${status}`, { defaultValue: status });
}

/** A duration in milliseconds in its most readable unit: "850 ms", "4.2 sec", "3.5 min", "1.2 hr". */
export function formatElapsed(ms: number, locale: string = currentLocale()): string {
  const [value, unit] =
    ms < 1000 ? [ms, 'millisecond'] : ms < 60_000 ? [ms / 1000, 'second'] : ms < 3_600_000 ? [ms / 60_000, 'minute'] : [ms / 3_600_000, 'hour'];
  return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: unit === 'millisecond' ? 0 : 1 }).format(value);
}

/** The start of an analytics bucket in the figures' time zone: "Dec 1" by day, "Dec 1, 14:00" by hour. */
export function formatBucket(iso: string, bucket: 'day' | 'hour', timeZone: string, locale: string = currentLocale()): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const options: Intl.DateTimeFormatOptions =
    bucket === 'day' ? { month: 'short', day: 'numeric', timeZone } : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone };
  try {
    return at.toLocaleString(locale, options);
  } catch {
    return at.toLocaleString(locale, { ...options, timeZone: undefined });
  }
}

/** An hour of the day, "14:00" or "2 PM" as the locale writes it. */
export function formatHourOfDay(hour: number, locale: string = currentLocale()): string {
  return new Date(Date.UTC(2026, 0, 5, hour)).toLocaleTimeString(locale, { hour: 'numeric', timeZone: 'UTC' });
}
