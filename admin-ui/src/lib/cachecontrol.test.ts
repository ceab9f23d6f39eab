import { describe, expect, it } from 'vitest';
import { CACHE_INPUTS, cacheControl, cacheSet, cacheToForm, emptyCache, formToCache, MAX_CACHE_SECONDS } from './cachecontrol';

describe('cacheControl', () => {
  it('makes the header as the server does', () => {
    expect(cacheControl(undefined)).toBe('public, max-age=0, must-revalidate');
    expect(cacheControl(null)).toBe('public, max-age=0, must-revalidate');
    expect(cacheControl({})).toBe('public, max-age=0, must-revalidate');
    expect(cacheControl({ max_age: 60, s_maxage: 600, stale_while_revalidate: 30 })).toBe(
      'public, max-age=60, s-maxage=600, stale-while-revalidate=30',
    );
    expect(cacheControl({ max_age: 60, s_maxage: 600 })).toBe('public, max-age=60, s-maxage=600');
    expect(cacheControl({ max_age: 60 })).toBe('public, max-age=60');
  });

  it('asks caches to revalidate while neither lifetime is above 0', () => {
    // A CDN lifetime alone: browsers keep nothing, the CDN does.
    expect(cacheControl({ s_maxage: 300 })).toBe('public, max-age=0, s-maxage=300');
    // s-maxage=0 is a lifetime too (the server leaves must-revalidate out).
    expect(cacheControl({ s_maxage: 0 })).toBe('public, max-age=0, s-maxage=0');
    expect(cacheControl({ max_age: 0 })).toBe('public, max-age=0, must-revalidate');
    expect(cacheControl({ stale_while_revalidate: 30 })).toBe('public, max-age=0, stale-while-revalidate=30, must-revalidate');
    expect(cacheControl({ max_age: null, s_maxage: null, stale_while_revalidate: null })).toBe('public, max-age=0, must-revalidate');
  });
});

describe('cacheToForm and formToCache', () => {
  it('reads the settings into the inputs, and back', () => {
    const cache = { max_age: 60, s_maxage: 600, stale_while_revalidate: 0 };
    const form = cacheToForm(cache);
    expect(form).toEqual({ max_age: '60', s_maxage: '600', stale_while_revalidate: '0' });
    expect(formToCache(form)).toEqual({ cache, errors: {} });
    expect(cacheToForm({ s_maxage: 5 })).toEqual({ max_age: '', s_maxage: '5', stale_while_revalidate: '' });
  });

  it('reads nothing, or junk, as not set', () => {
    for (const junk of [undefined, null, {}, [], 'max_age=60', { max_age: '60', s_maxage: null }]) expect(cacheToForm(junk)).toEqual(emptyCache());
  });

  it('has no cache at all while every input is empty', () => {
    expect(formToCache(emptyCache())).toEqual({ cache: undefined, errors: {} });
    expect(formToCache({ max_age: ' ', s_maxage: '', stale_while_revalidate: '\t' })).toEqual({ cache: undefined, errors: {} });
  });

  it('sends only the inputs filled in, trimmed', () => {
    expect(formToCache({ max_age: ' 60 ', s_maxage: '', stale_while_revalidate: '030' })).toEqual({
      cache: { max_age: 60, stale_while_revalidate: 30 },
      errors: {},
    });
  });

  it('takes whole numbers of seconds from 0 to a year', () => {
    const form = { max_age: '0', s_maxage: String(MAX_CACHE_SECONDS), stale_while_revalidate: '' };
    expect(formToCache(form)).toEqual({ cache: { max_age: 0, s_maxage: MAX_CACHE_SECONDS }, errors: {} });
    const whole = 'Enter a whole number of seconds, 0 or more.';
    for (const bad of ['-1', '1.5', 'abc', '1e3', '+5', '0x10', '6 0']) {
      expect(formToCache({ ...emptyCache(), max_age: bad })).toEqual({ cache: undefined, errors: { 'cache.max_age': whole } });
    }
    // A bad input is left out; the good ones stay, for the preview.
    expect(formToCache({ max_age: '60', s_maxage: String(MAX_CACHE_SECONDS + 1), stale_while_revalidate: 'soon' })).toEqual({
      cache: { max_age: 60 },
      errors: {
        'cache.s_maxage': 'At most 31536000 seconds (a year).',
        'cache.stale_while_revalidate': whole,
      },
    });
  });

  it('says whether anything is typed', () => {
    expect(cacheSet(emptyCache())).toBe(false);
    expect(cacheSet({ ...emptyCache(), stale_while_revalidate: '0' })).toBe(true);
    expect(cacheSet({ ...emptyCache(), s_maxage: 'x' })).toBe(true);
  });

  it('labels the inputs in seconds, in the API’s keys', () => {
    expect(CACHE_INPUTS.map(([key]) => key)).toEqual(['max_age', 's_maxage', 'stale_while_revalidate']);
    for (const [, label] of CACHE_INPUTS) expect(label).toMatch(/\(seconds\)$/);
  });
});
