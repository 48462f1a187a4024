// The Webhooks section: the user's own endpoints, which get the events of their WhatsApp sessions
// (a message received, a reply sent, a connection's state) as signed HTTP posts, and the form to
// add one. Each endpoint's secret is shown once, when it is made.

import { useId, useRef, useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { useWagate } from '../api/context';
import type { Webhook } from '../api/types';
import { useWebhookEndpoints } from '../hooks/useWebhookEndpoints';
import { ErrorNotice } from './Notices';
import { WebhookEndpoint } from './WebhookEndpoint';
import { WebhookForm } from './WebhookForm';

export function Webhooks() {
  const { client } = useWagate();
  const { t } = useTranslation();
  const endpoints = useWebhookEndpoints();
  const [announcement, setAnnouncement] = useState('');
  const headingId = useId();
  const listHeadingId = useId();
  const listHeading = useRef<HTMLHeadingElement>(null);

  // The deleted endpoint's controls are gone: say so, and keep the keyboard where it was.
  const onDeleted = (webhook: Webhook) => {
    setAnnouncement(t('webhooks.deleted', { url: webhook.url }));
    listHeading.current?.focus();
  };

  return (
    <section className="wg-card" aria-labelledby={headingId}>
      <div className="wg-card__header">
        <h2 id={headingId} className="wg-card__title">
          {t('webhooks.title')}
        </h2>
      </div>
      <p className="wg-muted">
        <Trans i18nKey="webhooks.intro" components={{ code: <code /> }} />
      </p>
      {endpoints.error ? <ErrorNotice error={endpoints.error} apiUrl={client.apiUrl} /> : null}

      <h3 id={listHeadingId} ref={listHeading} tabIndex={-1} className="wg-subsection__title">
        {t('webhooks.yourEndpoints')}
      </h3>
      <p className="wg-visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
      {!endpoints.loaded ? (
        <p className="wg-muted">{t('webhooks.loading')}</p>
      ) : endpoints.webhooks.length === 0 ? (
        <p className="wg-muted">{t('webhooks.empty')}</p>
      ) : (
        <ul className="wg-webhooks" aria-labelledby={listHeadingId}>
          {endpoints.webhooks.map((webhook) => (
            <WebhookEndpoint
              key={webhook.id}
              webhook={webhook}
              actions={endpoints}
              disabled={endpoints.unauthorized}
              onDeleted={onDeleted}
            />
          ))}
        </ul>
      )}

      <WebhookForm
        create={async (body) => {
          setAnnouncement('');
          return endpoints.create(body);
        }}
        disabled={endpoints.unauthorized}
      />
    </section>
  );
}
