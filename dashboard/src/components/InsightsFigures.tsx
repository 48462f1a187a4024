// The period's figures as numbers people read: conversations, messages, answers and failures (by
// reason), reply times, new and returning customers, media.

import { useTranslation } from 'react-i18next';
import type { AnalyticsFigures } from '../api/types';
import { formatElapsed, formatNumber } from '../format';
import { codeText } from '../i18n/codes';

function Figure(props: { label: string; value: string; detail?: string }) {
  return (
    <div className="wg-insights-figure">
      <dt>{props.label}</dt>
      <dd>
        <span className="wg-figure">{props.value}</span>
        {props.detail ? <span className="wg-table__detail">{props.detail}</span> : null}
      </dd>
    </div>
  );
}

function Counts(props: { title: string; counts: [string, number][]; empty: string }) {
  return (
    <div>
      <h3 className="wg-insights-subtitle">{props.title}</h3>
      {props.counts.length === 0 ? (
        <p className="wg-muted">{props.empty}</p>
      ) : (
        <ul className="wg-code-counts">
          {props.counts.map(([label, count]) => (
            <li key={label}>
              {label} <span className="wg-figure">{formatNumber(count)}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function InsightsFigures(props: { totals: AnalyticsFigures }) {
  const { t } = useTranslation();
  const { totals } = props;
  const reply = totals.reply_time_ms;
  const failures = Object.entries(totals.failures)
    .sort((a, b) => b[1] - a[1])
    .map(([code, count]): [string, number] => [codeText('messageErrors', code, code), count]);
  const media = (['inbound', 'outbound'] as const).flatMap((direction) =>
    Object.entries(totals.media[direction]).map(([type, count]): [string, number] => [
      t(`insights.media.${direction}`, { type: t(`media.noun.${type}`, { defaultValue: type }) }),
      count,
    ]),
  );
  return (
    <>
      <dl className="wg-insights-figures">
        <Figure label={t('insights.figures.conversations')} value={formatNumber(totals.conversations)} />
        <Figure label={t('insights.figures.messagesIn')} value={formatNumber(totals.messages_in)} />
        <Figure label={t('insights.figures.messagesOut')} value={formatNumber(totals.messages_out)} />
        <Figure label={t('insights.figures.answered')} value={formatNumber(totals.answered)} />
        <Figure label={t('insights.figures.failed')} value={formatNumber(totals.failed)} />
        <Figure label={t('insights.figures.unanswered')} value={formatNumber(totals.unanswered)} />
        <Figure
          label={t('insights.figures.replyP50')}
          value={reply.p50 === null ? t('insights.figures.noReplies') : formatElapsed(reply.p50)}
          detail={t('insights.figures.replies', { number: formatNumber(reply.count) })}
        />
        <Figure label={t('insights.figures.replyP95')} value={reply.p95 === null ? t('insights.figures.noReplies') : formatElapsed(reply.p95)} />
        <Figure label={t('insights.figures.newCustomers')} value={formatNumber(totals.new_customers)} />
        <Figure label={t('insights.figures.returningCustomers')} value={formatNumber(totals.returning_customers)} />
      </dl>
      <div className="wg-insights-counts">
        <Counts title={t('insights.failures.title')} counts={failures} empty={t('insights.failures.empty')} />
        <Counts title={t('insights.media.title')} counts={media} empty={t('insights.media.empty')} />
      </div>
    </>
  );
}
