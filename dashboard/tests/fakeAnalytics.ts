// The analytics part of the fake API (tests/fakeApi.ts): GET /api/analytics answers `report`
// (or its CSV), GET /api/analytics/messages.csv a fixed CSV. Another chatbot is 404, as in the API.

import type { Analytics, AnalyticsFigures } from '../src/api/types';
import type { Call } from './fakeApi';
import { error, json } from './fakeHttp';

export const FIGURES_CSV = '"bucket","messages_in"\r\n"total","1234"\r\n';
export const MESSAGES_CSV = '"id","content"\r\n"m1","hello"\r\n';

export function fakeFigures(patch: Partial<AnalyticsFigures> = {}): AnalyticsFigures {
  return {
    conversations: 0,
    new_customers: 0,
    returning_customers: 0,
    messages_in: 0,
    messages_out: 0,
    answered: 0,
    failed: 0,
    unanswered: 0,
    replies_sent: 0,
    replies_failed: 0,
    replies_queued: 0,
    reply_time_ms: { count: 0, p50: null, p95: null },
    failures: {},
    media: { inbound: {}, outbound: {} },
    ...patch,
  };
}

/** Two days of a busy chatbot: 1,234 messages in, failures of two kinds, a few photos. */
export function fakeReport(chatbotId: string, patch: Partial<Analytics> = {}): Analytics {
  const byHour = Array.from({ length: 24 }, (_, hour) => (hour === 14 ? 300 : hour === 9 ? 120 : 0));
  return {
    chatbot_id: chatbotId,
    session_id: null,
    from: '2026-12-03T00:00:00+00:00',
    to: '2026-12-05T00:00:00+00:00',
    bucket: 'day',
    tz: 'UTC',
    totals: fakeFigures({
      conversations: 87,
      new_customers: 30,
      returning_customers: 57,
      messages_in: 1234,
      messages_out: 1180,
      answered: 1170,
      failed: 9,
      unanswered: 55,
      replies_sent: 1170,
      replies_failed: 10,
      reply_time_ms: { count: 1170, p50: 2400, p95: 95_000 },
      failures: { chatbot_timeout: 7, send_failed: 3 },
      media: { inbound: { image: 12 }, outbound: { document: 2 } },
    }),
    buckets: [
      { start: '2026-12-03T00:00:00+00:00', ...fakeFigures({ messages_in: 600, messages_out: 580, answered: 575, failed: 4 }) },
      { start: '2026-12-04T00:00:00+00:00', ...fakeFigures({ messages_in: 634, messages_out: 600, answered: 595, failed: 5 }) },
    ],
    busiest_hours: { by_hour: byHour, by_weekday_hour: Array.from({ length: 7 }, () => Array(24).fill(0)) },
    ...patch,
  };
}

export class FakeAnalytics {
  /** What the API answers for the user's chatbot; null: the default empty period. */
  report: Analytics | null = null;

  route(call: Call, chatbotId: string): Response | null {
    const { method, path, query } = call;
    if (method !== 'GET' || !path.startsWith('/api/analytics')) return null;
    if (query.get('chatbot_id') !== chatbotId) return error(404, 'chatbot_not_found', 'no such chatbot');
    if (path === '/api/analytics/messages.csv') return csv(MESSAGES_CSV);
    if (path !== '/api/analytics') return error(404, 'route_not_found', path);
    if (query.get('format') === 'csv') return csv(FIGURES_CSV);
    const report = this.report ?? fakeReport(chatbotId, { totals: fakeFigures(), buckets: [] });
    return json(200, { ...report, bucket: query.get('bucket') ?? 'day', tz: query.get('tz') ?? 'UTC' });
  }
}

function csv(text: string): Response {
  return new Response(text, { status: 200, headers: { 'Content-Type': 'text/csv; charset=utf-8' } });
}
