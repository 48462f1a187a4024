// The page's language: a native <select> (keyboard and screen readers know it), each language by
// its own name; the choice is remembered on this browser.

import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { chooseLanguage, currentLanguage, LANGUAGES, type LanguageCode } from '../i18n';

export function LanguageSelector() {
  const { t } = useTranslation();
  const id = useId();
  return (
    <div className="wg-language">
      <label htmlFor={id}>{t('app.language')}</label>
      <select id={id} value={currentLanguage()} onChange={(event) => void chooseLanguage(event.target.value as LanguageCode)}>
        {LANGUAGES.map((language) => (
          <option key={language.code} value={language.code} lang={language.code} dir={language.dir}>
            {language.name}
          </option>
        ))}
      </select>
    </div>
  );
}
