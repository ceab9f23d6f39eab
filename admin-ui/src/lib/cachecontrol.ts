// A content type's HTTP cache settings (`cache` in its definition) as the
// builder edits them, and the `Cache-Control` header the public API sends
// for them. Pure; tested in cachecontrol.test.ts.
import type { CacheSettings } from './api';

/** The longest lifetime the server takes: a year, in seconds. */
export const MAX_CACHE_SECONDS = 31_536_000;

/** The settings, by their key in `cache`, with the builder's labels, in the order shown. */
export const CACHE_INPUTS = [
  ['max_age', 'Browsers may keep answers for (seconds)'],
  ['s_maxage', 'CDNs may keep answers for (seconds)'],
  ['stale_while_revalidate', 'Serve stale while refreshing (seconds)'],
] as const;

export type CacheKey = (typeof CACHE_INPUTS)[number][0];

/** The inputs' text by key; '' is not set. */
export type CacheForm = Record<CacheKey, string>;

export function emptyCache(): CacheForm {
  return { max_age: '', s_maxage: '', stale_while_revalidate: '' };
}

/** A definition's `cache` → the inputs (absent, null or junk reads as not set). */
export function cacheToForm(cache: unknown): CacheForm {
  const form = emptyCache();
  if (!cache || typeof cache !== 'object' || Array.isArray(cache)) return form;
  const c = cache as Record<string, unknown>;
  for (const [key] of CACHE_INPUTS) {
    const v = c[key];
    if (typeof v === 'number' && Number.isFinite(v)) form[key] = String(v);
  }
  return form;
}

/** True when any input holds something (a value or junk). */
export const cacheSet = (form: CacheForm) => CACHE_INPUTS.some(([key]) => form[key].trim() !== '');

/**
 * The inputs → `cache` (undefined when none is set: the definition then has
 * no `cache` at all), and what is wrong with them, keyed `cache.max_age` …
 * as the server names them. A bad input is left out of `cache`.
 */
export function formToCache(form: CacheForm): { cache: CacheSettings | undefined; errors: Record<string, string> } {
  const cache: CacheSettings = {};
  const errors: Record<string, string> = {};
  for (const [key] of CACHE_INPUTS) {
    const text = form[key].trim();
    if (!text) continue;
    if (!/^\d+$/.test(text)) {
      errors[`cache.${key}`] = 'Enter a whole number of seconds, 0 or more.';
      continue;
    }
    const n = Number(text);
    if (n > MAX_CACHE_SECONDS) {
      errors[`cache.${key}`] = `At most ${MAX_CACHE_SECONDS} seconds (a year).`;
      continue;
    }
    cache[key] = n;
  }
  return { cache: Object.keys(cache).length ? cache : undefined, errors };
}

/**
 * The `Cache-Control` value the public API sends for a type's answers, by
 * the server's rule: without a lifetime, caches must ask again every time.
 */
export function cacheControl(cache: CacheSettings | null | undefined): string {
  const maxAge = cache?.max_age ?? 0;
  const sMaxage = cache?.s_maxage ?? null;
  const stale = cache?.stale_while_revalidate ?? null;
  let out = `public, max-age=${maxAge}`;
  if (sMaxage !== null) out += `, s-maxage=${sMaxage}`;
  if (stale !== null) out += `, stale-while-revalidate=${stale}`;
  if (maxAge === 0 && sMaxage === null) out += ', must-revalidate';
  return out;
}
