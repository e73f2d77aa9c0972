/**
 * The explorer's message catalogs: every module's messages exist in English and Chinese, neither
 * empty, with the same placeholders; the language is picked from the user's choice and the
 * browser's. Every page module is imported so that each registers its catalog.
 */

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectLanguage, format, LANGUAGES, registeredCatalogs } from '../../web/src/i18n.js';

const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string).sort();

describe('explorer languages', () => {
  it('has every message of every module in every language, none empty, placeholders alike', async () => {
    // Importing a module registers its catalog; modules that touch the DOM at import are skipped.
    const dir = new URL('../../web/src/', import.meta.url);
    const files = [
      ...readdirSync(dir)
        .filter((f) => f.endsWith('.ts') && !['main.ts', 'vite-env.d.ts'].includes(f))
        .map((f) => new URL(f, dir)),
      ...readdirSync(new URL('pages/', dir))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => new URL(`pages/${f}`, dir)),
    ];
    for (const file of files) await import(file.href);
    const catalogs = registeredCatalogs();
    const problems: string[] = [];
    for (const { module, texts } of catalogs) {
      const keys = new Set(LANGUAGES.flatMap((lang) => Object.keys(texts[lang])));
      for (const key of keys) {
        const en = texts.en[key];
        for (const lang of LANGUAGES) {
          const text = texts[lang][key];
          if (text === undefined || text.trim() === '') problems.push(`${module}.${key}: missing in ${lang}`);
          else if (en !== undefined && placeholders(text).join() !== placeholders(en).join()) {
            problems.push(`${module}.${key}: placeholders differ in ${lang}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('picks the stored choice, else the browser language, else English', () => {
    expect(detectLanguage(['en-US'], 'zh-CN')).toBe('zh-CN');
    expect(detectLanguage(['zh-TW', 'en'], null)).toBe('zh-CN');
    expect(detectLanguage(['fr-FR', 'en-GB'], null)).toBe('en');
    expect(detectLanguage(['fr-FR'], 'xx')).toBe('en');
  });

  it('fills placeholders', () => {
    expect(format('block {n} of {total}', { n: 'a', total: 'b' })).toBe('block a of b');
    expect(format('left {x} alone', {})).toBe('left {x} alone');
  });
});
