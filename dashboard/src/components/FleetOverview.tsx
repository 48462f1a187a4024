// Across users: the start queue (and its dead letters), and how many sessions are in each status.

import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { SESSION_STATUSES, type Fleet } from '../api/types';
import { formatNumber, formatSessionStatus } from '../format';
import { QueueFigure } from './FleetRunners';

export function FleetOverview(props: { fleet: Fleet }) {
  const { t } = useTranslation();
  const queueId = useId();
  const sessionsId = useId();
  const start = props.fleet.queues.start;
  const byStatus = props.fleet.sessions.by_status ?? {};
  // The known statuses in their life's order, then any status this dashboard does not know yet.
  const statuses = [
    ...SESSION_STATUSES.filter((status) => status in byStatus),
    ...Object.keys(byStatus).filter((status) => !(SESSION_STATUSES as readonly string[]).includes(status)),
  ];
  return (
    <div className="wg-fleet-overview">
      <section className="wg-card" aria-labelledby={queueId}>
        <h2 id={queueId} className="wg-card__title">
          {t('fleet.queues.title')}
        </h2>
        <dl className="wg-figures">
          <div>
            <dt>{t('fleet.queues.waiting')}</dt>
            <dd>
              <QueueFigure depth={start} field="visible" />
            </dd>
          </div>
          <div>
            <dt>{t('fleet.queues.inFlight')}</dt>
            <dd>
              <QueueFigure depth={start} field="in_flight" />
            </dd>
          </div>
          <div>
            <dt>{t('fleet.queues.deadLetters')}</dt>
            <dd>
              <QueueFigure depth={start} field="dead_letters" />
            </dd>
          </div>
        </dl>
      </section>
      <section className="wg-card" aria-labelledby={sessionsId}>
        <h2 id={sessionsId} className="wg-card__title">
          {t('fleet.sessions.title')}
        </h2>
        {statuses.length === 0 ? (
          <p className="wg-muted">{t('fleet.sessions.empty')}</p>
        ) : (
          <table className="wg-table" aria-labelledby={sessionsId}>
            <thead>
              <tr>
                <th scope="col">{t('fleet.sessions.status')}</th>
                <th scope="col" className="wg-table__number">
                  {t('fleet.sessions.count')}
                </th>
              </tr>
            </thead>
            <tbody>
              {statuses.map((status) => (
                <tr key={status}>
                  <th scope="row">{formatSessionStatus(status)}</th>
                  <td className="wg-table__number">{formatNumber(byStatus[status])}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">{t('fleet.sessions.total')}</th>
                <td className="wg-table__number">{formatNumber(props.fleet.sessions.total ?? 0)}</td>
              </tr>
            </tfoot>
          </table>
        )}
      </section>
    </div>
  );
}
