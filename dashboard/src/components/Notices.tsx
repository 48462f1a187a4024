import { useTranslation } from 'react-i18next';
import { ApiError, NetworkError } from '../api/client';
import type { Tone } from '../connection';
import type { ConnectionAction } from '../hooks/useChatbotConnection';
import { t } from '../i18n';
import { codeText, knowsCode } from '../i18n/codes';

export function StatusBadge(props: { tone: Tone; label: string }) {
  return <span className={`wg-badge wg-badge--${props.tone}`}>{props.label}</span>;
}

/**
 * Codes whose English message names what exactly was refused (the endpoint guard's reason, the
 * field): shown as the API said it, under the code's words in the user's language.
 */
const DETAILED_CODES = new Set([
  'endpoint_not_allowed',
  'invalid_body',
  'missing_field',
  'unknown_field',
  'invalid_field',
  'invalid_parameter',
  'invalid_media',
]);

/** What went wrong and what to do next, for any error the client raises, in the user's language. */
export function explainError(error: Error, apiUrl: string): { title: string; next: string; detail?: string } {
  if (error instanceof NetworkError) {
    return {
      title: apiUrl ? t('errors.network', { apiUrl }) : t('errors.networkNoUrl'),
      next: t('errors.networkNext'),
    };
  }
  if (error instanceof ApiError) {
    if (error.isUnauthorized) return { title: t('errors.unauthorized'), next: t('errors.unauthorizedNext') };
    if (error.status === 429) return { title: t('errors.rateLimited'), next: t('errors.rateLimitedNext') };
    const reason = codeText('apiErrors', error.code, error.message);
    const detail =
      DETAILED_CODES.has(error.code) && knowsCode('apiErrors', error.code) && error.message
        ? t('errors.apiSays', { message: error.message })
        : undefined;
    if (error.status >= 500) {
      return { title: t('errors.server', { reason, code: error.code }), next: t('errors.serverNext'), detail };
    }
    return { title: t('errors.client', { reason, code: error.code }), next: t('errors.clientNext'), detail };
  }
  return { title: error.message || t('errors.other'), next: t('errors.otherNext') };
}

export function ErrorNotice(props: {
  error: Error;
  apiUrl: string;
  action?: ConnectionAction;
  /** What failed, in words ("Couldn't send a test event"), when it is not a connection action. */
  failedTo?: string;
  onDismiss?: () => void;
}) {
  const { t } = useTranslation();
  const { title, next, detail } = explainError(props.error, props.apiUrl);
  const failedTo = props.action ? t(`failedTo.${props.action}`) : props.failedTo;
  return (
    <div className="wg-notice wg-notice--danger" role="alert">
      <p className="wg-notice__title">{failedTo ? t('errors.withContext', { action: failedTo, title }) : title}</p>
      {detail ? <p className="wg-notice__detail">{detail}</p> : null}
      <p className="wg-notice__next">{next}</p>
      {props.onDismiss ? (
        <button type="button" className="wg-link-button" onClick={props.onDismiss}>
          {t('common.dismiss')}
        </button>
      ) : null}
    </div>
  );
}
