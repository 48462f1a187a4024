// The operator's page: the runner fleet, the queues, every user's sessions by status, the stuck
// ones with their remedies, and the last day's failures. Shown only to an admin (the API answers
// the fleet to no one else), refreshed every few seconds while it is on screen.

import { useTranslation } from 'react-i18next';
import { useWagate } from '../api/context';
import { formatSpan, formatTimestamp } from '../format';
import type { FleetState } from '../hooks/useFleet';
import { useNow } from '../hooks/useNow';
import { FleetFailures } from './FleetFailures';
import { FleetOverview } from './FleetOverview';
import { FleetRunners } from './FleetRunners';
import { FleetStuckSessions } from './FleetStuckSessions';
import { ErrorNotice } from './Notices';

export function FleetPage(props: { state: FleetState }) {
  const { client } = useWagate();
  const { t } = useTranslation();
  const { fleet, error, act } = props.state;
  const now = useNow(5000);
  return (
    <>
      <h1 className="wg-main__title">{t('fleet.title')}</h1>
      <p className="wg-muted">{t('fleet.intro')}</p>
      {error ? <ErrorNotice error={error} apiUrl={client.apiUrl} /> : null}
      {!fleet ? (
        <p className="wg-muted">{t('fleet.loading')}</p>
      ) : (
        <>
          <p className="wg-muted">
            {t('fleet.asOf', { time: formatTimestamp(fleet.generated_at, now) })}{' '}
            {t('fleet.rules', {
              window: formatSpan(fleet.heartbeat_window_s),
              stuckAfter: formatSpan(fleet.stuck_after_s ?? 300),
            })}
          </p>
          <FleetRunners runners={fleet.runners} />
          <FleetOverview fleet={fleet} />
          <FleetStuckSessions sessions={fleet.stuck_sessions} act={act} now={now} />
          <FleetFailures hours={fleet.failures?.by_hour ?? []} />
        </>
      )}
    </>
  );
}
