import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FieldDef } from './form';
import {
  forgetLocales,
  isMultilingual,
  loadLocales,
  localeName,
  NO_LOCALES,
  parseLocales,
  sharedData,
  startFrom,
  switcherRows,
  translationsOf,
  type LocalesInfo,
} from './locales';

const info: LocalesInfo = { default: 'en', locales: ['en', 'fr', 'de'], fallbacks: { fr: 'en', de: 'en' } };

function answer(status: number, body: unknown) {
  const fetch = vi.fn(async (_url: string, _init?: RequestInit) => new Response(JSON.stringify(body), { status }));
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

afterEach(() => {
  vi.unstubAllGlobals();
  forgetLocales();
});

describe('the locales info', () => {
  it('is asked once and kept', async () => {
    const fetch = answer(200, { data: info });
    expect(await loadLocales()).toEqual(info);
    expect(await loadLocales()).toEqual(info);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch.mock.calls[0][0]).toBe('/admin/api/locales');
  });

  it('is no locales on a server without the route, and asked again after another failure', async () => {
    answer(404, { status: 404, code: 'not_found', detail: 'No such route.', errors: [] });
    expect(await loadLocales()).toEqual(NO_LOCALES);
    forgetLocales();
    answer(500, { status: 500, code: 'internal', detail: 'Oops.', errors: [] });
    await expect(loadLocales()).rejects.toThrow('Oops.');
    const fetch = answer(200, { data: info });
    expect(await loadLocales()).toEqual(info);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('is read defensively', () => {
    expect(parseLocales({ data: { locales: ['en', 7, 'fr'] } })).toEqual({ default: 'en', locales: ['en', 'fr'], fallbacks: {} });
    expect(parseLocales({ data: { default: 'en' } })).toEqual(NO_LOCALES);
    expect(parseLocales(null)).toEqual(NO_LOCALES);
  });

  it('asks for a switcher only with more than one locale', () => {
    expect(isMultilingual(info)).toBe(true);
    expect(isMultilingual({ default: 'en', locales: ['en'], fallbacks: {} })).toBe(false);
    expect(isMultilingual(NO_LOCALES)).toBe(false);
    expect(isMultilingual(null)).toBe(false);
  });
});

describe('translations', () => {
  const translations = [
    { locale: 'en', status: 'published' as const, version: 3, updated_at: '2025-01-01T00:00:00Z' },
    { locale: 'fr', status: 'draft' as const, version: 1, updated_at: '2025-01-02T00:00:00Z' },
  ];

  it('are read from an entry, junk left out', () => {
    expect(translationsOf({ translations: [...translations, { locale: 'de', status: 'weird' }, null] })).toEqual(translations);
    expect(translationsOf({ id: 'x' })).toEqual([]);
    expect(translationsOf(null)).toEqual([]);
  });

  it('give the switcher each configured locale, in order, with its status or missing', () => {
    expect(switcherRows(info, translations)).toEqual([
      { locale: 'en', status: 'published', isDefault: true },
      { locale: 'fr', status: 'draft', isDefault: false },
      { locale: 'de', status: 'missing', isDefault: false },
    ]);
  });

  it('keep a translation in a locale no longer configured, last', () => {
    const rows = switcherRows({ ...info, locales: ['en', 'de'] }, translations);
    expect(rows.map((r) => `${r.locale}:${r.status}`)).toEqual(['en:published', 'de:missing', 'fr:draft']);
  });
});

describe('locale names', () => {
  it('are in the language itself by default, with a capital', () => {
    expect(localeName('fr')).toBe('Français');
    expect(localeName('de')).toBe('Deutsch');
    expect(localeName('en')).toBe('English');
  });

  it('can be in English, and fall back to the code', () => {
    expect(localeName('fr', 'en')).toBe('French');
    expect(localeName('not a code')).toBe('not a code');
    expect(localeName('qx')).toBe('qx');
  });
});

describe('starting a translation', () => {
  const fields: FieldDef[] = [
    { name: 'title', type: 'string', localized: true },
    { name: 'slug', type: 'slug', from: 'title', localized: true },
    { name: 'code', type: 'string', unique: true, localized: true },
    { name: 'body', type: 'richtext', localized: true },
    { name: 'byline', type: 'string' },
    { name: 'tags', type: 'relation', to: 'tags', multiple: true },
  ];
  const en = { title: 'Hello', slug: 'hello', code: 'H1', body: '## Hi', byline: 'Ada', tags: ['t1'], stray: 1 };

  it('shows the shared values before it starts', () => {
    expect(sharedData(en, fields)).toEqual({ byline: 'Ada', tags: ['t1'] });
  });

  it('starts from the default translation: localized and shared values, copied', () => {
    const data = startFrom(en, fields);
    expect(data).toEqual({ title: 'Hello', body: '## Hi', byline: 'Ada', tags: ['t1'] });
    (data.tags as string[]).push('t2');
    expect(en.tags).toEqual(['t1']);
  });

  it('leaves a localized slug and a localized unique value empty, but not shared ones', () => {
    const shared = fields.map((f) => ({ ...f, localized: false }));
    expect(startFrom(en, shared)).toMatchObject({ slug: 'hello', code: 'H1' });
    expect(startFrom(en, fields)).not.toHaveProperty('slug');
  });
});
