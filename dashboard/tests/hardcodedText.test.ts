// No user-visible words written in a component: JSX text, and string literals in the props people
// read (aria-label, title, alt, placeholder, and the components' own label/text/failedTo), must
// come from the catalogues through t() or <Trans>. Parsed with rolldown's parser (Vite's own).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAst } from 'rolldown/parseAst';
import { describe, expect, it } from 'vitest';

const SRC = join(__dirname, '..', 'src');
const READ_PROPS = new Set(['aria-label', 'title', 'alt', 'placeholder', 'label', 'text', 'failedTo', 'aria-valuetext']);
/** Words that are the same in every language: the product's name. */
const ALLOWED = new Set(['wagate']);
const WORDS = /\p{L}{2,}/u;

type Node = { type: string; [key: string]: unknown };

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as Node).type === 'string';
}

/** Every string written in `node` that a person would read, skipping what t() and i18n calls get. */
function literals(node: unknown, found: string[]): void {
  if (Array.isArray(node)) return node.forEach((item) => literals(item, found));
  if (!isNode(node)) return;
  if (node.type === 'CallExpression') return; // t('key'), i18n calls, and helpers that translate
  if (node.type === 'JSXElement' || node.type === 'JSXFragment') return; // visited on their own
  if (node.type === 'BinaryExpression' && ['===', '!==', '==', '!='].includes(String(node.operator))) return;
  if (node.type === 'ConditionalExpression') return [node.consequent, node.alternate].forEach((n) => literals(n, found));
  if (node.type === 'Literal' && typeof node.value === 'string') found.push(node.value);
  else if (node.type === 'TemplateLiteral') for (const q of node.quasis as Node[]) found.push(String((q.value as { cooked: string }).cooked));
  else for (const [key, value] of Object.entries(node)) if (key !== 'type') literals(value, found);
}

/** Problems in one file: "line: text". */
export function findHardcodedText(source: string): string[] {
  const problems: string[] = [];
  const report = (text: string, at: number) => {
    const trimmed = text.trim();
    if (WORDS.test(trimmed) && !ALLOWED.has(trimmed)) {
      problems.push(`${source.slice(0, at).split('\n').length}: ${JSON.stringify(trimmed)}`);
    }
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!isNode(node)) return;
    if (node.type === 'JSXText') report(String(node.value), node.start as number);
    if (node.type === 'JSXExpressionContainer' && (node as { parent?: string }).parent !== 'attr') {
      const found: string[] = [];
      literals(node.expression, found);
      found.forEach((text) => report(text, node.start as number));
    }
    if (node.type === 'JSXAttribute') {
      const name = (node.name as { name: string }).name;
      if (READ_PROPS.has(name)) {
        const found: string[] = [];
        literals(node.value, found);
        found.forEach((text) => report(text, node.start as number));
      }
      // Other attributes (className, href, ids…) are not read; their containers are not children.
      if (isNode(node.value) && node.value.type === 'JSXExpressionContainer') {
        (node.value as { parent?: string }).parent = 'attr';
      }
    }
    for (const [key, value] of Object.entries(node)) if (key !== 'type') visit(value);
  };
  visit(parseAst(source, { lang: 'tsx' }));
  return problems;
}

describe('user-visible text comes from the catalogues', () => {
  it('catches words written in JSX, in read props and in expressions, and allows t() and markup', () => {
    expect(findHardcodedText('const a = <p>Hello there</p>;')).toEqual(['1: "Hello there"']);
    expect(findHardcodedText('const a = <img alt="A photo" src={x} />;')).toEqual(['1: "A photo"']);
    expect(findHardcodedText("const a = <b aria-label={ok ? 'Yes' : 'No'} />;")).toEqual(['1: "Yes"', '1: "No"']);
    expect(findHardcodedText("const a = <p>{busy ? 'Loading…' : t('x.y')}</p>;")).toEqual(['1: "Loading…"']);
    expect(findHardcodedText('const a = <p>{`Sent ${n} messages`}</p>;')).toEqual(['1: "Sent"', '1: "messages"']);
    expect(
      findHardcodedText(
        "const a = <p className={`wg-a ${b ? 'wg-b' : ''}`} title={t('k')}>{t('k', { n: 'x' })} {' '} · {x === 'done' ? <i className=\"wg-i\" /> : null}<span aria-hidden=\"true\">×</span></p>;",
      ),
    ).toEqual([]);
  });

  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.tsx'));

  it('scans every component', () => {
    expect(files.length).toBeGreaterThan(15);
  });

  for (const file of files) {
    it(`src/${file} writes no words of its own`, () => {
      expect(findHardcodedText(readFileSync(join(SRC, file), 'utf8'))).toEqual([]);
    });
  }
});
