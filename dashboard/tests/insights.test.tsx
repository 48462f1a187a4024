import { act, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { addDays, analyticsQuery, browserTimeZone, localDate } from '../src/analyticsPeriod';
import { i18n } from '../src/i18n';
import { CHATBOT_ID, type FakeWagateApi } from './fakeApi';
import { FIGURES_CSV, fakeReport, MESSAGES_CSV } from './fakeAnalytics';
import { pass, startApp } from './harness';

function analyticsCalls(api: FakeWagateApi) {
  return api.callsTo('GET', '/api/analytics').filter((call) => call.query.get('format') !== 'csv');
}

function lastPeriod(api: FakeWagateApi) {
  const call = analyticsCalls(api).at(-1)!;
  return { from: call.query.get('from'), to: call.query.get('to'), bucket: call.query.get('bucket'), tz: call.query.get('tz') };
}

/** The figure's card: its label and its value. */
function figure(label: string): HTMLElement {
  return screen.getByText(label, { selector: 'dt' }).parentElement!;
}

async function openInsights(prepare?: (api: FakeWagateApi) => void) {
  window.location.hash = '#insights';
  const app = startApp({ prepare });
  await pass(0);
  await pass(0);
  return app;
}

describe('the Insights page', () => {
  beforeEach(() => {
    window.location.hash = '';
  });
  afterEach(() => {
    window.location.hash = '';
  });

  it("is in every user's header, and shows the figures the API answers, as numbers, durations and tables", async () => {
    window.location.hash = '';
    const { api, user } = startApp({ prepare: (a) => (a.analytics.report = fakeReport(CHATBOT_ID)) });
    await pass(0);
    const pages = screen.getByRole('navigation', { name: 'Pages' });
    await user.click(within(pages).getByRole('link', { name: 'Insights' }));
    await pass(0);
    await pass(0);
    expect(screen.getByRole('heading', { level: 1, name: 'Insights' })).toBeInTheDocument();
    expect(within(pages).getByRole('link', { name: 'Insights' })).toHaveAttribute('aria-current', 'page');

    // The last 7 days by day, in the browser's time zone.
    const today = localDate(new Date());
    expect(lastPeriod(api)).toEqual({ from: addDays(today, -6), to: addDays(today, 1), bucket: 'day', tz: browserTimeZone() });
    expect(analyticsCalls(api).at(-1)!.query.get('chatbot_id')).toBe(CHATBOT_ID);

    expect(figure('Conversations (customers who wrote)')).toHaveTextContent('87');
    expect(figure('Messages received')).toHaveTextContent('1,234');
    expect(figure('Messages sent')).toHaveTextContent('1,180');
    expect(figure('Answered')).toHaveTextContent('1,170');
    expect(figure('Failed')).toHaveTextContent('9');
    expect(figure('Still unanswered')).toHaveTextContent('55');
    expect(figure('Reply time, median')).toHaveTextContent('2.4 sec');
    expect(figure('Reply time, median')).toHaveTextContent('Replies timed: 1,170');
    expect(figure('Reply time, 95th percentile')).toHaveTextContent('1.6 min');
    expect(figure('New customers')).toHaveTextContent('30');
    expect(figure('Returning customers')).toHaveTextContent('57');
    expect(screen.getByText(/the chatbot did not answer in time/).closest('li')).toHaveTextContent('7');
    expect(screen.getByText(/sending failed/).closest('li')).toHaveTextContent('3');
    expect(screen.getByText('Photo received').closest('li')).toHaveTextContent('12');
    expect(screen.getByText('Document sent').closest('li')).toHaveTextContent('2');

    // Each chart has a name, a description and its numbers as a table.
    const chart = screen.getByRole('img', { name: 'Messages received and sent' });
    expect(chart).toHaveAccessibleDescription('Messages received and sent in each day or hour of the period.');
    const perDay = screen.getByRole('table', { name: 'Messages received and sent' });
    const rows = within(perDay).getAllByRole('row');
    expect(rows.map((row) => row.textContent)).toEqual(['DayMessages receivedMessages sent', 'Dec 3600580', 'Dec 4634600']);
    const answers = within(screen.getByRole('table', { name: 'Answered and failed' })).getAllByRole('row');
    expect(answers[2]).toHaveTextContent('Dec 45955');
    const hours = within(screen.getByRole('table', { name: 'Busiest hours' })).getAllByRole('row');
    expect(hours).toHaveLength(25);
    expect(hours[15]).toHaveTextContent('2 PM300');
    expect(hours[10]).toHaveTextContent('9 AM120');
    expect(screen.getByRole('img', { name: 'Busiest hours' })).toHaveAccessibleDescription(/time zone UTC/);
    expect(api.calls.every((call) => call.authorization === 'Bearer test-access-token')).toBe(true);
  });

  it("the period picker changes the request's from, to and bucket", async () => {
    const { api, user } = await openInsights((a) => (a.analytics.report = fakeReport(CHATBOT_ID)));
    const today = localDate(new Date());
    await user.selectOptions(screen.getByLabelText('Period'), 'today');
    await pass(0);
    expect(lastPeriod(api)).toMatchObject({ from: today, to: addDays(today, 1), bucket: 'day' });

    await user.selectOptions(screen.getByLabelText('Period'), '30d');
    await user.selectOptions(screen.getByLabelText('Group by'), 'hour');
    await pass(0);
    expect(lastPeriod(api)).toMatchObject({ from: addDays(today, -29), to: addDays(today, 1), bucket: 'hour' });

    await user.selectOptions(screen.getByLabelText('Period'), 'custom');
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2026-11-02' } });
    fireEvent.change(screen.getByLabelText('To (included)'), { target: { value: '2026-11-15' } });
    await pass(0);
    expect(lastPeriod(api)).toMatchObject({ from: '2026-11-02', to: '2026-11-16', bucket: 'hour' });

    // An end before the start is explained, and not asked for.
    const calls = analyticsCalls(api).length;
    fireEvent.change(screen.getByLabelText('To (included)'), { target: { value: '2026-11-01' } });
    await pass(0);
    expect(screen.getByRole('alert')).toHaveTextContent('The end date must be on or after the start date.');
    expect(screen.getByLabelText('To (included)')).toHaveAttribute('aria-invalid', 'true');
    expect(analyticsCalls(api)).toHaveLength(calls);
  });

  it('a period without messages says what will appear once customers write', async () => {
    await openInsights();
    expect(screen.getByRole('heading', { name: 'No messages in this period yet' })).toBeInTheDocument();
    expect(screen.getByText(/Once customers write to your WhatsApp number/)).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(screen.queryByText('Figures for the period')).not.toBeInTheDocument();
  });

  it('downloads the figures and the messages as CSV, fetched with the token', async () => {
    const created: Blob[] = [];
    const createObjectURL = vi.fn((blob: Blob) => {
      created.push(blob);
      return `blob:test/${created.length}`;
    });
    vi.stubGlobal('URL', Object.assign(globalThis.URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const clicked: HTMLAnchorElement[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    try {
      const { api, user } = await openInsights((a) => (a.analytics.report = fakeReport(CHATBOT_ID)));
      const period = lastPeriod(api);
      await user.click(screen.getByRole('button', { name: 'Download the figures (CSV)' }));
      await pass(0);
      const figures = api.callsTo('GET', '/api/analytics').filter((call) => call.query.get('format') === 'csv');
      expect(figures).toHaveLength(1);
      expect(figures[0].authorization).toBe('Bearer test-access-token');
      expect(Object.fromEntries(figures[0].query)).toEqual({ chatbot_id: CHATBOT_ID, ...period, format: 'csv' });
      expect(await created[0].text()).toBe(FIGURES_CSV);
      expect(clicked[0].download).toBe(`wagate-figures-${period.from}-${period.to}.csv`);
      expect(clicked[0].href).toBe('blob:test/1');

      await user.click(screen.getByRole('button', { name: 'Download the messages (CSV)' }));
      await pass(0);
      const messages = api.callsTo('GET', '/api/analytics/messages.csv');
      expect(messages).toHaveLength(1);
      expect(messages[0].authorization).toBe('Bearer test-access-token');
      expect(Object.fromEntries(messages[0].query)).toEqual({ chatbot_id: CHATBOT_ID, from: period.from, to: period.to, tz: period.tz });
      expect(await created[1].text()).toBe(MESSAGES_CSV);
      expect(clicked[1].download).toBe(`wagate-messages-${period.from}-${period.to}.csv`);
    } finally {
      click.mockRestore();
    }
  });

  it('a failed download is explained', async () => {
    const { user } = await openInsights((a) => {
      a.analytics.report = fakeReport(CHATBOT_ID);
      a.failNext('GET', /\/messages\.csv$/, 503, 'database_unavailable', 'the database is unavailable');
    });
    await user.click(screen.getByRole('button', { name: 'Download the messages (CSV)' }));
    await pass(0);
    expect(screen.getByRole('alert')).toHaveTextContent(/database_unavailable/);
  });

  it('renders in Arabic, right to left, with every text translated', async () => {
    await openInsights((a) => (a.analytics.report = fakeReport(CHATBOT_ID)));
    await act(() => i18n.changeLanguage('ar'));
    await pass(0);
    expect(document.documentElement).toHaveAttribute('dir', 'rtl');
    expect(screen.getByRole('heading', { level: 1, name: 'الإحصاءات' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'الإحصاءات' })).toHaveAttribute('aria-current', 'page');
    expect(screen.getByRole('table', { name: 'ساعات الذروة' })).toBeInTheDocument();
    expect(figure('الرسائل المستلمة')).toHaveTextContent(new Intl.NumberFormat('ar').format(1234));
    expect(window.__wagateMissingKeys).toEqual([]);
  });
});

describe('the period', () => {
  it('is whole local days, `to` excluded; a custom end before its start asks for nothing', () => {
    const now = new Date(2026, 11, 4, 15, 30);
    const base = { bucket: 'day' as const, customFrom: '2026-02-27', customTo: '2026-03-01' };
    expect(analyticsQuery('c', { ...base, choice: 'today' }, now, 'UTC')).toMatchObject({ from: '2026-12-04', to: '2026-12-05' });
    expect(analyticsQuery('c', { ...base, choice: '30d' }, now, 'UTC')).toMatchObject({ from: '2026-11-05', to: '2026-12-05' });
    expect(analyticsQuery('c', { ...base, choice: 'custom' }, now, 'UTC')).toMatchObject({ from: '2026-02-27', to: '2026-03-02' });
    expect(analyticsQuery('c', { ...base, choice: 'custom', customTo: '2026-02-01' }, now, 'UTC')).toBeNull();
  });
});
