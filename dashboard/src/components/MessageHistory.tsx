import { useId } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { useWagate } from '../api/context';
import type { Message } from '../api/types';
import { formatCustomer, formatPhoneNumber, formatTimestamp } from '../format';
import { useMessageHistory } from '../hooks/useMessageHistory';
import { t } from '../i18n';
import { codeText } from '../i18n/codes';
import { MessageContent } from './MessageContent';
import { ErrorNotice } from './Notices';

/** A message's delivery state in words ("Delivered", "Replying…", "Failed: …"). */
export function describeMessageStatus(message: Message): string {
  switch (message.status) {
    case 'received':
    case 'replying':
    case 'replied':
    case 'queued':
      return t(`history.status.${message.status}`);
    case 'sent':
      if (message.ack === 3) return t('history.status.read');
      if (message.ack === 2) return t('history.status.delivered');
      return t('history.status.sent');
    case 'failed': {
      const reason = codeText('messageErrors', message.error_code, message.error ?? '');
      return reason ? t('history.status.failedWith', { reason }) : t('history.status.failed');
    }
    default:
      return String(message.status);
  }
}

/** The messages of one session, newest first, updating live while the page is visible. */
export function MessageHistory(props: { sessionId: string | null; ownNumber?: string | null; live?: boolean }) {
  const { client } = useWagate();
  const { t } = useTranslation();
  const history = useMessageHistory(props.sessionId, props.live ?? true);
  const headingId = useId();
  const own = formatPhoneNumber(props.ownNumber);

  return (
    <section className="wg-history" aria-labelledby={headingId}>
      <h3 id={headingId} className="wg-history__title">
        <Trans i18nKey="history.title" components={{ muted: <span className="wg-muted" /> }} />
      </h3>
      {history.error ? <ErrorNotice error={history.error} apiUrl={client.apiUrl} /> : null}
      {!props.sessionId ? (
        <p className="wg-muted">{t('history.connectFirst')}</p>
      ) : !history.loaded ? (
        <p className="wg-muted">{t('history.loading')}</p>
      ) : history.messages.length === 0 ? (
        <p className="wg-muted">{t('history.empty', { number: own || t('history.theConnectedNumber') })}</p>
      ) : (
        // Focusable, so the keyboard reaches the history (and scrolls the page to it) from the controls above.
        <ol className="wg-messages" aria-label={t('history.listLabel')} tabIndex={0}>
          {history.messages.map((message) => (
            <MessageItem key={message.id} message={message} />
          ))}
        </ol>
      )}
      {history.hasOlder ? (
        <button type="button" className="wg-button" onClick={() => void history.loadOlder()} disabled={history.loadingOlder}>
          {history.loadingOlder ? t('common.loading') : t('history.loadOlder')}
        </button>
      ) : null}
    </section>
  );
}

function MessageItem(props: { message: Message }) {
  const { message } = props;
  const { t } = useTranslation();
  const inbound = message.direction === 'inbound';
  const failed = message.status === 'failed';
  return (
    <li className={`wg-message wg-message--${message.direction}${failed ? ' wg-message--failed' : ''}`} data-message-id={message.id}>
      <p className="wg-message__meta">
        <span className="wg-message__who">
          {inbound
            ? t('history.fromCustomer', { customer: formatCustomer(message.customer_phone ?? message.from_number, message.chat_id) })
            : t('history.toCustomer', { customer: formatCustomer(message.customer_phone ?? message.to_number, message.chat_id) })}
        </span>
        <time dateTime={message.timestamp}>{formatTimestamp(message.timestamp)}</time>
      </p>
      <MessageContent message={message} />
      {message.revoked_at ? <p className="wg-message__note">{t('history.deleted')}</p> : null}
      {message.edited_at && !message.revoked_at ? <p className="wg-message__note">{t('history.edited')}</p> : null}
      <p className="wg-message__status">
        <span className="wg-visually-hidden">{inbound ? t('history.inbound') : t('history.outbound')} </span>
        {describeMessageStatus(message)}
      </p>
    </li>
  );
}
