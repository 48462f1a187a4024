// The API's stable error codes in the user's language. The API speaks English ({"code", "message"}
// on a response, `last_error_code` / `last_error` on a session, `error_code` / `error` on a
// message); a code the catalogue knows is shown in the current language, any other one with the
// API's own English words.

import { i18n, t } from './index';

export type CodeKind = 'apiErrors' | 'sessionErrors' | 'messageErrors';

/** Whether the catalogues have words for `code`. */
export function knowsCode(kind: CodeKind, code: string | null | undefined): code is string {
  return Boolean(code) && /^[a-z0-9_]+$/.test(code!) && i18n.exists(`${kind}.${code}`);
}

/** `code` in the user's language, else the API's English `fallback`. */
export function codeText(kind: CodeKind, code: string | null | undefined, fallback: string): string {
  return knowsCode(kind, code) ? t(`${kind}.${code}`) : fallback;
}
