// A secret the API returns once (a chatbot's or a webhook endpoint's signing secret): shown in a
// read-only field that selects itself, with Copy, and what to do with it.

import { useId, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

export function SecretShownOnce(props: { label: string; secret: string; children?: ReactNode }) {
  const [copied, setCopied] = useState<string | null>(null); // which secret was copied
  const { t } = useTranslation();
  const id = useId();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.secret);
      setCopied(props.secret);
    } catch {
      setCopied(null); // no clipboard (an insecure page, a denied permission): select and copy by hand
    }
  };
  return (
    <div className="wg-notice wg-notice--success" role="status">
      <label className="wg-notice__title" htmlFor={id}>
        {props.label}
      </label>
      <input id={id} className="wg-secret" readOnly value={props.secret} onFocus={(e) => e.target.select()} />
      {props.children ? <p className="wg-notice__next">{props.children}</p> : null}
      <button type="button" className="wg-link-button" onClick={() => void copy()}>
        {copied === props.secret ? t('common.copied') : t('common.copy')}
      </button>
    </div>
  );
}
