// The WhatsApp section of a chatbot's settings (ChatbotSettingsModern in the original app): the
// connection's state at a glance, the button that opens WhatsAppWebConnectionModal, and the
// chatbot's WhatsApp message history.

import { useId, useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { useWagate } from '../api/context';
import { describeConnection } from '../connection';
import { formatPhoneNumber } from '../format';
import { useChatbotConnection } from '../hooks/useChatbotConnection';
import { useNow } from '../hooks/useNow';
import { ChatbotSigningSecret } from './ChatbotSigningSecret';
import { MessageHistory } from './MessageHistory';
import { ErrorNotice, StatusBadge } from './Notices';
import { WhatsAppWebConnectionModal } from './WhatsAppWebConnectionModal';

/** Phases in which the button manages an existing link instead of starting one. */
const MANAGE_PHASES = new Set(['connected', 'reconnecting', 'disconnecting']);

export function ChatbotSettingsWhatsApp(props: { chatbotId: string }) {
  const { client } = useWagate();
  const { t } = useTranslation();
  const connection = useChatbotConnection(props.chatbotId);
  const [open, setOpen] = useState(false);
  const headingId = useId();
  const { session } = connection;
  const ticking = session !== null && ['pending', 'starting', 'qr_ready'].includes(session.status);
  const now = useNow(1000, ticking);
  const view = describeConnection({
    session,
    now,
    statusSince: connection.statusSince,
    disconnectRequested: connection.disconnectRequested,
    starting: connection.busy === 'connect',
  });
  const manage = MANAGE_PHASES.has(view.phase);

  const openModal = () => {
    setOpen(true);
    if (!manage) void connection.connect();
  };

  return (
    <section className="wg-card" aria-labelledby={headingId}>
      <div className="wg-card__header">
        <h2 id={headingId} className="wg-card__title">
          {t('whatsapp.title')}
        </h2>
        <StatusBadge tone={view.tone} label={connection.loaded ? view.label : t('whatsapp.checking')} />
      </div>
      <p className="wg-muted">{t('whatsapp.intro')}</p>

      <div className="wg-summary" role="status" aria-live="polite">
        {connection.loaded ? (
          <>
            <p>
              {view.phase === 'connected' && session?.phone_number ? (
                <Trans
                  i18nKey="whatsapp.statusAs"
                  values={{ label: view.label, number: formatPhoneNumber(session.phone_number) }}
                  components={{ strong: <strong />, number: <span className="wg-number" /> }}
                />
              ) : (
                <strong>{view.label}</strong>
              )}
            </p>
            <p className="wg-muted">{view.detail}</p>
          </>
        ) : (
          <p className="wg-muted">{t('whatsapp.checkingConnection')}</p>
        )}
      </div>

      {!open && connection.unauthorized ? <ErrorNotice error={connection.unauthorized} apiUrl={client.apiUrl} /> : null}
      {!open && !connection.unauthorized && connection.pollError ? (
        <ErrorNotice error={connection.pollError} apiUrl={client.apiUrl} />
      ) : null}

      <div className="wg-actions">
        <button
          type="button"
          className={`wg-button ${manage ? '' : 'wg-button--primary'}`}
          onClick={openModal}
          disabled={!connection.loaded || connection.unauthorized !== null}
          aria-haspopup="dialog"
        >
          {manage ? t('whatsapp.manage') : t('whatsapp.connect')}
        </button>
      </div>

      <ChatbotSigningSecret chatbotId={props.chatbotId} refreshKey={session?.id} />

      <MessageHistory sessionId={session?.id ?? null} ownNumber={session?.phone_number} />

      <WhatsAppWebConnectionModal open={open} onClose={() => setOpen(false)} connection={connection} />
    </section>
  );
}
