// Locales: the ones the server serves (GET /locales, asked once), an entry's
// translations, the rows of the editor's language switcher, and the data a
// new translation starts from. Pure but for loadLocales; tested in locales.test.ts.
// The types are written here until api-types.ts is regenerated with them.
import { ApiError, getLocales } from './api';
import type { FieldDef } from './form';

export type TranslationStatus = 'draft' | 'published' | 'changed';

/** One translation of an entry, as `EntryOut.translations` lists it. */
export interface Translation {
  locale: string;
  status: TranslationStatus;
  version: number;
  updated_at: string;
}

/** `GET /locales`: the configured locales in order, the first being the default. */
export interface LocalesInfo {
  default: string;
  locales: string[];
  /** Where each locale's missing values come from (`{fr: "en"}`). */
  fallbacks: Record<string, string>;
}

/** What a server that does not list its locales (an older one) amounts to: no switcher. */
export const NO_LOCALES: LocalesInfo = { default: '', locales: [], fallbacks: {} };

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Reads `{"data": {default, locales, fallbacks}}`; anything else is NO_LOCALES. */
export function parseLocales(body: unknown): LocalesInfo {
  const d = isObj(body) ? body.data : null;
  if (!isObj(d) || !Array.isArray(d.locales)) return NO_LOCALES;
  const locales = d.locales.filter((l): l is string => typeof l === 'string' && l !== '');
  const fallbacks: Record<string, string> = {};
  if (isObj(d.fallbacks)) for (const [k, v] of Object.entries(d.fallbacks)) if (typeof v === 'string') fallbacks[k] = v;
  return { default: typeof d.default === 'string' && d.default ? d.default : (locales[0] ?? ''), locales, fallbacks };
}

/** More than one locale: the editor shows a switcher. */
export const isMultilingual = (info: LocalesInfo | null | undefined) => !!info && info.locales.length > 1;

let cached: Promise<LocalesInfo> | null = null;

/** The server's locales, asked once per page load; a 404 (no such route) means none. */
export function loadLocales(): Promise<LocalesInfo> {
  cached ??= getLocales().then(parseLocales, (e: unknown) => {
    if (e instanceof ApiError && e.status === 404) return NO_LOCALES;
    cached = null; // ask again next time
    throw e;
  });
  return cached;
}

/** Forgets the cached answer (tests). */
export function forgetLocales(): void {
  cached = null;
}

const STATUSES = new Set(['draft', 'published', 'changed']);

/** An entry's `translations`, checked (empty when the server sends none). */
export function translationsOf(entry: unknown): Translation[] {
  const list = isObj(entry) ? entry.translations : null;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (t): t is Translation => isObj(t) && typeof t.locale === 'string' && typeof t.status === 'string' && STATUSES.has(t.status),
  );
}

export interface SwitcherRow {
  locale: string;
  /** The translation's status, or `missing` when the entry has none in this locale. */
  status: TranslationStatus | 'missing';
  isDefault: boolean;
}

/** Each configured locale with its translation's status; a translation in a locale no longer configured comes last. */
export function switcherRows(info: LocalesInfo, translations: readonly Translation[]): SwitcherRow[] {
  const by = new Map(translations.map((t) => [t.locale, t.status]));
  const codes = [...info.locales, ...translations.map((t) => t.locale).filter((l) => !info.locales.includes(l))];
  return [...new Set(codes)].map((locale) => ({ locale, status: by.get(locale) ?? 'missing', isDefault: locale === info.default }));
}

/**
 * A locale's name for people: in `inLanguage` (default: in itself, so fr is
 * "Français"), with a capital; the code when the browser does not know it.
 */
export function localeName(code: string, inLanguage: string = code): string {
  try {
    const name = new Intl.DisplayNames([inLanguage], { type: 'language', fallback: 'none' }).of(code);
    if (name) return name.charAt(0).toLocaleUpperCase(inLanguage) + name.slice(1);
  } catch {
    /* not a locale code Intl takes */
  }
  return code;
}

/** What a missing translation shows before it is started: the shared fields' values (they are its values too). */
export function sharedData(source: Record<string, unknown>, fields: readonly FieldDef[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (!f.localized && f.name in source) out[f.name] = structuredClone(source[f.name]);
  return out;
}

/**
 * "Start from English": the data a new translation starts with, a copy of
 * the source translation's values, localized and shared fields alike. A
 * localized slug made from another field, or a localized unique value, starts
 * empty: it is made again from the translated text, and a copy would clash.
 */
export function startFrom(source: Record<string, unknown>, fields: readonly FieldDef[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (!(f.name in source)) continue;
    if (f.localized && (f.unique || (f.type === 'slug' && f.from))) continue;
    out[f.name] = structuredClone(source[f.name]);
  }
  return out;
}
