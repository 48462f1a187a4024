// The three ways a code is shown while linking: a QR code, a pairing code, and the place a code
// will appear (starting, expired). All share one box size so the dialog does not jump.

import { useId, useState, type FormEvent } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { formatCountdown, formatPairingCode, normalizePhoneNumber, secondsUntil } from '../format';

/** "Code expires in 0:42"; the timer is not a live region, so it is not read out every second. */
export function Countdown(props: { expiresAt: string | null; now: number }) {
  const { t } = useTranslation();
  const left = secondsUntil(props.expiresAt, props.now);
  if (left === null) return null;
  return (
    <p className={`wg-countdown${left <= 10 ? ' wg-countdown--soon' : ''}`}>
      <Trans
        i18nKey="codes.expiresIn"
        values={{ countdown: formatCountdown(left) }}
        components={{ timer: <span role="timer" aria-live="off" /> }}
      />{' '}
      {left <= 10 ? t('codes.newOneSoon') : t('codes.refreshes')}
    </p>
  );
}

export function QrCode(props: { qr: string; expiresAt: string | null; now: number }) {
  const { t } = useTranslation();
  return (
    <div className="wg-code">
      <img
        className="wg-qr"
        src={`data:image/png;base64,${props.qr}`}
        alt={t('codes.qrAlt')}
        width={264}
        height={264}
      />
      <Countdown expiresAt={props.expiresAt} now={props.now} />
    </div>
  );
}

export function PairingCode(props: { code: string; phoneNumber: string | null; expiresAt: string | null; now: number }) {
  const { t } = useTranslation();
  const formatted = formatPairingCode(props.code);
  return (
    <div className="wg-code">
      <p className="wg-pairing">
        <span className="wg-pairing__label">{t('codes.pairingCode')}</span>
        {/* Spelled out for screen readers, character by character. */}
        <span className="wg-pairing__code" aria-label={t('codes.pairingCodeSpelled', { spelled: formatted.split('').join(' ') })}>
          {formatted}
        </span>
      </p>
      <Countdown expiresAt={props.expiresAt} now={props.now} />
    </div>
  );
}

export function CodePlaceholder(props: { text: string; busy?: boolean }) {
  return (
    <div className="wg-code">
      <div className={`wg-code__placeholder${props.busy ? ' wg-code__placeholder--busy' : ''}`}>
        {props.busy ? <span className="wg-spinner" aria-hidden="true" /> : null}
        <span>{props.text}</span>
      </div>
    </div>
  );
}

/** Asks for the phone's number to link with a pairing code instead of a QR code. */
export function PhoneNumberForm(props: {
  busy: boolean;
  onSubmit: (digits: string) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const inputId = useId();
  const hintId = useId();
  const errorId = useId();
  const [value, setValue] = useState('');
  const [invalid, setInvalid] = useState(false);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const digits = normalizePhoneNumber(value);
    setInvalid(digits === null);
    if (digits) props.onSubmit(digits);
  };

  return (
    <form className="wg-form" onSubmit={submit} noValidate>
      <label htmlFor={inputId}>{t('phone.label')}</label>
      <input
        id={inputId}
        type="tel"
        inputMode="tel"
        autoComplete="tel"
        placeholder={t('phone.placeholder')}
        value={value}
        onChange={(event) => setValue(event.target.value)}
        aria-invalid={invalid}
        aria-describedby={invalid ? `${errorId} ${hintId}` : hintId}
        autoFocus
      />
      <p id={hintId} className="wg-hint">
        {t('phone.hint')}
      </p>
      {invalid ? (
        <p id={errorId} className="wg-field-error" role="alert">
          {t('phone.invalid')}
        </p>
      ) : null}
      <div className="wg-actions">
        <button type="submit" className="wg-button wg-button--primary" disabled={props.busy}>
          {t('phone.submit')}
        </button>
        <button type="button" className="wg-button" onClick={props.onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
