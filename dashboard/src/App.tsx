// The local demo: one signed-in user's chatbot settings and webhook endpoints, against the local
// stack's API, in the user's language; the Insights page of their chatbot's figures; and for an
// operator (an admin), the fleet page.

import type { ReactNode } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { WagateProvider } from './api/context';
import { ChatbotSettingsWhatsApp } from './components/ChatbotSettingsWhatsApp';
import { FleetPage } from './components/FleetPage';
import { InsightsPage } from './components/InsightsPage';
import { LanguageSelector } from './components/LanguageSelector';
import { Webhooks } from './components/Webhooks';
import type { WagateConfig } from './config';
import { useFleet } from './hooks/useFleet';
import { useHashPage } from './hooks/useHashPage';

export const FLEET_PAGE = 'fleet';
export const INSIGHTS_PAGE = 'insights';

function TopBar(props: { userEmail?: string; nav?: ReactNode }) {
  const { t } = useTranslation();
  return (
    <header className="wg-topbar">
      <p className="wg-topbar__brand">wagate</p>
      {props.nav}
      <p className="wg-topbar__user">
        {props.userEmail ? (
          <Trans i18nKey="app.signedInAs" values={{ email: props.userEmail }} components={{ strong: <strong /> }} />
        ) : (
          t('app.notSignedIn')
        )}
      </p>
      <LanguageSelector />
    </header>
  );
}

/** The pages, once there is a token: the settings, the insights, and the fleet for an operator only. */
function Pages(props: { config: WagateConfig; fleetPollIntervalMs?: number }) {
  const { config } = props;
  const { t } = useTranslation();
  const page = useHashPage();
  const wantsFleet = page === FLEET_PAGE;
  const fleet = useFleet(wantsFleet, props.fleetPollIntervalMs);
  const operator = fleet.access === 'operator';
  const onFleet = wantsFleet && operator;
  const onInsights = page === INSIGHTS_PAGE;
  const onSettings = !onFleet && !onInsights;
  const nav = (
    <nav className="wg-tabs" aria-label={t('nav.label')}>
      <a href="#" aria-current={onSettings ? 'page' : undefined}>
        {t('app.title')}
      </a>
      <a href={`#${INSIGHTS_PAGE}`} aria-current={onInsights ? 'page' : undefined}>
        {t('insights.title')}
      </a>
      {operator ? (
        <a href={`#${FLEET_PAGE}`} aria-current={onFleet ? 'page' : undefined}>
          {t('fleet.title')}
        </a>
      ) : null}
    </nav>
  );
  const noChatbot = (
    <div className="wg-notice wg-notice--warning" role="alert">
      <p className="wg-notice__title">{t('app.noChatbot')}</p>
    </div>
  );
  return (
    <div className="wg-page">
      <TopBar userEmail={config.userEmail} nav={nav} />
      <main className={onSettings ? 'wg-main' : 'wg-main wg-main--wide'}>
        {onFleet ? (
          <FleetPage state={fleet} />
        ) : onInsights ? (
          config.chatbotId ? (
            <InsightsPage chatbotId={config.chatbotId} />
          ) : (
            <>
              <h1 className="wg-main__title">{t('insights.title')}</h1>
              {noChatbot}
            </>
          )
        ) : (
          <>
            <h1 className="wg-main__title">{t('app.title')}</h1>
            {!config.chatbotId ? (
              noChatbot
            ) : (
              <>
                <p className="wg-muted">
                  <Trans
                    i18nKey="app.chatbotAndApi"
                    values={{ chatbotId: config.chatbotId, apiUrl: config.apiUrl || window.location.origin }}
                    components={{ code: <code /> }}
                  />
                </p>
                <ChatbotSettingsWhatsApp chatbotId={config.chatbotId} />
                <Webhooks />
              </>
            )}
          </>
        )}
      </main>
    </div>
  );
}

export function App(props: { config: WagateConfig; fetch?: typeof fetch; pollIntervalMs?: number; fleetPollIntervalMs?: number }) {
  const { config } = props;
  const { t } = useTranslation();
  if (!config.accessToken) {
    return (
      <div className="wg-page">
        <TopBar userEmail={config.userEmail} />
        <main className="wg-main">
          <h1 className="wg-main__title">{t('app.title')}</h1>
          <div className="wg-notice wg-notice--warning" role="alert">
            <p className="wg-notice__title">{t('app.noToken')}</p>
            <p className="wg-notice__next">
              <Trans i18nKey="app.noTokenNext" components={{ code: <code /> }} />
            </p>
          </div>
        </main>
      </div>
    );
  }
  return (
    <WagateProvider
      options={{ apiUrl: config.apiUrl, accessToken: config.accessToken, fetch: props.fetch }}
      pollIntervalMs={props.pollIntervalMs}
    >
      <Pages config={config} fleetPollIntervalMs={props.fleetPollIntervalMs} />
    </WagateProvider>
  );
}
