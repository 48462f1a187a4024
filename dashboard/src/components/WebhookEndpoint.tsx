// One webhook endpoint: where it posts, what it gets, whether it is working; and its actions
// (send a test event, rotate the secret, enable/disable, delete) and its deliveries.

import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useWagate } from '../api/context';
import type { Webhook, WebhookWithSecret } from '../api/types';
import { formatTimestamp } from '../format';
import type { WebhookEndpoints } from '../hooks/useWebhookEndpoints';
import { describeScope, describeWebhookState } from '../webhooks';
import { ErrorNotice, StatusBadge } from './Notices';
import { SecretShownOnce } from './SecretShownOnce';
import { WebhookDeliveries } from './WebhookDeliveries';

type EndpointAction = 'test' | 'rotate' | 'enable' | 'disable' | 'delete';

export function WebhookEndpoint(props: {
  webhook: Webhook;
  actions: WebhookEndpoints;
  /** No action is possible (the sign-in expired). */
  disabled?: boolean;
  onDeleted: (webhook: Webhook) => void;
}) {
  const { client } = useWagate();
  const { t } = useTranslation();
  const { webhook, actions } = props;
  const [busy, setBusy] = useState<EndpointAction | null>(null);
  const [failure, setFailure] = useState<{ action: EndpointAction; error: Error } | null>(null);
  const [result, setResult] = useState('');
  const [rotated, setRotated] = useState<WebhookWithSecret | null>(null);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const [showDeliveries, setShowDeliveries] = useState(false);
  const [testsSent, setTestsSent] = useState(0);
  const titleId = useId();
  const deliveriesId = useId();
  const state = describeWebhookState(webhook);
  const disabled = busy !== null || props.disabled === true;

  const run = async (action: EndpointAction, work: () => Promise<string>) => {
    setBusy(action);
    setFailure(null);
    setResult('');
    try {
      setResult(await work());
    } catch (caught) {
      setFailure({ action, error: caught instanceof Error ? caught : new Error(String(caught)) });
    } finally {
      setBusy(null);
    }
  };
  const sendTest = () =>
    run('test', async () => {
      await actions.sendTest(webhook.id);
      setShowDeliveries(true);
      setTestsSent((n) => n + 1);
      return t('endpoint.testSent');
    });
  const rotate = () =>
    run('rotate', async () => {
      setRotated(await actions.rotateSecret(webhook.id));
      return '';
    });
  const setEnabled = (enabled: boolean) =>
    run(enabled ? 'enable' : 'disable', async () => {
      await actions.update(webhook.id, { enabled });
      return enabled ? t('endpoint.enabledNow') : t('endpoint.disabledNow');
    });
  const remove = () =>
    run('delete', async () => {
      await actions.remove(webhook.id);
      props.onDeleted(webhook);
      return '';
    });

  return (
    <li className="wg-webhook">
      <article aria-labelledby={titleId}>
        <div className="wg-webhook__header">
          <h4 id={titleId} className="wg-webhook__url">
            {webhook.url}
          </h4>
          <StatusBadge tone={state.tone} label={state.label} />
        </div>
        <p className="wg-muted">{state.detail}</p>
        <dl className="wg-details">
          <div>
            <dt>{t('endpoint.events')}</dt>
            <dd className="wg-webhook__events">
              {webhook.events.map((type) => (
                <code key={type}>{type}</code>
              ))}
            </dd>
          </div>
          <div>
            <dt>{t('endpoint.from')}</dt>
            <dd>{describeScope(webhook)}</dd>
          </div>
          {webhook.description ? (
            <div>
              <dt>{t('endpoint.description')}</dt>
              <dd>{webhook.description}</dd>
            </div>
          ) : null}
          <div>
            <dt>{t('endpoint.signingSecret')}</dt>
            <dd>
              {webhook.secret_created_at
                ? t('endpoint.secretMade', { time: formatTimestamp(webhook.secret_created_at) })
                : t('endpoint.secretMadeWithEndpoint')}
              {webhook.previous_secret_valid_until
                ? ` ${t('endpoint.previousSigns', { time: formatTimestamp(webhook.previous_secret_valid_until) })}`
                : ''}
            </dd>
          </div>
        </dl>

        {rotated ? (
          <SecretShownOnce label={t('signing.newSecret')} secret={rotated.secret}>
            {t('endpoint.copyNow')}
            {rotated.previous_secret_valid_until
              ? ` ${t('endpoint.bothSignatures', { time: formatTimestamp(rotated.previous_secret_valid_until) })}`
              : ''}
          </SecretShownOnce>
        ) : null}
        <p className="wg-webhook__result" role="status" aria-live="polite">
          {result}
        </p>
        {failure ? (
          <ErrorNotice
            error={failure.error}
            apiUrl={client.apiUrl}
            failedTo={t(`failedTo.${failure.action}`)}
            onDismiss={() => setFailure(null)}
          />
        ) : null}

        {confirmingDelete ? (
          <div className="wg-confirm" role="group" aria-label={t('endpoint.confirmDelete')}>
            <p>{t('endpoint.deleteQuestion')}</p>
            <div className="wg-actions">
              <button type="button" className="wg-button wg-button--danger" onClick={() => void remove()} disabled={disabled}>
                {busy === 'delete' ? t('endpoint.deleting') : t('endpoint.yesDelete')}
              </button>
              <button type="button" className="wg-button" onClick={() => setConfirmingDelete(false)} disabled={busy === 'delete'}>
                {t('common.cancel')}
              </button>
            </div>
          </div>
        ) : (
          <div className="wg-actions">
            <button type="button" className="wg-button" onClick={() => void sendTest()} disabled={disabled}>
              {busy === 'test' ? t('endpoint.sending') : t('endpoint.sendTest')}
            </button>
            <button type="button" className="wg-button" onClick={() => void rotate()} disabled={disabled}>
              {busy === 'rotate' ? t('endpoint.rotating') : t('endpoint.rotate')}
            </button>
            <button type="button" className="wg-button" onClick={() => void setEnabled(!webhook.enabled)} disabled={disabled}>
              {webhook.enabled ? t('endpoint.disable') : t('endpoint.enable')}
            </button>
            <button type="button" className="wg-button wg-button--danger" onClick={() => setConfirmingDelete(true)} disabled={disabled}>
              {t('endpoint.delete')}
            </button>
          </div>
        )}

        <button
          type="button"
          className="wg-link-button"
          aria-expanded={showDeliveries}
          aria-controls={deliveriesId}
          onClick={() => setShowDeliveries((shown) => !shown)}
        >
          <span aria-hidden="true">{showDeliveries ? '▾ ' : '▸ '}</span>
          {t('endpoint.deliveries')}
        </button>
        <div id={deliveriesId}>
          {showDeliveries ? <WebhookDeliveries webhookId={webhook.id} refreshKey={testsSent} /> : null}
        </div>
      </article>
    </li>
  );
}
