// What an app embeds: the provider with the signed-in user's token, the settings section (or
// the modal with its own opener), the Webhooks section, and the typed client.

export { ApiError, NetworkError, WagateClient, type ClientOptions } from './api/client';
export { WagateProvider, useWagate } from './api/context';
export { ENDPOINTS } from './api/endpoints';
export type * from './api/types';
export { ChatbotSettingsWhatsApp } from './components/ChatbotSettingsWhatsApp';
export { MessageHistory } from './components/MessageHistory';
export { Webhooks } from './components/Webhooks';
export { WhatsAppWebConnectionModal } from './components/WhatsAppWebConnectionModal';
export { describeConnection, type ConnectionView, type Phase } from './connection';
export { useChatbotConnection, type ChatbotConnection } from './hooks/useChatbotConnection';
export { useWebhookEndpoints, type WebhookEndpoints } from './hooks/useWebhookEndpoints';
export { chooseLanguage, i18n, LANGUAGES, type LanguageCode } from './i18n';
export { LanguageSelector } from './components/LanguageSelector';
