import { ApiError, NetworkError } from '../api/client';
import type { ConnectionAction } from '../hooks/useChatbotConnection';
import type { Tone } from '../connection';

export function StatusBadge(props: { tone: Tone; label: string }) {
  return <span className={`wg-badge wg-badge--${props.tone}`}>{props.label}</span>;
}

const ACTION_NAMES: Record<ConnectionAction, string> = {
  connect: 'start the connection',
  link_with_phone: 'get a pairing code',
  use_qr: 'get a QR code',
  new_code: 'get a new code',
  reconnect: 'reconnect',
  disconnect: 'disconnect',
};

/** What went wrong and what to do next, for any error the client raises. */
export function explainError(error: Error, apiUrl: string): { title: string; next: string } {
  if (error instanceof NetworkError) {
    return {
      title: `Can't reach the wagate API${apiUrl ? ` at ${apiUrl}` : ''}.`,
      next: 'Check your internet connection. The page keeps retrying and updates by itself when the API is back.',
    };
  }
  if (error instanceof ApiError) {
    if (error.isUnauthorized) {
      return {
        title: 'Your sign-in has expired or is not valid.',
        next: 'Sign in again, then reopen this page.',
      };
    }
    if (error.status === 429) {
      return { title: 'Too many requests.', next: 'Wait a few seconds and try again.' };
    }
    if (error.status >= 500) {
      return {
        title: `The wagate API failed: ${error.message} (${error.code}).`,
        next: 'Try again in a moment; if it keeps failing, contact your administrator.',
      };
    }
    return { title: `${error.message} (${error.code}).`, next: 'Check the details and try again.' };
  }
  return { title: error.message || 'Something went wrong.', next: 'Try again.' };
}

export function ErrorNotice(props: {
  error: Error;
  apiUrl: string;
  action?: ConnectionAction;
  /** What failed, in words ("send a test event"), when it is not a connection action. */
  failedTo?: string;
  onDismiss?: () => void;
}) {
  const { title, next } = explainError(props.error, props.apiUrl);
  const failedTo = props.action ? ACTION_NAMES[props.action] : props.failedTo;
  return (
    <div className="wg-notice wg-notice--danger" role="alert">
      <p className="wg-notice__title">
        {failedTo ? `Couldn't ${failedTo}: ` : ''}
        {title}
      </p>
      <p className="wg-notice__next">{next}</p>
      {props.onDismiss ? (
        <button type="button" className="wg-link-button" onClick={props.onDismiss}>
          Dismiss
        </button>
      ) : null}
    </div>
  );
}
