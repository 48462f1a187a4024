// Sessions stuck in one state too long (any user's: ids only, never a number or a message), and
// the operator's two remedies: restart (as its owner would) or release (another runner takes it).

import { useId, useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { useWagate } from '../api/context';
import type { AdminActionKind, AdminSession } from '../api/types';
import { formatAgo, formatSessionStatus, formatTimestamp } from '../format';
import type { FleetState } from '../hooks/useFleet';
import { ErrorNotice } from './Notices';

type Outcome = { kind: AdminActionKind; id: string; error?: Error; status?: string };

export function FleetStuckSessions(props: { sessions: AdminSession[]; act: FleetState['act']; now: number }) {
  const { client } = useWagate();
  const { t } = useTranslation();
  const headingId = useId();
  const [busy, setBusy] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const run = async (kind: AdminActionKind, id: string) => {
    setBusy(id);
    setOutcome(null);
    try {
      const done = await props.act(kind, id);
      setOutcome({ kind, id, status: done.session.status });
    } catch (caught) {
      setOutcome({ kind, id, error: caught instanceof Error ? caught : new Error(String(caught)) });
    } finally {
      setBusy(null);
    }
  };

  const done =
    outcome && !outcome.error
      ? t(outcome.kind === 'restart' ? 'fleet.stuck.restarted' : 'fleet.stuck.released', {
          id: outcome.id,
          status: formatSessionStatus(outcome.status ?? ''),
        })
      : '';

  return (
    <section className="wg-card" aria-labelledby={headingId}>
      <h2 id={headingId} className="wg-card__title">
        {t('fleet.stuck.title')}
      </h2>
      <p className={done ? 'wg-notice wg-notice--success' : 'wg-visually-hidden'} role="status" aria-live="polite">
        {done}
      </p>
      {outcome?.error ? (
        <ErrorNotice
          error={outcome.error}
          apiUrl={client.apiUrl}
          failedTo={t(outcome.kind === 'restart' ? 'fleet.stuck.restartFailed' : 'fleet.stuck.releaseFailed', { id: outcome.id })}
          onDismiss={() => setOutcome(null)}
        />
      ) : null}
      {props.sessions.length === 0 ? (
        <p className="wg-muted">{t('fleet.stuck.empty')}</p>
      ) : (
        <div className="wg-table-scroll" role="region" aria-labelledby={headingId} tabIndex={0}>
          <table className="wg-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">{t('fleet.stuck.session')}</th>
                <th scope="col">{t('fleet.stuck.status')}</th>
                <th scope="col">{t('fleet.stuck.reason')}</th>
                <th scope="col">{t('fleet.stuck.runner')}</th>
                <th scope="col">{t('fleet.stuck.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {props.sessions.map((session) => {
                const since = session.status_since ? Date.parse(session.status_since) : NaN;
                return (
                  <tr key={session.id}>
                    <th scope="row">
                      <code>{session.id}</code>
                      <span className="wg-table__detail">
                        <Trans
                          i18nKey="fleet.stuck.ownerAndChatbot"
                          values={{ userId: session.user_id, chatbotId: session.chatbot_id }}
                          components={{ code: <code /> }}
                        />
                      </span>
                    </th>
                    <td>
                      {formatSessionStatus(session.status)}
                      {Number.isNaN(since) ? null : (
                        <span className="wg-table__detail">
                          <time dateTime={session.status_since ?? undefined} title={formatTimestamp(session.status_since!)}>
                            {t('fleet.stuck.since', { ago: formatAgo((props.now - since) / 1000) })}
                          </time>
                        </span>
                      )}
                    </td>
                    <td>
                      {session.reason ? t(`fleet.reason.${session.reason}`, { defaultValue: session.reason }) : null}
                      {session.last_error_code ? (
                        <span className="wg-table__detail">
                          <Trans
                            i18nKey="fleet.stuck.lastError"
                            values={{ code: session.last_error_code }}
                            components={{ code: <code /> }}
                          />
                        </span>
                      ) : null}
                    </td>
                    <td>{session.runner_id ? <code>{session.runner_id}</code> : t('fleet.stuck.noRunner')}</td>
                    <td>
                      <div className="wg-table__actions">
                        <button
                          type="button"
                          className="wg-button"
                          disabled={busy !== null}
                          aria-label={t('fleet.stuck.restartLabel', { id: session.id })}
                          onClick={() => void run('restart', session.id)}
                        >
                          {t('fleet.stuck.restart')}
                        </button>
                        <button
                          type="button"
                          className="wg-button"
                          disabled={busy !== null}
                          aria-label={t('fleet.stuck.releaseLabel', { id: session.id })}
                          onClick={() => void run('release', session.id)}
                        >
                          {t('fleet.stuck.release')}
                        </button>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
