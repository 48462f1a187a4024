// One endpoint's deliveries, newest first and live: each event's state, attempts and last answer,
// its attempt log on request, and Retry once it has finished (delivered or failed).

import { useEffect, useId, useRef, useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { useWagate } from '../api/context';
import type { WebhookDelivery } from '../api/types';
import { formatTimestamp } from '../format';
import { useWebhookDeliveries } from '../hooks/useWebhookDeliveries';
import { canRetry, describeAttempt, describeDelivery, describeLastAnswer } from '../webhooks';
import { ErrorNotice, StatusBadge } from './Notices';

export function WebhookDeliveries(props: { webhookId: string; refreshKey?: number }) {
  const { client } = useWagate();
  const { t } = useTranslation();
  const history = useWebhookDeliveries(props.webhookId);
  const [retrying, setRetrying] = useState<string | null>(null);
  const [retryError, setRetryError] = useState<Error | null>(null);
  const headingId = useId();
  const { refresh } = history;

  // A test event was just sent: look for its delivery now rather than at the next poll (when
  // shown by that same click, the first look-up is already on its way).
  const shownWithKey = useRef(props.refreshKey);
  useEffect(() => {
    if (props.refreshKey !== shownWithKey.current) refresh();
  }, [props.refreshKey, refresh]);

  const retry = async (delivery: WebhookDelivery) => {
    setRetrying(delivery.id);
    setRetryError(null);
    try {
      await history.retry(delivery.id);
    } catch (caught) {
      setRetryError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setRetrying(null);
    }
  };

  return (
    <section className="wg-deliveries" aria-labelledby={headingId}>
      <h5 id={headingId} className="wg-deliveries__title">
        <Trans i18nKey="deliveries.title" components={{ muted: <span className="wg-muted" /> }} />
      </h5>
      {history.error ? <ErrorNotice error={history.error} apiUrl={client.apiUrl} /> : null}
      {retryError ? (
        <ErrorNotice error={retryError} apiUrl={client.apiUrl} failedTo={t('failedTo.retryDelivery')} onDismiss={() => setRetryError(null)} />
      ) : null}
      {!history.loaded ? (
        <p className="wg-muted">{t('deliveries.loading')}</p>
      ) : history.deliveries.length === 0 ? (
        <p className="wg-muted">{t('deliveries.empty')}</p>
      ) : (
        <ol className="wg-delivery-list" aria-label={t('deliveries.listLabel')}>
          {history.deliveries.map((delivery) => (
            <DeliveryItem
              key={delivery.id}
              delivery={delivery}
              retrying={retrying === delivery.id}
              onRetry={() => void retry(delivery)}
            />
          ))}
        </ol>
      )}
      {history.hasMore ? (
        <button type="button" className="wg-button" onClick={() => void history.loadMore()} disabled={history.loadingMore}>
          {history.loadingMore ? t('common.loading') : t('deliveries.loadMore')}
        </button>
      ) : null}
    </section>
  );
}

function DeliveryItem(props: { delivery: WebhookDelivery; retrying: boolean; onRetry: () => void }) {
  const { delivery } = props;
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const logId = useId();
  const view = describeDelivery(delivery);
  const lastAnswer = describeLastAnswer(delivery);
  return (
    <li className={`wg-delivery wg-delivery--${delivery.status}`} data-delivery-id={delivery.id}>
      <p className="wg-delivery__meta">
        <code className="wg-delivery__type">{delivery.event_type ?? t('deliveries.event')}</code>
        <time dateTime={delivery.created_at}>{formatTimestamp(delivery.created_at)}</time>
      </p>
      <p className="wg-delivery__state">
        <StatusBadge tone={view.tone} label={view.label} /> <span className="wg-muted">{view.detail}</span>
      </p>
      <p className="wg-delivery__attempts">
        {t('deliveries.attempts', { count: delivery.attempts })}
        {lastAnswer ? ` · ${t('deliveries.lastAnswer', { answer: lastAnswer })}` : ''}
      </p>
      <div className="wg-actions">
        <button
          type="button"
          className="wg-link-button"
          aria-expanded={open}
          aria-controls={logId}
          onClick={() => setOpen((shown) => !shown)}
        >
          <span aria-hidden="true">{open ? '▾ ' : '▸ '}</span>
          {t('deliveries.attemptLog')}
        </button>
        {canRetry(delivery) ? (
          <button type="button" className="wg-button" onClick={props.onRetry} disabled={props.retrying}>
            {props.retrying ? t('common.retrying') : t('common.retry')}
          </button>
        ) : null}
      </div>
      <div id={logId}>
        {open ? (
          <>
            <p className="wg-muted">
              <Trans i18nKey="deliveries.eventId" values={{ id: delivery.event_id }} components={{ code: <code /> }} />
            </p>
            {delivery.attempt_log.length === 0 ? (
              <p className="wg-muted">{t('deliveries.notAttempted')}</p>
            ) : (
              <ol className="wg-attempts" aria-label={t('deliveries.attemptsLabel')}>
                {delivery.attempt_log.map((attempt) => (
                  <li key={attempt.attempt}>
                    <Trans
                      i18nKey="deliveries.attemptLine"
                      values={{ number: attempt.attempt, time: formatTimestamp(attempt.at), result: describeAttempt(attempt) }}
                      components={{ time: <time dateTime={attempt.at} /> }}
                    />
                  </li>
                ))}
              </ol>
            )}
          </>
        ) : null}
      </div>
    </li>
  );
}
