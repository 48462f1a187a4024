// CSV downloads of the period's figures and messages. The API wants the bearer token, which a plain
// link cannot carry: the client fetches the file and the browser is handed it as a download.

import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useWagate } from '../api/context';
import type { AnalyticsQuery } from '../api/types';
import { ErrorNotice } from './Notices';

type Export = 'figures' | 'messages';

/** Hands a fetched file to the browser as a download. */
export function offerDownload(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has started reading the file by the time the click returns; a moment later, free it.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function InsightsDownloads(props: { query: AnalyticsQuery | null }) {
  const { client } = useWagate();
  const { t } = useTranslation();
  const [busy, setBusy] = useState<Export | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const { query } = props;

  const download = async (kind: Export) => {
    if (!query) return;
    setBusy(kind);
    setError(null);
    try {
      const blob = kind === 'figures' ? await client.analyticsCsv(query) : await client.messagesCsv(query);
      const to = query.to;
      offerDownload(blob, `wagate-${kind}-${query.from}-${to}.csv`);
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="wg-insights-downloads">
      <button type="button" className="wg-button" disabled={!query || busy !== null} onClick={() => void download('figures')}>
        {busy === 'figures' ? t('insights.download.preparing') : t('insights.download.figures')}
      </button>
      <button type="button" className="wg-button" disabled={!query || busy !== null} onClick={() => void download('messages')}>
        {busy === 'messages' ? t('insights.download.preparing') : t('insights.download.messages')}
      </button>
      {error ? <ErrorNotice error={error} apiUrl={client.apiUrl} /> : null}
    </div>
  );
}
