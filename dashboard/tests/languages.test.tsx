// The dashboard in the user's language: chosen from the browser or the selector (and remembered),
// <html lang dir> following it, Intl formatting per locale, plural rules, and the API's error
// codes in the user's words.

import { act, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { describeMessageStatus } from '../src/components/MessageHistory';
import { formatCountdown, formatNumber, formatTimestamp } from '../src/format';
import { i18n, LANGUAGE_STORAGE_KEY, matchLanguage } from '../src/i18n';
import { formatFileSize } from '../src/media';
import { describeAttempt } from '../src/webhooks';
import { nextPoll, pass, startApp } from './harness';

const use = (code: string) => act(() => i18n.changeLanguage(code));

describe('the language', () => {
  it('renders the app in Arabic, right to left, with no key missing', async () => {
    await use('ar');
    startApp({ prepare: (a) => a.connect(a.addSession().id, '15550001111') });
    await nextPoll();
    expect(document.documentElement).toHaveAttribute('lang', 'ar');
    expect(document.documentElement).toHaveAttribute('dir', 'rtl');
    expect(document.title).toBe('wagate · إعدادات روبوت المحادثة');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('إعدادات روبوت المحادثة');
    const section = within(screen.getByRole('region', { name: 'واتساب' }));
    expect(section.getByText('متصل', { selector: 'strong' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'إدارة الاتصال' })).toBeEnabled();
    expect(window.__wagateMissingKeys).toEqual([]);
  });

  it('records a key shown missing or from the English fallback', async () => {
    await use('de');
    i18n.t('no.such.key');
    i18n.addResource('en', 'translation', 'only.english', 'Only in English');
    expect(i18n.t('only.english')).toBe('Only in English');
    expect(window.__wagateMissingKeys).toEqual(['de:no.such.key', 'de:only.english']);
  });

  it('switches with the selector in the header and remembers the choice', async () => {
    const { user } = startApp();
    await nextPoll();
    expect(document.documentElement).toHaveAttribute('lang', 'en');
    expect(document.documentElement).toHaveAttribute('dir', 'ltr');
    const selector = screen.getByRole('combobox', { name: 'Language' });
    expect(within(selector).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'English', 'Español', 'Português (Brasil)', 'Deutsch', 'Français', 'हिन्दी', 'Bahasa Indonesia', 'العربية',
    ]);
    await user.selectOptions(selector, 'de');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Chatbot-Einstellungen');
    expect(screen.getByRole('button', { name: 'WhatsApp verbinden' })).toBeInTheDocument();
    expect(document.documentElement).toHaveAttribute('lang', 'de');
    expect(window.localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe('de');

    const german = screen.getByRole('combobox', { name: 'Sprache' });
    german.focus(); // a native <select>: reached and operated by keyboard (the browser test presses the keys)
    expect(german).toHaveFocus();
    await user.selectOptions(german, 'ar');
    expect(document.documentElement).toHaveAttribute('dir', 'rtl');
    expect(screen.getByRole('combobox', { name: 'اللغة' })).toHaveValue('ar');
    expect(window.localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe('ar');
  });

  it('is detected from the stored choice, else the browser, else English', () => {
    const detector = i18n.services.languageDetector as { detect(): string[] };
    vi.spyOn(window.navigator, 'languages', 'get').mockReturnValue(['pt-PT', 'en']);
    expect(detector.detect()[0]).toBe('pt-BR');
    window.localStorage.setItem(LANGUAGE_STORAGE_KEY, 'id');
    expect(detector.detect()[0]).toBe('id');
    expect(matchLanguage('es-419')).toBe('es');
    expect(matchLanguage('ar-EG')).toBe('ar');
    expect(matchLanguage('hi-IN')).toBe('hi');
    expect(matchLanguage('in')).toBe('id');
    expect(matchLanguage('ja-JP')).toBeNull();
    expect(i18n.getFixedT('ja')('app.title')).toBe('Chatbot settings');
  });
});

describe('Intl per locale', () => {
  const at = '2026-11-25T10:05:00Z';
  const nextDay = Date.parse('2026-11-26T12:00:00Z');

  it('formats dates, times, numbers, file sizes and durations in the current language', async () => {
    expect(formatTimestamp(at, nextDay)).toBe(new Date(at).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' }));
    expect(formatTimestamp(at, nextDay)).toMatch(/Nov 25, 2026/);
    expect(formatNumber(1234567.5)).toBe('1,234,567.5');
    expect(formatFileSize(1_234_567)).toBe('1.2 MB');

    await use('de');
    expect(formatTimestamp(at, nextDay)).toMatch(/25\.11\.2026|25\. Nov\. 2026/);
    expect(formatNumber(1234567.5)).toBe('1.234.567,5');
    expect(formatFileSize(1_234_567)).toBe('1,2 MB');
    expect(describeAttempt({ attempt: 1, at, status_code: null, latency_ms: 10_000, error: null })).toBe(
      'Keine Antwort nach 10.000 ms',
    );

    await use('fr');
    expect(formatTimestamp(at, nextDay)).toMatch(/25 nov\. 2026/);
    expect(formatNumber(1234567.5)).toBe(new Intl.NumberFormat('fr').format(1234567.5)); // narrow no-break spaces
    expect(formatNumber(1234567.5)).not.toBe('1,234,567.5');

    await use('hi');
    expect(formatNumber(1234567)).toBe('12,34,567'); // lakh grouping
    expect(formatCountdown(65)).toBe('1:05');
  });
});

describe('plural rules per language', () => {
  it('uses each language’s forms where a count appears', async () => {
    const attempts = (count: number) => i18n.t('deliveries.attempts', { count });
    expect([1, 2].map(attempts)).toEqual(['1 attempt', '2 attempts']);
    await use('ar');
    expect([0, 1, 2, 5, 11, 100].map(attempts)).toEqual([
      'لا محاولات', 'محاولة واحدة', 'محاولتان', '5 محاولات', '11 محاولة', '100 محاولة',
    ]);
    await use('id');
    expect([1, 2].map(attempts)).toEqual(['1 percobaan', '2 percobaan']);
    await use('fr');
    expect([1, 2, 1_000_000].map(attempts)).toEqual(['1 essai', '2 essais', `${new Intl.NumberFormat('fr').format(1_000_000)} d'essais`]);
  });
});

describe("the API's error codes in the user's language", () => {
  it('shows a known code in Spanish and an unknown one with the API’s English words', async () => {
    await use('es');
    const { api, user } = startApp();
    await nextPoll();
    api.failNext('POST', /\/create$/, 409, 'too_many_sessions', 'at most 5 sessions per user');
    await user.click(screen.getByRole('button', { name: 'Conectar WhatsApp' }));
    await pass(0);
    const dialog = within(screen.getByRole('dialog', { name: 'Conexión de WhatsApp' }));
    expect(dialog.getByRole('alert')).toHaveTextContent(
      'No se pudo iniciar la conexión: Ya tienes el máximo de sesiones de WhatsApp permitidas. (too_many_sessions).',
    );
    expect(dialog.getByRole('alert')).not.toHaveTextContent('at most 5 sessions');

    await user.click(dialog.getByRole('button', { name: 'Descartar' }));
    api.failNext('POST', /\/create$/, 409, 'brand_new_code', 'Something the dashboard has no words for.');
    await user.click(dialog.getByRole('button', { name: 'Obtener un código QR' }));
    await pass(0);
    expect(dialog.getByRole('alert')).toHaveTextContent(
      'No se pudo iniciar la conexión: Something the dashboard has no words for. (brand_new_code).',
    );
  });

  it("a session's and a message's failure codes, in German", async () => {
    await use('de');
    startApp({
      prepare: (a) =>
        a.addSession({ status: 'failed', last_error_code: 'qr_not_scanned', last_error: 'nobody scanned the QR code in time' }),
    });
    await nextPoll();
    expect(screen.getByText(/niemand hat den QR-Code rechtzeitig gescannt/)).toBeInTheDocument();
    expect(screen.queryByText(/nobody scanned/)).toBeNull();
    expect(
      describeMessageStatus({ status: 'failed', error_code: 'number_not_on_whatsapp', error: 'not on WhatsApp' } as never),
    ).toBe('Fehlgeschlagen: diese Nummer ist nicht bei WhatsApp');
    expect(describeMessageStatus({ status: 'failed', error_code: null, error: 'rate limited' } as never)).toBe(
      'Fehlgeschlagen: rate limited',
    );
  });
});
