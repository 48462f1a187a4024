// The runners: each one's heartbeat (alive or gone), its sessions against its capacity, its
// browser's restarts, and its own command queue with that queue's dead letters.

import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { AdminRunner, QueueDepth } from '../api/types';
import { formatAgo, formatNumber } from '../format';
import { StatusBadge } from './Notices';

export function QueueFigure(props: { depth: QueueDepth | null | undefined; field: keyof QueueDepth }) {
  const { t } = useTranslation();
  const value = props.depth?.[props.field];
  if (value === null || value === undefined) return <span className="wg-muted">{t('fleet.queues.unavailable')}</span>;
  const alarming = props.field === 'dead_letters' && value > 0;
  return <span className={alarming ? 'wg-figure wg-figure--danger' : 'wg-figure'}>{formatNumber(value)}</span>;
}

export function FleetRunners(props: { runners: AdminRunner[] }) {
  const { t } = useTranslation();
  const headingId = useId();
  const alive = props.runners.filter((runner) => runner.alive).length;
  return (
    <section className="wg-card" aria-labelledby={headingId}>
      <h2 id={headingId} className="wg-card__title">
        {t('fleet.runners.title')}
      </h2>
      <p className="wg-muted">
        {t('fleet.runners.summary', { alive: formatNumber(alive), total: formatNumber(props.runners.length) })}
      </p>
      {props.runners.length === 0 ? (
        <p className="wg-muted">{t('fleet.runners.empty')}</p>
      ) : (
        <div className="wg-table-scroll" role="region" aria-labelledby={headingId} tabIndex={0}>
          <table className="wg-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">{t('fleet.runners.runner')}</th>
                <th scope="col">{t('fleet.runners.state')}</th>
                <th scope="col">{t('fleet.runners.heartbeat')}</th>
                <th scope="col">{t('fleet.runners.sessions')}</th>
                <th scope="col">{t('fleet.runners.restarts')}</th>
                <th scope="col">{t('fleet.queues.waiting')}</th>
                <th scope="col">{t('fleet.queues.inFlight')}</th>
                <th scope="col">{t('fleet.queues.deadLetters')}</th>
              </tr>
            </thead>
            <tbody>
              {props.runners.map((runner) => (
                <tr key={runner.runner_id}>
                  <th scope="row">
                    <code>{runner.runner_id}</code>
                  </th>
                  <td>
                    <StatusBadge
                      tone={runner.alive ? 'success' : 'danger'}
                      label={runner.alive ? t('fleet.runners.alive') : t('fleet.runners.gone')}
                    />
                  </td>
                  <td>
                    {runner.heartbeat_age_s === null ? t('fleet.runners.never') : formatAgo(runner.heartbeat_age_s)}
                  </td>
                  <td>
                    {t('fleet.runners.ofCapacity', {
                      active: formatNumber(runner.active_sessions),
                      capacity: formatNumber(runner.capacity),
                    })}
                  </td>
                  <td>{formatNumber(runner.browser_restarts ?? 0)}</td>
                  <td>
                    <QueueFigure depth={runner.queue} field="visible" />
                  </td>
                  <td>
                    <QueueFigure depth={runner.queue} field="in_flight" />
                  </td>
                  <td>
                    <QueueFigure depth={runner.queue} field="dead_letters" />
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
