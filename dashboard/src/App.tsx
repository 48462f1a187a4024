// The local demo: one signed-in user's chatbot settings and webhook endpoints, against the local
// stack's API, in the user's language.

import { Trans, useTranslation } from 'react-i18next';
import { WagateProvider } from './api/context';
import { ChatbotSettingsWhatsApp } from './components/ChatbotSettingsWhatsApp';
import { LanguageSelector } from './components/LanguageSelector';
import { Webhooks } from './components/Webhooks';
import type { WagateConfig } from './config';

export function App(props: { config: WagateConfig; fetch?: typeof fetch; pollIntervalMs?: number }) {
  const { config } = props;
  const { t } = useTranslation();
  return (
    <div className="wg-page">
      <header className="wg-topbar">
        <p className="wg-topbar__brand">wagate</p>
        <p className="wg-topbar__user">
          {config.userEmail ? (
            <Trans i18nKey="app.signedInAs" values={{ email: config.userEmail }} components={{ strong: <strong /> }} />
          ) : (
            t('app.notSignedIn')
          )}
        </p>
        <LanguageSelector />
      </header>
      <main className="wg-main">
        <h1 className="wg-main__title">{t('app.title')}</h1>
        {!config.accessToken ? (
          <div className="wg-notice wg-notice--warning" role="alert">
            <p className="wg-notice__title">{t('app.noToken')}</p>
            <p className="wg-notice__next">
              <Trans i18nKey="app.noTokenNext" components={{ code: <code /> }} />
            </p>
          </div>
        ) : !config.chatbotId ? (
          <div className="wg-notice wg-notice--warning" role="alert">
            <p className="wg-notice__title">{t('app.noChatbot')}</p>
          </div>
        ) : (
          <WagateProvider
            options={{ apiUrl: config.apiUrl, accessToken: config.accessToken, fetch: props.fetch }}
            pollIntervalMs={props.pollIntervalMs}
          >
            <p className="wg-muted">
              <Trans
                i18nKey="app.chatbotAndApi"
                values={{ chatbotId: config.chatbotId, apiUrl: config.apiUrl || window.location.origin }}
                components={{ code: <code /> }}
              />
            </p>
            <ChatbotSettingsWhatsApp chatbotId={config.chatbotId} />
            <Webhooks />
          </WagateProvider>
        )}
      </main>
    </div>
  );
}
