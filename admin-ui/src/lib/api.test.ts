import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createEntry, deleteAsset, listEntries } from './api';

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

  it('sends a locale only when one is given', async () => {
    const fetch = answer(201, { id: '1' });
    await createEntry('articles', { title: 'x' }, 'fr');
    expect(JSON.parse(String(fetch.mock.calls[0][1]?.body))).toEqual({ data: { title: 'x' }, locale: 'fr' });
    await createEntry('articles', { title: 'x' });
    expect(JSON.parse(String(fetch.mock.calls[1][1]?.body))).toEqual({ data: { title: 'x' } });
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
