// The app's routes, on the path under /admin/ (no hash).
import { DELIVERY_STATUSES, ENTRY_STATUSES, type DeliveryStatus, type EntryStatus } from './api';

export const BASE = '/admin';

/** The audit log's filters, in URL order; each is an exact match on the server. */
export const AUDIT_FILTERS = ['action', 'resource_type', 'actor_id', 'resource_id'] as const;
export type AuditFilter = Partial<Record<(typeof AUDIT_FILTERS)[number], string>>;

export type Route =
  | { name: 'home' }
  | { name: 'login'; next: string | null }
  | { name: 'media' }
  | { name: 'list'; type: string; page: number; sort: string; status?: EntryStatus }
  | { name: 'users' }
  | { name: 'tokens' }
  | { name: 'audit'; page: number; filter: AuditFilter }
  | { name: 'webhooks' }
  /** One webhook and a page of its delivery log, optionally of one status. */
  | { name: 'webhook'; id: string; page: number; status?: DeliveryStatus }
  | { name: 'types' }
  | { name: 'type-edit'; apiId: string | null }
  | { name: 'search'; q: string }
  | { name: 'new'; type: string }
  /** `locale`: the translation shown (`?locale=fr`); none means the server's default. */
  | { name: 'edit'; type: string; id: string; locale?: string }
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
  if (parts[0] === 'users' && parts.length === 1) return { name: 'users' };
  if (parts[0] === 'tokens' && parts.length === 1) return { name: 'tokens' };
  if (parts[0] === 'audit' && parts.length === 1) return { name: 'audit', page: pageOf(q), filter: auditFilterOf(q) };
  if (parts[0] === 'webhooks' && parts.length <= 2) {
    if (parts.length === 1) return { name: 'webhooks' };
    const status = deliveryStatusOf(q.get('status'));
    return { name: 'webhook', id: parts[1], page: pageOf(q), ...(status ? { status } : {}) };
  }
  if (parts[0] === 'search' && parts.length === 1) return { name: 'search', q: q.get('q') ?? '' };
  if (parts[0] === 'types' && parts.length <= 2) {
    if (parts.length === 1) return { name: 'types' };
    return { name: 'type-edit', apiId: parts[1] === 'new' ? null : parts[1] };
  }
  if (parts[0] === 'entries' && parts.length >= 2 && parts.length <= 3) {
    const type = parts[1];
    if (parts.length === 2) {
      const page = pageOf(q);
      const status = statusOf(q.get('status'));
      return { name: 'list', type, page, sort: q.get('sort') || DEFAULT_SORT, ...(status ? { status } : {}) };
    }
    if (parts[2] === 'new') return { name: 'new', type };
    const locale = q.get('locale');
    return { name: 'edit', type, id: parts[2], ...(locale ? { locale } : {}) };
  }
  return { name: 'not-found', path: pathname };
}

export const DEFAULT_SORT = '-updated_at';

/** `?page=`, 1 unless a number above it. */
const pageOf = (q: URLSearchParams) => Math.max(1, Math.floor(Number(q.get('page')) || 1));

/** The audit filters a query names; empty ones (and padding) are no filter. */
export function auditFilterOf(q: URLSearchParams): AuditFilter {
  const f: AuditFilter = {};
  for (const k of AUDIT_FILTERS) {
    const v = q.get(k)?.trim();
    if (v) f[k] = v;
  }
  return f;
}

/** A status filter from the URL; anything else means no filter. */
export function statusOf(s: string | null | undefined): EntryStatus | undefined {
  return (ENTRY_STATUSES as readonly string[]).includes(s ?? '') ? (s as EntryStatus) : undefined;
}

/** A delivery status filter from the URL; anything else means no filter. */
export function deliveryStatusOf(s: string | null | undefined): DeliveryStatus | undefined {
  return (DELIVERY_STATUSES as readonly string[]).includes(s ?? '') ? (s as DeliveryStatus) : undefined;
}

export const href = {
  home: () => `${BASE}/`,
  login: (next?: string) => `${BASE}/login${next ? `?next=${encodeURIComponent(next)}` : ''}`,
  media: () => `${BASE}/media`,
  list: (type: string, page = 1, sort = DEFAULT_SORT, status?: EntryStatus) => {
    const q = new URLSearchParams();
    if (page > 1) q.set('page', String(page));
    if (sort !== DEFAULT_SORT) q.set('sort', sort);
    if (status) q.set('status', status);
    const s = q.toString();
    return `${BASE}/entries/${encodeURIComponent(type)}${s ? `?${s}` : ''}`;
  },
  users: () => `${BASE}/users`,
  tokens: () => `${BASE}/tokens`,
  audit: (filter: AuditFilter = {}, page = 1) => {
    const q = new URLSearchParams();
    if (page > 1) q.set('page', String(page));
    for (const k of AUDIT_FILTERS) {
      const v = filter[k]?.trim();
      if (v) q.set(k, v);
    }
    const s = q.toString();
    return `${BASE}/audit${s ? `?${s}` : ''}`;
  },
  webhooks: () => `${BASE}/webhooks`,
  webhook: (id: string, page = 1, status?: DeliveryStatus) => {
    const q = new URLSearchParams();
    if (page > 1) q.set('page', String(page));
    if (status) q.set('status', status);
    const s = q.toString();
    return `${BASE}/webhooks/${encodeURIComponent(id)}${s ? `?${s}` : ''}`;
  },
  types: () => `${BASE}/types`,
  newType: () => `${BASE}/types/new`,
  type: (apiId: string) => `${BASE}/types/${encodeURIComponent(apiId)}`,
  search: (q = '') => `${BASE}/search${q ? `?q=${encodeURIComponent(q)}` : ''}`,
  create: (type: string) => `${BASE}/entries/${encodeURIComponent(type)}/new`,
  entry: (type: string, id: string, locale?: string) =>
    `${BASE}/entries/${encodeURIComponent(type)}/${encodeURIComponent(id)}${locale ? `?locale=${encodeURIComponent(locale)}` : ''}`,
};

/** Only same-app paths are followed after sign-in. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith(`${BASE}/`) || next.startsWith('//') || next.startsWith(`${BASE}/login`)) return href.home();
  return next;
}
