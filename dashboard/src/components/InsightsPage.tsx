// The business owner's Insights page: their chatbot's figures over a period they choose, as
// numbers and charts (each with a table of the same numbers), and CSV downloads.

import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useWagate } from '../api/context';
import type { Analytics } from '../api/types';
import { analyticsQuery, browserTimeZone, defaultSelection, type PeriodSelection } from '../analyticsPeriod';
import { formatBucket, formatHourOfDay } from '../format';
import { useAnalytics } from '../hooks/useAnalytics';
import { InsightsChart } from './InsightsChart';
import { InsightsDownloads } from './InsightsDownloads';
import { InsightsFigures } from './InsightsFigures';
import { InsightsPeriodPicker } from './InsightsPeriodPicker';
import { ErrorNotice } from './Notices';

const COLORS = { in: '#1d4ed8', out: '#075e54', answered: '#15803d', failed: '#b42318' };

function InsightsCharts(props: { analytics: Analytics }) {
  const { t } = useTranslation();
  const { analytics } = props;
  const perBucket = analytics.buckets.map((bucket) => ({
    label: formatBucket(bucket.start, analytics.bucket, analytics.tz),
    in: bucket.messages_in,
    out: bucket.messages_out,
    answered: bucket.answered,
    failed: bucket.failed,
  }));
  const category = analytics.bucket === 'day' ? t('insights.charts.day') : t('insights.charts.hour');
  const hours = analytics.busiest_hours.by_hour.map((count, hour) => ({ label: formatHourOfDay(hour), in: count }));
  return (
    <>
      <InsightsChart
        title={t('insights.charts.messages')}
        description={t('insights.charts.messagesDescription')}
        category={category}
        rows={perBucket}
        series={[
          { key: 'in', label: t('insights.figures.messagesIn'), color: COLORS.in },
          { key: 'out', label: t('insights.figures.messagesOut'), color: COLORS.out },
        ]}
      />
      <InsightsChart
        title={t('insights.charts.answers')}
        description={t('insights.charts.answersDescription')}
        category={category}
        rows={perBucket}
        stacked
        series={[
          { key: 'answered', label: t('insights.figures.answered'), color: COLORS.answered },
          { key: 'failed', label: t('insights.figures.failed'), color: COLORS.failed },
        ]}
      />
      <InsightsChart
        title={t('insights.charts.busiestHours')}
        description={t('insights.charts.busiestHoursDescription', { tz: analytics.tz })}
        category={t('insights.charts.hourOfDay')}
        rows={hours}
        series={[{ key: 'in', label: t('insights.figures.messagesIn'), color: COLORS.in }]}
      />
    </>
  );
}

export function InsightsPage(props: { chatbotId: string }) {
  const { client } = useWagate();
  const { t } = useTranslation();
  const [selection, setSelection] = useState<PeriodSelection>(() => defaultSelection(new Date()));
  const tz = useMemo(browserTimeZone, []);
  const query = useMemo(() => analyticsQuery(props.chatbotId, selection, new Date(), tz), [props.chatbotId, selection, tz]);
  const { analytics, loading, error } = useAnalytics(query);
  const empty = analytics !== null && analytics.totals.messages_in + analytics.totals.messages_out === 0;
  return (
    <>
      <h1 className="wg-main__title">{t('insights.title')}</h1>
      <p className="wg-muted">{t('insights.intro')}</p>
      <InsightsPeriodPicker selection={selection} onChange={setSelection} invalid={query === null} />
      <InsightsDownloads query={query} />
      {error ? <ErrorNotice error={error} apiUrl={client.apiUrl} /> : null}
      {!analytics ? (
        loading ? <p className="wg-muted">{t('common.loading')}</p> : null
      ) : empty ? (
        <section className="wg-card wg-insights-empty" aria-live="polite">
          <h2 className="wg-card__title">{t('insights.empty.title')}</h2>
          <p>{t('insights.empty.body')}</p>
        </section>
      ) : (
        <div aria-busy={loading || undefined}>
          <section className="wg-card" aria-label={t('insights.figures.title')}>
            <h2 className="wg-card__title">{t('insights.figures.title')}</h2>
            <InsightsFigures totals={analytics.totals} />
          </section>
          <InsightsCharts analytics={analytics} />
        </div>
      )}
    </>
  );
}
