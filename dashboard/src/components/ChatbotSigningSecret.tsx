// The chatbot's signing secret: wagate signs every call it makes to the chatbot's own endpoint
// (Standard Webhooks), with a secret it makes and shows its owner once. Here the owner sees when
// the current one was made, until when a rotated-out one still verifies, and makes a new one
// (shown once, to copy into the chatbot's configuration).

import { useEffect, useId, useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { isAbortError } from '../api/client';
import { useWagate } from '../api/context';
import type { Chatbot, RotatedSecret } from '../api/types';
import { formatTimestamp } from '../format';
import { ErrorNotice } from './Notices';
import { SecretShownOnce } from './SecretShownOnce';

export function ChatbotSigningSecret(props: { chatbotId: string; refreshKey?: string | null }) {
  const { client } = useWagate();
  const { t } = useTranslation();
  const [chatbot, setChatbot] = useState<Chatbot | null | undefined>(undefined); // undefined: loading
  const [made, setMade] = useState<RotatedSecret | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const headingId = useId();

  useEffect(() => {
    const controller = new AbortController();
    client
      .listChatbots({ signal: controller.signal })
      .then((list) => setChatbot(list.find((c) => c.chatbot_id === props.chatbotId) ?? null))
      .catch((cause: unknown) => {
        if (!isAbortError(cause)) setError(cause instanceof Error ? cause : new Error(String(cause)));
      });
    return () => controller.abort();
  }, [client, props.chatbotId, props.refreshKey]);

  // A chatbot nobody has linked yet is nobody's: it has no secret to show or make.
  if (!chatbot) return null;

  const rotate = async () => {
    setBusy(true);
    setError(null);
    try {
      const rotated = await client.rotateChatbotSecret(props.chatbotId);
      setMade(rotated);
      setChatbot({
        ...chatbot,
        signing_secret_created_at: rotated.rotated_at,
        previous_secret_valid_until: rotated.previous_valid_until,
      });
    } catch (cause) {
      setError(cause instanceof Error ? cause : new Error(String(cause)));
    } finally {
      setBusy(false);
    }
  };
  const has = chatbot.signing_secret_created_at !== null;

  return (
    <section className="wg-subsection" aria-labelledby={headingId}>
      <h3 id={headingId} className="wg-subsection__title">
        {t('signing.title')}
      </h3>
      <p className="wg-muted">
        <Trans i18nKey="signing.intro" components={{ code: <code /> }} />
      </p>
      <p>
        {has ? t('signing.made', { time: formatTimestamp(chatbot.signing_secret_created_at!) }) : t('signing.none')}
        {chatbot.previous_secret_valid_until
          ? ` ${t('signing.previousUntil', { time: formatTimestamp(chatbot.previous_secret_valid_until) })}`
          : ''}
      </p>
      {made ? (
        <SecretShownOnce label={t('signing.newSecret')} secret={made.signing_secret}>
          {t('signing.storeIt')}
          {made.previous_valid_until ? ` ${t('signing.bothUntil', { time: formatTimestamp(made.previous_valid_until) })}` : ''}
        </SecretShownOnce>
      ) : null}
      {error ? <ErrorNotice error={error} apiUrl={client.apiUrl} onDismiss={() => setError(null)} /> : null}
      <div className="wg-actions">
        <button type="button" className="wg-button" onClick={() => void rotate()} disabled={busy}>
          {busy ? t('signing.making') : has ? t('signing.rotate') : t('signing.make')}
        </button>
      </div>
    </section>
  );
}
