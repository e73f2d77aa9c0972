/**
 * The explorer's languages: every string a page shows comes from a message catalog, in English and
 * Simplified Chinese. Each module declares its messages once, in both languages, with
 * {@link messages}; the type system refuses a catalog missing a key, and the unit test
 * (test/unit/web-i18n.test.ts) refuses one whose placeholders differ or whose text is empty.
 * Numbers and dates go through `Intl` in the page's language.
 */

/** The languages of the explorer. */
export const LANGUAGES = ['en', 'zh-CN'] as const;
/** A language of the explorer. */
export type Lang = (typeof LANGUAGES)[number];

/** Names of the languages, each in itself (for the switch). */
export const LANGUAGE_NAMES: Record<Lang, string> = { en: 'English', 'zh-CN': '简体中文' };

/** Values for a message's `{placeholders}`. */
export type MessageVars = Readonly<Record<string, string | number>>;

/** A registered catalog: one module's messages in every language. */
export interface Catalog {
  readonly module: string;
  readonly texts: Readonly<Record<Lang, Readonly<Record<string, string>>>>;
}

/**
 * The browser globals this module uses, typed here: it is also imported by Node tests (whose
 * TypeScript has no DOM library), where they are absent.
 */
const env = globalThis as {
  document?: { documentElement: { lang: string } };
  localStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  navigator?: { languages: readonly string[] };
};

const catalogs: Catalog[] = [];
const STORAGE_KEY = 'blockforge.lang';
let current: Lang = 'en';
const listeners = new Set<(lang: Lang) => void>();

/**
 * Declares a module's messages in English and Chinese (the same keys: checked by the compiler) and
 * returns its translator: `t('key', {n: 3})` gives the text in the current language, with
 * `{n}` replaced.
 */
export function messages<K extends string>(
  module: string,
  en: Readonly<Record<K, string>>,
  zh: Readonly<Record<K, string>>,
): (key: K, vars?: MessageVars) => string {
  const catalog: Catalog = { module, texts: { en, 'zh-CN': zh } };
  catalogs.push(catalog);
  return (key, vars) => format(catalog.texts[current][key] ?? catalog.texts.en[key] ?? key, vars);
}

/** `{name}` in `template` replaced by `vars.name` (numbers formatted for the current language). */
export function format(template: string, vars?: MessageVars): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = vars[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? formatNumber(value) : value;
  });
}

/** Every catalog registered so far (the test checks them). */
export function registeredCatalogs(): readonly Catalog[] {
  return catalogs;
}

/** The language shown now. */
export function currentLanguage(): Lang {
  return current;
}

/**
 * The language to show: the one the user chose (kept in local storage), else the first of the
 * browser's languages that we have (any `zh` is Simplified Chinese, the tutorial's other audience),
 * else English.
 */
export function detectLanguage(browserLanguages: readonly string[], stored: string | null): Lang {
  if (stored && (LANGUAGES as readonly string[]).includes(stored)) return stored as Lang;
  for (const tag of browserLanguages) {
    const lower = tag.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

/** Switches the language (remembered when `remember`), and tells the listeners (pages redraw). */
export function setLanguage(lang: Lang, remember = true): void {
  current = lang;
  if (env.document) env.document.documentElement.lang = lang;
  if (remember) {
    try {
      env.localStorage?.setItem(STORAGE_KEY, lang);
    } catch {
      // Storage may be off (private mode): the choice lasts for this page only.
    }
  }
  for (const listener of listeners) listener(lang);
}

/** Calls `listener` after every language change; returns the unsubscribe. */
export function onLanguageChange(listener: (lang: Lang) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Picks the language at start, from storage and the browser. */
export function initLanguage(): Lang {
  let stored: string | null = null;
  try {
    stored = env.localStorage?.getItem(STORAGE_KEY) ?? null;
  } catch {
    stored = null;
  }
  const lang = detectLanguage(env.navigator?.languages ?? [], stored);
  setLanguage(lang, false);
  return lang;
}

/** A number in the current language's digits and grouping. */
export function formatNumber(value: number, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(current, options).format(value);
}

/** A date and time in the current language. */
export function formatDateTime(date: Date): string {
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'medium' }).format(date);
}
