// The local demo: one signed-in user's chatbot settings and webhook endpoints, against the local
// stack's API.

import { WagateProvider } from './api/context';
import { ChatbotSettingsWhatsApp } from './components/ChatbotSettingsWhatsApp';
import { Webhooks } from './components/Webhooks';
import type { WagateConfig } from './config';

export function App(props: { config: WagateConfig; fetch?: typeof fetch; pollIntervalMs?: number }) {
  const { config } = props;
  return (
    <div className="wg-page">
      <header className="wg-topbar">
        <p className="wg-topbar__brand">wagate</p>
        <p className="wg-topbar__user">
          {config.userEmail ? (
            <>
              Signed in as <strong>{config.userEmail}</strong>
            </>
          ) : (
            'Not signed in'
          )}
        </p>
      </header>
      <main className="wg-main">
        <h1 className="wg-main__title">Chatbot settings</h1>
        {!config.accessToken ? (
          <div className="wg-notice wg-notice--warning" role="alert">
            <p className="wg-notice__title">No token: run make up.</p>
            <p className="wg-notice__next">
              This page needs a signed-in user. The local stack (<code>make up</code>, or <code>make dev</code>) serves it on
              port 8080 with a <code>/config.js</code> that holds a local test user's token.
            </p>
          </div>
        ) : !config.chatbotId ? (
          <div className="wg-notice wg-notice--warning" role="alert">
            <p className="wg-notice__title">No chatbot: /config.js sets no chatbotId.</p>
          </div>
        ) : (
          <WagateProvider
            options={{ apiUrl: config.apiUrl, accessToken: config.accessToken, fetch: props.fetch }}
            pollIntervalMs={props.pollIntervalMs}
          >
            <p className="wg-muted">
              Chatbot <code>{config.chatbotId}</code> · API <code>{config.apiUrl || window.location.origin}</code>
            </p>
            <ChatbotSettingsWhatsApp chatbotId={config.chatbotId} />
            <Webhooks />
          </WagateProvider>
        )}
      </main>
    </div>
  );
}
