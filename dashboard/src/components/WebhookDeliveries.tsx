// One endpoint's deliveries, newest first and live: each event's state, attempts and last answer,
// its attempt log on request, and Retry once it has finished (delivered or failed).

import { useEffect, useId, useRef, useState } from 'react';
import { useWagate } from '../api/context';
import type { WebhookDelivery } from '../api/types';
import { formatTimestamp } from '../format';
import { useWebhookDeliveries } from '../hooks/useWebhookDeliveries';
import { canRetry, describeAttempt, describeDelivery, describeLastAnswer } from '../webhooks';
import { ErrorNotice, StatusBadge } from './Notices';

export function WebhookDeliveries(props: { webhookId: string; refreshKey?: number }) {
  const { client } = useWagate();
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
        Deliveries <span className="wg-muted">(newest first)</span>
      </h5>
      {history.error ? <ErrorNotice error={history.error} apiUrl={client.apiUrl} /> : null}
      {retryError ? (
        <ErrorNotice error={retryError} apiUrl={client.apiUrl} failedTo="retry the delivery" onDismiss={() => setRetryError(null)} />
      ) : null}
      {!history.loaded ? (
        <p className="wg-muted">Loading deliveries…</p>
      ) : history.deliveries.length === 0 ? (
        <p className="wg-muted">No deliveries yet. Send a test event, or wait for an event this endpoint gets.</p>
      ) : (
        <ol className="wg-delivery-list" aria-label="Deliveries, newest first">
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
          {history.loadingMore ? 'Loading…' : 'Load more deliveries'}
        </button>
      ) : null}
    </section>
  );
}

function DeliveryItem(props: { delivery: WebhookDelivery; retrying: boolean; onRetry: () => void }) {
  const { delivery } = props;
  const [open, setOpen] = useState(false);
  const logId = useId();
  const view = describeDelivery(delivery);
  const lastAnswer = describeLastAnswer(delivery);
  return (
    <li className={`wg-delivery wg-delivery--${delivery.status}`} data-delivery-id={delivery.id}>
      <p className="wg-delivery__meta">
        <code className="wg-delivery__type">{delivery.event_type ?? 'event'}</code>
        <time dateTime={delivery.created_at}>{formatTimestamp(delivery.created_at)}</time>
      </p>
      <p className="wg-delivery__state">
        <StatusBadge tone={view.tone} label={view.label} /> <span className="wg-muted">{view.detail}</span>
      </p>
      <p className="wg-delivery__attempts">
        {delivery.attempts} {delivery.attempts === 1 ? 'attempt' : 'attempts'}
        {lastAnswer ? ` · last answer: ${lastAnswer}` : ''}
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
          Attempt log
        </button>
        {canRetry(delivery) ? (
          <button type="button" className="wg-button" onClick={props.onRetry} disabled={props.retrying}>
            {props.retrying ? 'Retrying…' : 'Retry'}
          </button>
        ) : null}
      </div>
      <div id={logId}>
        {open ? (
          <>
            <p className="wg-muted">
              Event <code>{delivery.event_id}</code> (the <code>webhook-id</code> header, the same on every attempt)
            </p>
            {delivery.attempt_log.length === 0 ? (
              <p className="wg-muted">Not attempted yet.</p>
            ) : (
              <ol className="wg-attempts" aria-label="Attempts, oldest first">
                {delivery.attempt_log.map((attempt) => (
                  <li key={attempt.attempt}>
                    Attempt {attempt.attempt}, <time dateTime={attempt.at}>{formatTimestamp(attempt.at)}</time>:{' '}
                    {describeAttempt(attempt)}
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
