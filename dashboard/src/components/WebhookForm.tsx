// Add a webhook endpoint: its URL, the events it gets (a checkbox each) and a note for the user.
// The answer holds the endpoint's signing secret, shown here once; the API's refusals (the
// endpoint guard's reason, the limit of endpoints) are shown next to the form.

import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { useWagate } from '../api/context';
import { WEBHOOK_EVENT_TYPES, type CreateWebhookBody, type WebhookEventType, type WebhookWithSecret } from '../api/types';
import { checkWebhookForm, describeEventType, MAX_DESCRIPTION_LENGTH, type WebhookFormProblems } from '../webhooks';
import { ErrorNotice } from './Notices';
import { SecretShownOnce } from './SecretShownOnce';

export function WebhookForm(props: { create: (body: CreateWebhookBody) => Promise<WebhookWithSecret>; disabled?: boolean }) {
  const { client } = useWagate();
  const { t } = useTranslation();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEventType[]>([]);
  const [description, setDescription] = useState('');
  const [problems, setProblems] = useState<WebhookFormProblems>({});
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<WebhookWithSecret | null>(null);
  const headingId = useId();
  const urlId = useId();
  const urlHintId = useId();
  const urlProblemId = useId();
  const eventsProblemId = useId();
  const descriptionId = useId();
  const descriptionProblemId = useId();
  const errorId = useId();

  const toggle = (type: WebhookEventType, on: boolean) =>
    setEvents((current) => (on ? [...current.filter((t) => t !== type), type] : current.filter((t) => t !== type)));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const checked = checkWebhookForm({ url, events, description });
    if ('problems' in checked) {
      setProblems(checked.problems);
      return;
    }
    setProblems({});
    setBusy(true);
    try {
      setCreated(await props.create(checked.body));
      setUrl('');
      setEvents([]);
      setDescription('');
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setBusy(false);
    }
  };

  // The endpoint guard refused the address: mark the field as the one to fix, described by why.
  const urlRefused = error instanceof ApiError && error.code === 'endpoint_not_allowed';
  const urlDescribedBy = [urlHintId, problems.url ? urlProblemId : '', urlRefused ? errorId : ''].filter(Boolean).join(' ');

  return (
    <section className="wg-subsection" aria-labelledby={headingId}>
      <h3 id={headingId} className="wg-subsection__title">
        {t('form.title')}
      </h3>
      {created ? (
        <SecretShownOnce label={t('form.secretLabel')} secret={created.secret}>
          {t('form.added', { url: created.url })}
        </SecretShownOnce>
      ) : null}
      <form className="wg-form" onSubmit={(e) => void submit(e)} noValidate>
        <label htmlFor={urlId}>{t('form.url')}</label>
        <p id={urlHintId} className="wg-hint">
          {t('form.urlHint')}
        </p>
        <input
          id={urlId}
          type="url"
          inputMode="url"
          autoComplete="off"
          spellCheck={false}
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          aria-invalid={problems.url || urlRefused ? true : undefined}
          aria-describedby={urlDescribedBy}
        />
        {problems.url ? (
          <p id={urlProblemId} className="wg-field-error">
            {problems.url}
          </p>
        ) : null}

        <fieldset className="wg-events" aria-describedby={problems.events ? eventsProblemId : undefined}>
          <legend>{t('form.events')}</legend>
          {WEBHOOK_EVENT_TYPES.map((type) => (
            <EventCheckbox key={type} type={type} checked={events.includes(type)} onChange={(on) => toggle(type, on)} />
          ))}
        </fieldset>
        {problems.events ? (
          <p id={eventsProblemId} className="wg-field-error">
            {problems.events}
          </p>
        ) : null}

        <label htmlFor={descriptionId}>{t('form.description')}</label>
        <input
          id={descriptionId}
          type="text"
          maxLength={MAX_DESCRIPTION_LENGTH}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          aria-invalid={problems.description ? true : undefined}
          aria-describedby={problems.description ? descriptionProblemId : undefined}
        />
        {problems.description ? (
          <p id={descriptionProblemId} className="wg-field-error">
            {problems.description}
          </p>
        ) : null}

        {error ? (
          <div id={errorId}>
            <ErrorNotice error={error} apiUrl={client.apiUrl} failedTo={t('failedTo.addEndpoint')} onDismiss={() => setError(null)} />
          </div>
        ) : null}
        <div className="wg-actions">
          <button type="submit" className="wg-button wg-button--primary" disabled={busy || props.disabled}>
            {busy ? t('form.adding') : t('form.add')}
          </button>
        </div>
      </form>
    </section>
  );
}

function EventCheckbox(props: { type: WebhookEventType; checked: boolean; onChange: (on: boolean) => void }) {
  const id = useId();
  const hintId = useId();
  return (
    <div className="wg-check">
      <input
        id={id}
        type="checkbox"
        checked={props.checked}
        onChange={(e) => props.onChange(e.target.checked)}
        aria-describedby={hintId}
      />
      <label htmlFor={id}>
        <code>{props.type}</code>
      </label>
      <span id={hintId} className="wg-hint">
        {describeEventType(props.type)}
      </span>
    </div>
  );
}
