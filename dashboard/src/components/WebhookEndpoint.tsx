// One webhook endpoint: where it posts, what it gets, whether it is working; and its actions
// (send a test event, rotate the secret, enable/disable, delete) and its deliveries.

import { useId, useState } from 'react';
import { useWagate } from '../api/context';
import type { Webhook, WebhookWithSecret } from '../api/types';
import { formatTimestamp } from '../format';
import type { WebhookEndpoints } from '../hooks/useWebhookEndpoints';
import { describeScope, describeWebhookState } from '../webhooks';
import { ErrorNotice, StatusBadge } from './Notices';
import { SecretShownOnce } from './SecretShownOnce';
import { WebhookDeliveries } from './WebhookDeliveries';

type EndpointAction = 'test' | 'rotate' | 'enable' | 'disable' | 'delete';

const FAILED_TO: Record<EndpointAction, string> = {
  test: 'send a test event',
  rotate: 'rotate the signing secret',
  enable: 'enable the endpoint',
  disable: 'disable the endpoint',
  delete: 'delete the endpoint',
};

export function WebhookEndpoint(props: {
  webhook: Webhook;
  actions: WebhookEndpoints;
  /** No action is possible (the sign-in expired). */
  disabled?: boolean;
  onDeleted: (webhook: Webhook) => void;
}) {
  const { client } = useWagate();
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
      return 'Test event sent (ping): it appears in the deliveries below.';
    });
  const rotate = () =>
    run('rotate', async () => {
      setRotated(await actions.rotateSecret(webhook.id));
      return '';
    });
  const setEnabled = (enabled: boolean) =>
    run(enabled ? 'enable' : 'disable', async () => {
      await actions.update(webhook.id, { enabled });
      return enabled ? 'Enabled: events are sent again.' : 'Disabled: new events wait until you enable it again.';
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
            <dt>Events</dt>
            <dd className="wg-webhook__events">
              {webhook.events.map((type) => (
                <code key={type}>{type}</code>
              ))}
            </dd>
          </div>
          <div>
            <dt>From</dt>
            <dd>{describeScope(webhook)}</dd>
          </div>
          {webhook.description ? (
            <div>
              <dt>Description</dt>
              <dd>{webhook.description}</dd>
            </div>
          ) : null}
          <div>
            <dt>Signing secret</dt>
            <dd>
              {webhook.secret_created_at ? `Made ${formatTimestamp(webhook.secret_created_at)}.` : 'Made with the endpoint.'}
              {webhook.previous_secret_valid_until
                ? ` The previous one still signs until ${formatTimestamp(webhook.previous_secret_valid_until)}.`
                : ''}
            </dd>
          </div>
        </dl>

        {rotated ? (
          <SecretShownOnce label="New signing secret: shown this once" secret={rotated.secret}>
            Copy it now and keep it where your app verifies deliveries; it will not be shown again.
            {rotated.previous_secret_valid_until
              ? ` Deliveries carry both signatures until ${formatTimestamp(rotated.previous_secret_valid_until)}.`
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
            failedTo={FAILED_TO[failure.action]}
            onDismiss={() => setFailure(null)}
          />
        ) : null}

        {confirmingDelete ? (
          <div className="wg-confirm" role="group" aria-label="Confirm delete">
            <p>Delete this endpoint? Events stop going to it, and its deliveries are deleted with it.</p>
            <div className="wg-actions">
              <button type="button" className="wg-button wg-button--danger" onClick={() => void remove()} disabled={disabled}>
                {busy === 'delete' ? 'Deleting…' : 'Yes, delete'}
              </button>
              <button type="button" className="wg-button" onClick={() => setConfirmingDelete(false)} disabled={busy === 'delete'}>
                Cancel
              </button>
            </div>
          </div>
        ) : (
          <div className="wg-actions">
            <button type="button" className="wg-button" onClick={() => void sendTest()} disabled={disabled}>
              {busy === 'test' ? 'Sending…' : 'Send test event'}
            </button>
            <button type="button" className="wg-button" onClick={() => void rotate()} disabled={disabled}>
              {busy === 'rotate' ? 'Rotating…' : 'Rotate secret'}
            </button>
            <button type="button" className="wg-button" onClick={() => void setEnabled(!webhook.enabled)} disabled={disabled}>
              {webhook.enabled ? 'Disable' : 'Enable'}
            </button>
            <button type="button" className="wg-button wg-button--danger" onClick={() => setConfirmingDelete(true)} disabled={disabled}>
              Delete
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
          Deliveries
        </button>
        <div id={deliveriesId}>
          {showDeliveries ? <WebhookDeliveries webhookId={webhook.id} refreshKey={testsSent} /> : null}
        </div>
      </article>
    </li>
  );
}
