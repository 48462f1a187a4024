import { useId } from 'react';
import { useWagate } from '../api/context';
import type { Message } from '../api/types';
import { formatCustomer, formatPhoneNumber, formatTimestamp } from '../format';
import { useMessageHistory } from '../hooks/useMessageHistory';
import { MessageContent } from './MessageContent';
import { ErrorNotice } from './Notices';

/** A message's delivery state in words ("Delivered", "Replying…", "Failed: …"). */
export function describeMessageStatus(message: Message): string {
  switch (message.status) {
    case 'received':
      return 'Received';
    case 'replying':
      return 'Chatbot is replying…';
    case 'replied':
      return 'Replied';
    case 'queued':
      return 'Queued';
    case 'sent':
      if (message.ack === 3) return 'Read';
      if (message.ack === 2) return 'Delivered';
      return 'Sent';
    case 'failed':
      return message.error ? `Failed: ${message.error}` : 'Failed';
    default:
      return String(message.status);
  }
}

/** The messages of one session, newest first, updating live while the page is visible. */
export function MessageHistory(props: { sessionId: string | null; ownNumber?: string | null; live?: boolean }) {
  const { client } = useWagate();
  const history = useMessageHistory(props.sessionId, props.live ?? true);
  const headingId = useId();
  const own = formatPhoneNumber(props.ownNumber);

  return (
    <section className="wg-history" aria-labelledby={headingId}>
      <h3 id={headingId} className="wg-history__title">
        Message history <span className="wg-muted">(newest first)</span>
      </h3>
      {history.error ? <ErrorNotice error={history.error} apiUrl={client.apiUrl} /> : null}
      {!props.sessionId ? (
        <p className="wg-muted">Connect WhatsApp to see the messages your chatbot receives and sends.</p>
      ) : !history.loaded ? (
        <p className="wg-muted">Loading messages…</p>
      ) : history.messages.length === 0 ? (
        <p className="wg-muted">
          No messages yet. When a customer writes to {own || 'the connected number'}, the message and the chatbot's
          reply appear here.
        </p>
      ) : (
        <ol className="wg-messages" aria-label="Messages, newest first">
          {history.messages.map((message) => (
            <MessageItem key={message.id} message={message} />
          ))}
        </ol>
      )}
      {history.hasOlder ? (
        <button type="button" className="wg-button" onClick={() => void history.loadOlder()} disabled={history.loadingOlder}>
          {history.loadingOlder ? 'Loading…' : 'Load older messages'}
        </button>
      ) : null}
    </section>
  );
}

function MessageItem(props: { message: Message }) {
  const { message } = props;
  const inbound = message.direction === 'inbound';
  const failed = message.status === 'failed';
  return (
    <li className={`wg-message wg-message--${message.direction}${failed ? ' wg-message--failed' : ''}`} data-message-id={message.id}>
      <p className="wg-message__meta">
        <span className="wg-message__who">
          {inbound
            ? `Customer ${formatCustomer(message.customer_phone ?? message.from_number, message.chat_id)}`
            : `Chatbot to ${formatCustomer(message.customer_phone ?? message.to_number, message.chat_id)}`}
        </span>
        <time dateTime={message.timestamp}>{formatTimestamp(message.timestamp)}</time>
      </p>
      <MessageContent message={message} />
      {message.revoked_at ? <p className="wg-message__note">The customer deleted this message.</p> : null}
      {message.edited_at && !message.revoked_at ? <p className="wg-message__note">Edited by the customer.</p> : null}
      <p className="wg-message__status">
        <span className="wg-visually-hidden">{inbound ? 'Inbound message, ' : 'Outbound message, '}</span>
        {describeMessageStatus(message)}
      </p>
    </li>
  );
}
