// The dialog that links a chatbot to WhatsApp: the QR code (or a pairing code), its countdown,
// the connection's status, the connected number, disconnect and reconnect, and what to do when
// something goes wrong. It renders the state of `useChatbotConnection`, which its opener owns.

import { useEffect, useId, useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { useWagate } from '../api/context';
import { describeConnection, visiblePairingCode, visibleQr, type ConnectionView } from '../connection';
import { formatPhoneNumber, formatTimestamp } from '../format';
import type { ChatbotConnection } from '../hooks/useChatbotConnection';
import { useNow } from '../hooks/useNow';
import { CodePlaceholder, PairingCode, PhoneNumberForm, QrCode } from './LinkCodes';
import { Modal } from './Modal';
import { ErrorNotice, StatusBadge } from './Notices';

export function WhatsAppWebConnectionModal(props: {
  open: boolean;
  onClose: () => void;
  connection: ChatbotConnection;
}) {
  const { open, onClose, connection } = props;
  const { client } = useWagate();
  const { t } = useTranslation();
  const now = useNow(1000, open);
  const statusId = useId();
  const [askingPhone, setAskingPhone] = useState(false);
  const [confirmingDisconnect, setConfirmingDisconnect] = useState(false);
  const { session, busy } = connection;
  const view = describeConnection({
    session,
    now,
    statusSince: connection.statusSince,
    disconnectRequested: connection.disconnectRequested,
    // Feedback at once: a request that (re)starts the session is on its way.
    starting: busy !== null && busy !== 'disconnect',
  });

  // A new phase resets the inline forms (e.g. connected while the phone form was open).
  useEffect(() => {
    if (view.phase !== 'qr' && view.phase !== 'starting' && view.phase !== 'expired') setAskingPhone(false);
    if (view.phase !== 'connected') setConfirmingDisconnect(false);
  }, [view.phase]);

  return (
    <Modal open={open} title={t('modal.title')} onClose={onClose} describedBy={statusId}>
      <div id={statusId} className={`wg-status wg-status--${view.tone}`} role="status" aria-live="polite">
        <StatusBadge tone={view.tone} label={view.label} />
        <p className="wg-status__detail">{view.detail}</p>
      </div>

      {connection.unauthorized ? (
        <ErrorNotice error={connection.unauthorized} apiUrl={client.apiUrl} />
      ) : (
        <>
          {connection.pollError ? <ErrorNotice error={connection.pollError} apiUrl={client.apiUrl} /> : null}
          {connection.actionError ? (
            <ErrorNotice
              error={connection.actionError.error}
              action={connection.actionError.action}
              apiUrl={client.apiUrl}
              onDismiss={connection.clearActionError}
            />
          ) : null}
        </>
      )}

      {askingPhone ? (
        <PhoneNumberForm
          busy={busy !== null}
          onCancel={() => setAskingPhone(false)}
          onSubmit={(digits) => {
            setAskingPhone(false);
            void connection.linkWithPhone(digits);
          }}
        />
      ) : (
        <PhaseBody
          view={view}
          connection={connection}
          now={now}
          confirmingDisconnect={confirmingDisconnect}
          setConfirmingDisconnect={setConfirmingDisconnect}
          onAskPhone={() => setAskingPhone(true)}
          onClose={onClose}
        />
      )}
    </Modal>
  );
}

function PhaseBody(props: {
  view: ConnectionView;
  connection: ChatbotConnection;
  now: number;
  confirmingDisconnect: boolean;
  setConfirmingDisconnect: (value: boolean) => void;
  onAskPhone: () => void;
  onClose: () => void;
}) {
  const { view, connection, now } = props;
  const { t } = useTranslation();
  const { session, busy } = connection;
  const disabled = busy !== null || connection.unauthorized !== null;
  const phoneLink = (
    <button type="button" className="wg-link-button" onClick={props.onAskPhone} disabled={disabled}>
      {t('modal.phoneInstead')}
    </button>
  );

  switch (view.phase) {
    case 'none':
    case 'not_connected':
    case 'logged_out':
      return (
        <div className="wg-actions">
          <button type="button" className="wg-button wg-button--primary" onClick={() => void connection.connect()} disabled={disabled}>
            {view.phase === 'none' ? t('modal.getQr') : t('modal.connectAgain')}
          </button>
          {phoneLink}
        </div>
      );
    case 'starting':
      return (
        <>
          <CodePlaceholder busy text={busy === 'link_with_phone' ? t('modal.gettingPairingCode') : t('modal.preparing')} />
          <div className="wg-actions">{phoneLink}</div>
        </>
      );
    case 'stalled':
      return (
        <>
          <CodePlaceholder text={t('modal.noCodeYet')} />
          <div className="wg-actions">
            <button type="button" className="wg-button wg-button--primary" onClick={() => void connection.reconnect()} disabled={disabled}>
              {t('modal.tryAgain')}
            </button>
          </div>
        </>
      );
    case 'qr':
      return (
        <>
          <QrCode qr={visibleQr(session, now) ?? ''} expiresAt={session?.qr_expires_at ?? null} now={now} />
          <LinkSteps />
          <div className="wg-actions">{phoneLink}</div>
        </>
      );
    case 'pairing':
      return (
        <>
          <PairingCode
            code={visiblePairingCode(session, now) ?? ''}
            phoneNumber={session?.phone_number ?? null}
            expiresAt={session?.qr_expires_at ?? null}
            now={now}
          />
          <div className="wg-actions">
            <button type="button" className="wg-link-button" onClick={() => void connection.useQrInstead()} disabled={disabled}>
              {t('modal.qrInstead')}
            </button>
          </div>
        </>
      );
    case 'expired':
      return (
        <>
          <CodePlaceholder text={t('modal.expired')} />
          <div className="wg-actions">
            <button type="button" className="wg-button wg-button--primary" onClick={() => void connection.newCode()} disabled={disabled}>
              {t('modal.newCode')}
            </button>
            {phoneLink}
          </div>
        </>
      );
    case 'linking':
    case 'disconnecting':
      return <CodePlaceholder busy text={view.phase === 'linking' ? t('modal.linking') : t('modal.disconnecting')} />;
    case 'connected':
      return (
        <>
          <ConnectedDetails connection={connection} />
          {props.confirmingDisconnect ? (
            <div className="wg-confirm" role="group" aria-label={t('modal.confirmDisconnect')}>
              <p>{t('modal.disconnectQuestion')}</p>
              <div className="wg-actions">
                <button
                  type="button"
                  className="wg-button wg-button--danger"
                  onClick={() => void connection.disconnect()}
                  disabled={disabled}
                >
                  {t('modal.yesDisconnect')}
                </button>
                <button type="button" className="wg-button" onClick={() => props.setConfirmingDisconnect(false)}>
                  {t('common.cancel')}
                </button>
              </div>
            </div>
          ) : (
            <div className="wg-actions">
              <button type="button" className="wg-button wg-button--primary" onClick={props.onClose}>
                {t('modal.done')}
              </button>
              <button type="button" className="wg-button wg-button--danger" onClick={() => props.setConfirmingDisconnect(true)} disabled={disabled}>
                {t('modal.disconnect')}
              </button>
            </div>
          )}
        </>
      );
    case 'reconnecting':
      return (
        <>
          <ConnectedDetails connection={connection} />
          <div className="wg-actions">
            <button type="button" className="wg-button wg-button--primary" onClick={() => void connection.reconnect()} disabled={disabled}>
              {t('modal.reconnect')}
            </button>
            <button type="button" className="wg-button wg-button--danger" onClick={() => void connection.disconnect()} disabled={disabled}>
              {t('modal.disconnect')}
            </button>
          </div>
        </>
      );
    case 'failed':
      return (
        <div className="wg-actions">
          <button type="button" className="wg-button wg-button--primary" onClick={() => void connection.reconnect()} disabled={disabled}>
            {t('modal.tryAgain')}
          </button>
          {phoneLink}
        </div>
      );
    default:
      return null;
  }
}

function LinkSteps() {
  const { t } = useTranslation();
  const strong = { strong: <strong /> };
  return (
    <ol className="wg-steps">
      <li>{t('modal.step1')}</li>
      <li>
        <Trans i18nKey="modal.step2" components={strong} />
      </li>
      <li>
        <Trans i18nKey="modal.step3" components={strong} />
      </li>
    </ol>
  );
}

export function ConnectedDetails(props: { connection: ChatbotConnection }) {
  const { t } = useTranslation();
  const session = props.connection.session;
  if (!session) return null;
  return (
    <dl className="wg-details">
      <div>
        <dt>{t('modal.number')}</dt>
        <dd className="wg-number">{formatPhoneNumber(session.phone_number) || t('modal.unknownNumber')}</dd>
      </div>
      {session.push_name ? (
        <div>
          <dt>{t('modal.pushName')}</dt>
          <dd>{session.push_name}</dd>
        </div>
      ) : null}
      {session.connected_at ? (
        <div>
          <dt>{t('modal.connectedSince')}</dt>
          <dd>
            <time dateTime={session.connected_at}>{formatTimestamp(session.connected_at)}</time>
          </dd>
        </div>
      ) : null}
    </dl>
  );
}
