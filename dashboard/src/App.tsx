// The local demo: one signed-in user's chatbot settings and webhook endpoints, against the local
// stack's API, in the user's language; and for an operator (an admin), the fleet page.

import type { ReactNode } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { WagateProvider } from './api/context';
import { ChatbotSettingsWhatsApp } from './components/ChatbotSettingsWhatsApp';
import { FleetPage } from './components/FleetPage';
import { LanguageSelector } from './components/LanguageSelector';
import { Webhooks } from './components/Webhooks';
import type { WagateConfig } from './config';
import { useFleet } from './hooks/useFleet';
import { useHashPage } from './hooks/useHashPage';

export const FLEET_PAGE = 'fleet';

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

/** The pages, once there is a token: the settings, and the fleet for an operator only. */
function Pages(props: { config: WagateConfig; fleetPollIntervalMs?: number }) {
  const { config } = props;
  const { t } = useTranslation();
  const wantsFleet = useHashPage() === FLEET_PAGE;
  const fleet = useFleet(wantsFleet, props.fleetPollIntervalMs);
  const operator = fleet.access === 'operator';
  const onFleet = wantsFleet && operator;
  const nav = operator ? (
    <nav className="wg-tabs" aria-label={t('nav.label')}>
      <a href="#" aria-current={onFleet ? undefined : 'page'}>
        {t('app.title')}
      </a>
      <a href={`#${FLEET_PAGE}`} aria-current={onFleet ? 'page' : undefined}>
        {t('fleet.title')}
      </a>
    </nav>
  ) : null;
  return (
    <div className="wg-page">
      <TopBar userEmail={config.userEmail} nav={nav} />
      <main className={onFleet ? 'wg-main wg-main--wide' : 'wg-main'}>
        {onFleet ? (
          <FleetPage state={fleet} />
        ) : (
          <>
            <h1 className="wg-main__title">{t('app.title')}</h1>
            {!config.chatbotId ? (
              <div className="wg-notice wg-notice--warning" role="alert">
                <p className="wg-notice__title">{t('app.noChatbot')}</p>
              </div>
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
