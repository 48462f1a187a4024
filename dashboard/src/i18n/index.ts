// The dashboard's translations: one i18next instance, its catalogues bundled (they are small), the
// language detected from what the user chose before (localStorage) or the browser's languages,
// English as the fallback. The page's <html lang dir> and title follow the language.
//
// Keys that are missing, or answered by the English fallback instead of the current language, are
// recorded in `window.__wagateMissingKeys` so a test in a real browser can assert there are none.

import i18next, { type PostProcessorModule, type TFunction } from 'i18next';
import LanguageDetector from 'i18next-browser-languagedetector';
import { initReactI18next } from 'react-i18next';
import ar from './locales/ar.json';
import de from './locales/de.json';
import en from './locales/en.json';
import es from './locales/es.json';
import fr from './locales/fr.json';
import hi from './locales/hi.json';
import id from './locales/id.json';
import ptBR from './locales/pt-BR.json';
import { DEFAULT_LANGUAGE, LANGUAGE_CODES, languageDirection, matchLanguage, type LanguageCode } from './languages';

export { LANGUAGES, matchLanguage, type LanguageCode } from './languages';

/** Where the user's own choice (the language selector) is kept. */
export const LANGUAGE_STORAGE_KEY = 'wagate.language';

export const CATALOGUES = { en, es, 'pt-BR': ptBR, de, fr, hi, id, ar } as const satisfies Record<LanguageCode, object>;

declare global {
  interface Window {
    /** "lng:key" for every key shown missing or from the English fallback (see recordMissing). */
    __wagateMissingKeys?: string[];
  }
}

function recordMissing(entry: string): void {
  if (typeof window === 'undefined') return;
  const list = (window.__wagateMissingKeys ??= []);
  if (!list.includes(entry)) list.push(entry);
}

/** Notes a key the current language's catalogue did not answer (the fallback did). */
const fallbackRecorder: PostProcessorModule = {
  type: 'postProcessor',
  name: 'recordFallback',
  process(value, key, options, translator) {
    const resolved = (options as { i18nResolved?: { usedLng?: string; exactUsedKey?: string } }).i18nResolved;
    const language = (translator as { language?: string }).language;
    if (resolved?.usedLng && language && language !== 'cimode' && resolved.usedLng !== language) {
      recordMissing(`${language}:${resolved.exactUsedKey ?? String(key)}`);
    }
    return value;
  },
};

export const i18n = i18next.createInstance();

i18n
  .use(LanguageDetector)
  .use(initReactI18next)
  .use(fallbackRecorder)
  .init({
    resources: Object.fromEntries(Object.entries(CATALOGUES).map(([code, catalogue]) => [code, { translation: catalogue }])),
    supportedLngs: [...LANGUAGE_CODES],
    fallbackLng: DEFAULT_LANGUAGE,
    load: 'currentOnly',
    initAsync: false,
    returnNull: false,
    interpolation: { escapeValue: false }, // React escapes
    detection: {
      order: ['localStorage', 'navigator'],
      lookupLocalStorage: LANGUAGE_STORAGE_KEY,
      // Only the selector stores a choice: a detected language follows the browser's settings.
      caches: [],
      convertDetectedLanguage: (tag: string) => matchLanguage(tag) ?? tag,
    },
    saveMissing: true,
    missingKeyHandler: (_languages, _namespace, key) => recordMissing(`${i18n.language}:${key}`),
    postProcess: ['recordFallback'],
    postProcessPassResolved: true,
    react: { useSuspense: false },
  });

/** The language in use, one of LANGUAGE_CODES. */
export function currentLanguage(): LanguageCode {
  return matchLanguage(i18n.resolvedLanguage ?? i18n.language) ?? DEFAULT_LANGUAGE;
}

/** The locale for Intl (dates, numbers): the current language. */
export function currentLocale(): string {
  return currentLanguage();
}

/** Translate with the current language (for the pure modules; components use useTranslation). */
export const t: TFunction = ((...args: Parameters<TFunction>) => i18n.t(...args)) as TFunction;

/** The user picked a language: use it and remember it on this browser. */
export async function chooseLanguage(code: LanguageCode): Promise<void> {
  try {
    window.localStorage.setItem(LANGUAGE_STORAGE_KEY, code);
  } catch {
    // No storage (a private window, a denied permission): the choice lasts this page only.
  }
  await i18n.changeLanguage(code);
}

/** <html lang dir> and the title follow the language. */
function applyToDocument(): void {
  if (typeof document === 'undefined') return;
  const code = currentLanguage();
  document.documentElement.lang = code;
  document.documentElement.dir = languageDirection(code);
  document.title = i18n.t('app.documentTitle');
}

i18n.on('languageChanged', applyToDocument);
applyToDocument();
