// The dashboard's languages: each one's code (BCP 47, as the catalogue is named), its own name
// (shown in the language selector as its speakers write it, never translated) and its direction.

export interface Language {
  code: string;
  /** The language's name in that language (an endonym). */
  name: string;
  dir: 'ltr' | 'rtl';
}

export const LANGUAGES = [
  { code: 'en', name: 'English', dir: 'ltr' },
  { code: 'es', name: 'Español', dir: 'ltr' },
  { code: 'pt-BR', name: 'Português (Brasil)', dir: 'ltr' },
  { code: 'de', name: 'Deutsch', dir: 'ltr' },
  { code: 'fr', name: 'Français', dir: 'ltr' },
  { code: 'hi', name: 'हिन्दी', dir: 'ltr' },
  { code: 'id', name: 'Bahasa Indonesia', dir: 'ltr' },
  { code: 'ar', name: 'العربية', dir: 'rtl' },
] as const satisfies readonly Language[];

export type LanguageCode = (typeof LANGUAGES)[number]['code'];

export const DEFAULT_LANGUAGE: LanguageCode = 'en';

export const LANGUAGE_CODES: readonly LanguageCode[] = LANGUAGES.map((language) => language.code);

/** Old or alternative primary subtags browsers still send. */
const ALIASES: Record<string, LanguageCode> = { in: 'id', pt: 'pt-BR' };

/**
 * The supported language closest to a browser's tag ("pt-PT" → "pt-BR", "es-419" → "es",
 * "ar-EG" → "ar"), or null when none is (English is then the fallback).
 */
export function matchLanguage(tag: string | null | undefined): LanguageCode | null {
  if (!tag) return null;
  const wanted = tag.trim().replace(/_/g, '-').toLowerCase();
  const exact = LANGUAGE_CODES.find((code) => code.toLowerCase() === wanted);
  if (exact) return exact;
  const primary = wanted.split('-')[0];
  return LANGUAGE_CODES.find((code) => code.toLowerCase() === primary) ?? ALIASES[primary] ?? null;
}

export function languageDirection(code: string): 'ltr' | 'rtl' {
  return LANGUAGES.find((language) => language.code === code)?.dir ?? 'ltr';
}
