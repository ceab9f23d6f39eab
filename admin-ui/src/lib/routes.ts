// The app's routes, on the path under /admin/ (no hash).
export const BASE = '/admin';

export type Route =
  | { name: 'home' }
  | { name: 'login'; next: string | null }
  | { name: 'media' }
  | { name: 'list'; type: string; page: number }
  | { name: 'new'; type: string }
  | { name: 'edit'; type: string; id: string }
  | { name: 'not-found'; path: string };

const seg = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** Reads a route from a location's path (and query). Pure; tested. */
export function parseRoute(pathname: string, search = ''): Route {
  const q = new URLSearchParams(search);
  let rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  rest = rest.replace(/\/+$/, '');
  const parts = rest.split('/').filter(Boolean).map(seg);
  if (parts.length === 0) return { name: 'home' };
  if (parts[0] === 'login' && parts.length === 1) return { name: 'login', next: q.get('next') };
  if (parts[0] === 'media' && parts.length === 1) return { name: 'media' };
  if (parts[0] === 'entries' && parts.length >= 2 && parts.length <= 3) {
    const type = parts[1];
    if (parts.length === 2) {
      const page = Math.max(1, Math.floor(Number(q.get('page')) || 1));
      return { name: 'list', type, page };
    }
    if (parts[2] === 'new') return { name: 'new', type };
    return { name: 'edit', type, id: parts[2] };
  }
  return { name: 'not-found', path: pathname };
}

export const href = {
  home: () => `${BASE}/`,
  login: (next?: string) => `${BASE}/login${next ? `?next=${encodeURIComponent(next)}` : ''}`,
  media: () => `${BASE}/media`,
  list: (type: string, page = 1) => `${BASE}/entries/${encodeURIComponent(type)}${page > 1 ? `?page=${page}` : ''}`,
  create: (type: string) => `${BASE}/entries/${encodeURIComponent(type)}/new`,
  entry: (type: string, id: string) => `${BASE}/entries/${encodeURIComponent(type)}/${encodeURIComponent(id)}`,
};

/** Only same-app paths are followed after sign-in. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith(`${BASE}/`) || next.startsWith('//') || next.startsWith(`${BASE}/login`)) return href.home();
  return next;
}
