// @vitest-environment node
// WCAG AA contrast of the stylesheet's colours: every rule that sets a text colour is checked
// against its own background, or the backgrounds it appears on.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const CSS = readFileSync(new URL('../src/styles.css', import.meta.url), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
const VARS = Object.fromEntries([...CSS.matchAll(/(--wg-[\w-]+):\s*([^;]+);/g)].map((m) => [m[1], m[2].trim()]));

function resolve(value: string): string {
  const v = value.trim().replace(/\s*!important$/, '');
  const ref = v.match(/^var\((--wg-[\w-]+)\)$/);
  return ref ? resolve(VARS[ref[1]]) : v;
}

function luminance(hex: string): number {
  const h = hex.replace('#', '');
  const full = h.length === 3 ? [...h].map((c) => c + c).join('') : h;
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16) / 255);
  const lin = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

interface Rule {
  selector: string;
  color?: string;
  background?: string;
}

const RULES: Rule[] = [...CSS.matchAll(/([^{}]+)\{([^{}]*)\}/g)].map((m) => {
  const decl = (name: string) => m[2].match(new RegExp(`(?:^|;)\\s*${name}:\\s*([^;]+)`))?.[1];
  const color = decl('color');
  const background = decl('background') ?? decl('background-color');
  return {
    selector: m[1].trim(),
    color: color && /^(#|var)/.test(color.trim()) ? resolve(color) : undefined,
    background: background && /^(#|var)/.test(background.trim()) ? resolve(background) : undefined,
  };
});

// Where text that sets only a colour can appear (the page, cards and dialogs, message bubbles).
const SURFACES = ['#ffffff', resolve('var(--wg-bg)'), '#e7f6ee', '#f8fafc'];
// Text that sits on a coloured background set by another rule.
const CONTEXTS: Record<string, string[]> = {
  '.wg-countdown--soon [role=\'timer\']': ['#ffffff'],
  '.wg-message--failed .wg-message__status': ['#ffffff', '#e7f6ee'],
  '.wg-link-button': ['#ffffff', '#fef2f2'],
  '.wg-field-error': ['#ffffff'],
  // The page links sit on the top bar.
  '.wg-tabs a': [resolve('var(--wg-primary)')],
};

describe('colour contrast (WCAG AA, 4.5:1 for text)', () => {
  const checked = RULES.filter((r) => r.color && r.color.startsWith('#'));
  it('finds the colours to check', () => {
    expect(checked.length).toBeGreaterThan(15);
  });
  it.each(checked.map((r) => [r.selector, r] as const))('%s', (_, rule) => {
    const backgrounds = rule.background ? [rule.background] : (CONTEXTS[rule.selector] ?? SURFACES);
    for (const background of backgrounds) {
      expect(contrast(rule.color!, background), `${rule.color} on ${background}`).toBeGreaterThanOrEqual(4.5);
    }
  });
  it('the focus ring stands out (3:1) from the surfaces', () => {
    for (const surface of SURFACES) expect(contrast(resolve('var(--wg-focus)'), surface)).toBeGreaterThanOrEqual(3);
  });
});
