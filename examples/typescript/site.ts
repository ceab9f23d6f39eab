// A website's data layer over Quire's public API, typed by the declarations
// Quire generates from its content types (`GET /api/types.ts`, or
// `quire types export --ts > quire-types.ts`). When a content type changes,
// regenerate them and let the compiler point at every place to update.

import type { Articles, ContentTypes, List, One, Problem, SearchResult } from './quire-types';

export class QuireError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.code}: ${problem.detail}`);
  }
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new QuireError((await res.json()) as Problem);
  return (await res.json()) as T;
}

/** The newest articles of a category, newest first. */
export async function latest(base: string, category: NonNullable<Articles['category']>, limit = 10): Promise<Articles[]> {
  const query = new URLSearchParams({
    sort: '-published_at',
    limit: String(limit),
    'filter[category][eq]': category,
  });
  const page = await getJson<List<Articles>>(`${base}/api/articles?${query}`);
  return page.data;
}

/** One entry of any type, by id or slug. */
export async function entry<K extends keyof ContentTypes>(base: string, type: K, idOrSlug: string): Promise<ContentTypes[K]> {
  const one = await getJson<One<ContentTypes[K]>>(`${base}/api/${type}/${encodeURIComponent(idOrSlug)}`);
  return one.data;
}

/** A card for an article: every nullable field handled. */
export function card(a: Articles): { title: string; href: string; minutes: string } {
  return {
    title: a.title ?? '(untitled)',
    href: `/articles/${a.slug ?? a.id}`,
    minutes: a.reading_minutes === null ? '' : `${a.reading_minutes} min`,
  };
}

/** Search, with the highlighted title when there is one. */
export async function search(base: string, q: string): Promise<string[]> {
  const result = await getJson<SearchResult>(`${base}/api/search?${new URLSearchParams({ q })}`);
  return result.data.map((hit) => hit.highlights['title'] ?? String(hit['title'] ?? hit.id));
}
