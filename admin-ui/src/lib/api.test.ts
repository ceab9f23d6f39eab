import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ApiError,
  createEntry,
  deleteAsset,
  getEntry,
  getRevision,
  listEntries,
  listReferences,
  listRevisions,
  patchEntry,
  previewLink,
  publishEntry,
  putContentType,
  restoreRevision,
  unpublishEntry,
} from './api';

function answer(status: number, body: unknown) {
  const fetch = vi.fn(async (_url: string, _init?: RequestInit) =>
    new Response(body === undefined ? null : JSON.stringify(body), { status }),
  );
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the admin API client', () => {
  it('filters a list by status', async () => {
    const fetch = answer(200, { data: [], meta: { total: 0, limit: 25, offset: 0 } });
    await listEntries('articles', { limit: 25, offset: 0, sort: 'title', status: 'draft' });
    const url = new URL(fetch.mock.calls[0][0], 'http://x');
    expect(url.pathname).toBe('/admin/api/entries/articles');
    expect(url.searchParams.get('filter[status][eq]')).toBe('draft');
    expect(url.searchParams.get('sort')).toBe('title');
    await listEntries('articles', {});
    expect(fetch.mock.calls[1][0]).toBe('/admin/api/entries/articles');
  });

  it('adds filters and fields to a list query', async () => {
    const fetch = answer(200, { data: [], meta: { total: 0, limit: 20, offset: 0 } });
    await listEntries('authors', { limit: 20, filter: [{ field: 'name', op: 'contains', value: 'Ada L' }], fields: ['name', 'slug'] });
    const url = new URL(fetch.mock.calls[0][0], 'http://x');
    expect(url.searchParams.get('filter[name][contains]')).toBe('Ada L');
    expect(url.searchParams.get('fields')).toBe('name,slug');
    expect(url.searchParams.get('limit')).toBe('20');
  });

  it('lists the entries that refer to one, and passes a 404 on', async () => {
    let fetch = answer(200, {
      data: [{ id: 'p1', type: 'posts', field: 'author', copy: 'draft' }, { nonsense: true }],
    });
    expect(await listReferences('authors', 'a 1')).toEqual([{ id: 'p1', type: 'posts', field: 'author', copy: 'draft' }]);
    expect(fetch.mock.calls[0][0]).toBe('/admin/api/entries/authors/a%201/references');
    fetch = answer(404, { status: 404, code: 'not_found', detail: 'No such route.', errors: [] });
    const err = await listReferences('authors', 'a1').catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(404);
  });

  it('sends a locale only when one is given', async () => {
    const fetch = answer(201, { id: '1' });
    await createEntry('articles', { title: 'x' }, 'fr');
    expect(JSON.parse(String(fetch.mock.calls[0][1]?.body))).toEqual({ data: { title: 'x' }, locale: 'fr' });
    await createEntry('articles', { title: 'x' });
    expect(JSON.parse(String(fetch.mock.calls[1][1]?.body))).toEqual({ data: { title: 'x' } });
  });

  it('names the translation with ?locale=, and creates one without a version', async () => {
    const fetch = answer(200, { id: '1', locale: 'fr' });
    await getEntry('articles', '1', 'fr');
    expect(fetch.mock.calls[0][0]).toBe('/admin/api/entries/articles/1?locale=fr');
    await getEntry('articles', '1');
    expect(fetch.mock.calls[1][0]).toBe('/admin/api/entries/articles/1');
    await patchEntry('articles', '1', { title: 'Bonjour' }, null, 'fr');
    expect(fetch.mock.calls[2][0]).toBe('/admin/api/entries/articles/1?locale=fr');
    expect(JSON.parse(String(fetch.mock.calls[2][1]?.body))).toEqual({ data: { title: 'Bonjour' } });
    await patchEntry('articles', '1', { title: 'Salut' }, 2, 'fr');
    expect(JSON.parse(String(fetch.mock.calls[3][1]?.body))).toEqual({ data: { title: 'Salut' }, version: 2 });
    await publishEntry('articles', '1', 3, 'fr');
    expect(fetch.mock.calls[4][0]).toBe('/admin/api/entries/articles/1/publish?version=3&locale=fr');
    await unpublishEntry('articles', '1', undefined, 'fr');
    expect(fetch.mock.calls[5][0]).toBe('/admin/api/entries/articles/1/unpublish?locale=fr');
  });

  it('reads a translation\'s revisions and restores one at the current version', async () => {
    let fetch = answer(200, { data: [{ id: 7, version: 2, action: 'update', data: {}, created_at: '2026-01-01T00:00:00.000Z' }] });
    expect((await listRevisions('articles', 'a 1', 'fr')).map((r) => r.version)).toEqual([2]);
    expect(fetch.mock.calls[0][0]).toBe('/admin/api/entries/articles/a%201/revisions?locale=fr');
    fetch = answer(200, { revision: { id: 6, version: 1, action: 'create', data: {}, created_at: '' }, previous_version: null, diff: [] });
    await getRevision('articles', '1', 1);
    expect(fetch.mock.calls[0][0]).toBe('/admin/api/entries/articles/1/revisions/1');
    fetch = answer(200, { id: '1', version: 4 });
    await restoreRevision('articles', '1', 1, 3, 'fr');
    expect(fetch.mock.calls[0][0]).toBe('/admin/api/entries/articles/1/revisions/1/restore?version=3&locale=fr');
    expect(fetch.mock.calls[0][1]?.method).toBe('POST');
    fetch = answer(409, { status: 409, code: 'version_conflict', detail: 'stale', current_version: 5, errors: [] });
    const err = await restoreRevision('articles', '1', 1, 3).catch((e: unknown) => e);
    expect(fetch.mock.calls[0][0]).toBe('/admin/api/entries/articles/1/revisions/1/restore?version=3');
    expect((err as ApiError).code).toBe('version_conflict');
    expect((err as ApiError).problem.current_version).toBe(5);
  });

  it('asks for a translation\'s preview link', async () => {
    const fetch = answer(200, { url: 'https://site.example/p/a?token=t', token: 't', expires_at: '' });
    expect((await previewLink('articles', 'a 1', 'fr')).url).toBe('https://site.example/p/a?token=t');
    expect(fetch.mock.calls[0][0]).toBe('/admin/api/entries/articles/a%201/preview-link?locale=fr');
    expect(fetch.mock.calls[0][1]?.method).toBe('POST');
  });

  it('asks for a schema change\'s plan, or forces it', async () => {
    const fetch = answer(200, { api_id: 't', dry_run: true });
    await putContentType('t', { api_id: 't' }, 3, { dryRun: true });
    expect(fetch.mock.calls[0][0]).toBe('/admin/api/content-types/t?version=3&dry_run=true');
    expect(fetch.mock.calls[0][1]?.method).toBe('PUT');
    await putContentType('t', { api_id: 't' }, 3, { allowDataLoss: true });
    expect(fetch.mock.calls[1][0]).toBe('/admin/api/content-types/t?version=3&allow_data_loss=true');
    await putContentType('t', { api_id: 't' }, null);
    expect(fetch.mock.calls[2][0]).toBe('/admin/api/content-types/t');
  });

  it('deletes an asset, and reports one in use', async () => {
    let fetch = answer(204, undefined);
    await deleteAsset('a1', 3);
    expect(fetch.mock.calls[0][0]).toBe('/admin/api/assets/a1?version=3');
    expect(fetch.mock.calls[0][1]?.method).toBe('DELETE');
    fetch = answer(409, { status: 409, code: 'asset_in_use', detail: 'entries use this asset: articles/01A', errors: [] });
    const err = await deleteAsset('a1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('asset_in_use');
    expect((err as ApiError).problem.detail).toContain('articles/01A');
  });
});
