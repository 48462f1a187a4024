// Failures per hour over the last day: sessions' last error codes and failed messages' codes.
// Codes, not their texts: they are what an operator searches the logs and the README for.

import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { FailureHour } from '../api/types';
import { formatHour, formatNumber } from '../format';

function CodeCounts(props: { counts: Record<string, number> }) {
  const { t } = useTranslation();
  const entries = Object.entries(props.counts).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return <span className="wg-muted">{t('fleet.failures.none')}</span>;
  return (
    <ul className="wg-code-counts">
      {entries.map(([code, count]) => (
        <li key={code}>
          <code>{code}</code> <span className="wg-figure">{formatNumber(count)}</span>
        </li>
      ))}
    </ul>
  );
}

export function FleetFailures(props: { hours: FailureHour[] }) {
  const { t } = useTranslation();
  const headingId = useId();
  const hours = [...props.hours].reverse(); // the latest hour first
  return (
    <section className="wg-card" aria-labelledby={headingId}>
      <h2 id={headingId} className="wg-card__title">
        {t('fleet.failures.title')}
      </h2>
      {hours.length === 0 ? (
        <p className="wg-muted">{t('fleet.failures.empty')}</p>
      ) : (
        <div className="wg-table-scroll" role="region" aria-labelledby={headingId} tabIndex={0}>
          <table className="wg-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">{t('fleet.failures.hour')}</th>
                <th scope="col">{t('fleet.failures.sessions')}</th>
                <th scope="col">{t('fleet.failures.messages')}</th>
              </tr>
            </thead>
            <tbody>
              {hours.map((hour) => (
                <tr key={hour.hour}>
                  <th scope="row">
                    <time dateTime={hour.hour}>{formatHour(hour.hour)}</time>
                  </th>
                  <td>
                    <CodeCounts counts={hour.sessions} />
                  </td>
                  <td>
                    <CodeCounts counts={hour.messages} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
