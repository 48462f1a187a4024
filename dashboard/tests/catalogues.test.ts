// Every language has every string: the same keys as English, the plural forms its own rules need
// (Intl.PluralRules), the same placeholders and markup; and every key the code asks for exists.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUES } from '../src/i18n';
import { LANGUAGES } from '../src/i18n/languages';

const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;
const SRC = join(__dirname, '..', 'src');

function flatten(tree: object, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of flatten(value as object, path)) out.set(k, v);
  }
  return out;
}

/** Keys without their plural suffix, each with the suffixes it has. */
function byBase(keys: Iterable<string>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const key of keys) {
    const match = PLURAL_SUFFIX.exec(key);
    const base = match ? key.slice(0, match.index) : key;
    const forms = out.get(base) ?? new Set<string>();
    if (match) forms.add(match[1]);
    out.set(base, forms);
  }
  return out;
}

/** {{name}} (formatting aside) and <tag> in a string. */
function placeholders(text: string): string[] {
  const names = [...text.matchAll(/\{\{\s*(\w+)[^}]*\}\}/g)].map((m) => `{{${m[1]}}}`);
  const tags = [...text.matchAll(/<\/?(\w+)>/g)].map((m) => m[0]);
  return [...new Set([...names, ...tags])].sort();
}

const english = flatten(CATALOGUES.en);
const englishBases = byBase(english.keys());

describe('the catalogues', () => {
  it('cover the eight languages, Arabic right to left', () => {
    expect(Object.keys(CATALOGUES).sort()).toEqual(['ar', 'de', 'en', 'es', 'fr', 'hi', 'id', 'pt-BR']);
    expect(LANGUAGES.map((l) => l.code).sort()).toEqual(Object.keys(CATALOGUES).sort());
    expect(LANGUAGES.filter((l) => l.dir === 'rtl').map((l) => l.code)).toEqual(['ar']);
  });

  for (const { code } of LANGUAGES) {
    const catalogue = flatten(CATALOGUES[code]);
    const bases = byBase(catalogue.keys());
    const categories = new Intl.PluralRules(code).resolvedOptions().pluralCategories;

    it(`${code}: has every key English has, and no other`, () => {
      expect([...bases.keys()].sort()).toEqual([...englishBases.keys()].sort());
    });

    it(`${code}: has exactly the plural forms its rules need (${categories.join(', ')})`, () => {
      for (const [base, forms] of englishBases) {
        if (forms.size === 0) continue;
        expect([...(bases.get(base) ?? [])].sort(), base).toEqual([...categories].sort());
      }
    });

    it(`${code}: keeps every placeholder and tag, and translates nothing to an empty string`, () => {
      for (const [key, text] of catalogue) {
        expect(text.trim(), key).not.toBe('');
        const base = key.replace(PLURAL_SUFFIX, '');
        const model = english.get(key) ?? english.get(`${base}_other`)!;
        // A singular, dual or zero form may spell its number out ("محاولتان"); `other` never does.
        const spelled = PLURAL_SUFFIX.test(key) && !key.endsWith('_other');
        const withoutCount = (list: string[]) => (spelled ? list.filter((p) => p !== '{{count}}') : list);
        expect(withoutCount(placeholders(text)), key).toEqual(withoutCount(placeholders(model)));
      }
    });
  }

  it('has every key the code asks for by name', () => {
    const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f));
    const asked = new Set<string>();
    for (const file of files) {
      const text = readFileSync(join(SRC, file), 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([\w.]+)'/g)) asked.add(m[1]);
      for (const m of text.matchAll(/i18nKey="([\w.]+)"/g)) asked.add(m[1]);
    }
    expect(asked.size).toBeGreaterThan(100);
    const missing = [...asked].filter((key) => !englishBases.has(key));
    expect(missing).toEqual([]);
  });
});
