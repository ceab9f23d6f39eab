// A small typed client for the admin API. Paths, parameters and response
// bodies come from api-types.ts (generated from ../admin-api/openapi.json by
// `npm run gen:api`), so a change of the API breaks `npm run check`.
import type { components, paths } from './api-types';

type Schemas = components['schemas'];
export type ContentTypeOut = Schemas['ContentTypeOut'];
export type EntryOut = Schemas['EntryOut'];
export type EntryList = Schemas['EntryList'];
export type AssetOut = Schemas['AssetOut'];
export type AssetList = Schemas['AssetList'];
export type UserOut = Schemas['UserOut'];
export type LoginResponse = Schemas['LoginResponse'];
export type Problem = Schemas['Problem'];
export type ProblemField = Schemas['ProblemField'];
export type TokenOut = Schemas['TokenOut'];
export type TokenCreated = Schemas['TokenCreated'];
export type UserCreate = Schemas['UserCreate'];
export type UserPatch = Schemas['UserPatch'];
export type RevisionOut = Schemas['RevisionOut'];
export type RevisionDetail = Schemas['RevisionDetail'];
export type FieldDiff = Schemas['FieldDiffOut'];
export type ScheduleOut = Schemas['ScheduleOut'];
export type ScheduleSet = Schemas['ScheduleSet'];
export type AuditOut = Schemas['AuditOut'];
export type WebhookOut = Schemas['WebhookOut'];
export type WebhookCreate = Schemas['WebhookCreate'];
export type WebhookPatch = Schemas['WebhookPatch'];
export type DeliveryOut = Schemas['DeliveryOut'];

/** One search result: `{id, type, score, highlights, status, …entry fields}`. */
export type SearchHit = Schemas['SearchHit'];
export type SearchResult = Schemas['SearchResult'];

export const API_BASE = '/admin/api';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** The paths that have an operation for method M. */
type PathWith<M extends Method> = {
  [P in keyof paths]: [paths[P][M]] extends [undefined] ? never : P;
}[keyof paths];
type Op<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type Json<R> = R extends { content: infer C } ? C[keyof C] : undefined;
type Ok<O> = O extends { responses: infer R }
  ? R extends { 200: infer X }
    ? Json<X>
    : R extends { 201: infer X }
      ? Json<X>
      : undefined
  : never;
type Params<O> = O extends { parameters: infer P } ? P : never;
type PathParams<O> = Params<O> extends { path: infer X } ? X : undefined;
type QueryParams<O> = Params<O> extends { query?: infer X } ? X : undefined;
type Body<O> = O extends { requestBody: { content: infer C } } ? C[keyof C] : undefined;

export interface Init<O> {
  path?: PathParams<O>;
  query?: QueryParams<O>;
  body?: Body<O>;
  /** Don't treat a 401 as an expired session (the sign-in form's own 401). */
  noAuthRedirect?: boolean;
}

/** A failed call: the RFC 9457 problem document the server answered with. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
    this.status = problem.status;
    this.problem = problem;
  }
  get code(): string {
    return this.problem.code;
  }
}

// ---- the session token (sessionStorage) ----

const TOKEN_KEY = 'quire.token';
const USER_KEY = 'quire.user';

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setSession(token: string | null, user?: UserOut | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  if (user) sessionStorage.setItem(USER_KEY, JSON.stringify(user));
  else if (!token) sessionStorage.removeItem(USER_KEY);
}

export function storedUser(): UserOut | null {
  try {
    const raw = sessionStorage.getItem(USER_KEY);
    return raw ? (JSON.parse(raw) as UserOut) : null;
  } catch {
    return null;
  }
}

let unauthorized: () => void = () => {};
/** Called on any 401 (except the sign-in form's): the app goes to sign-in. */
export function onUnauthorized(fn: () => void): void {
  unauthorized = fn;
}

function buildUrl(path: string, params?: Record<string, unknown>, query?: Record<string, unknown>): string {
  let p = path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(String(params?.[k] ?? '')));
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
    const s = qs.toString();
    if (s) p += `?${s}`;
  }
  return API_BASE + p;
}

async function problemFrom(res: Response): Promise<Problem> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  const b = (body && typeof body === 'object' ? body : {}) as Partial<Problem>;
  return {
    type: b.type ?? 'about:blank',
    title: b.title ?? res.statusText,
    status: typeof b.status === 'number' ? b.status : res.status,
    detail: b.detail || b.title || res.statusText || `The server answered ${res.status}.`,
    code: b.code ?? String(res.status),
    errors: Array.isArray(b.errors) ? b.errors : [],
    ...(typeof b.current_version === 'number' ? { current_version: b.current_version } : {}),
  };
}

function handleFailure(problem: Problem, noAuthRedirect?: boolean): never {
  if (problem.status === 401 && !noAuthRedirect) unauthorized();
  throw new ApiError(problem);
}

/** Calls one operation of the admin API; resolves to its 200/201 body. */
export async function call<M extends Method, P extends PathWith<M>>(
  method: M,
  path: P,
  init: Init<Op<P, M>> = {},
): Promise<Ok<Op<P, M>>> {
  const url = buildUrl(path, init.path as Record<string, unknown> | undefined, init.query as Record<string, unknown> | undefined);
  return (await send(method, url, init.body, init.noAuthRedirect)) as Ok<Op<P, M>>;
}

/** One request, untyped: `call` types it; a path not in api-types.ts yet uses it directly. */
async function send(method: Method, url: string, body: unknown, noAuthRedirect?: boolean): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, {
      method: method.toUpperCase(),
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError({
      type: 'about:blank',
      title: 'Network error',
      status: 0,
      code: 'network',
      detail: `Could not reach the server (${e instanceof Error ? e.message : String(e)}).`,
      errors: [],
    });
  }
  if (!res.ok) handleFailure(await problemFrom(res), noAuthRedirect);
  if (res.status === 204) return undefined;
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

// ---- the operations the UI uses ----

export const login = (email: string, password: string) =>
  call('post', '/auth/login', { body: { email, password }, noAuthRedirect: true });
export const me = () => call('get', '/auth/me');
export const logout = () => call('post', '/auth/logout', { noAuthRedirect: true });

export const listContentTypes = async () => (await call('get', '/content-types')).data;

/** The statuses an entry list can be filtered by (`filter[status][eq]=…`). */
export const ENTRY_STATUSES = ['draft', 'published', 'changed'] as const;
export type EntryStatus = (typeof ENTRY_STATUSES)[number];

/** One `filter[field][op]=value` of the list query language. */
export interface ListFilter {
  field: string;
  op: 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte' | 'in' | 'contains' | 'starts_with' | 'null';
  value: string;
}

export const listEntries = (
  type: string,
  {
    status,
    filter = [],
    fields,
    ...query
  }: { limit?: number; offset?: number; sort?: string; status?: EntryStatus; filter?: ListFilter[]; fields?: string[] } = {},
) => {
  // `filter[…]` and `fields` belong to the open-ended query language, so they
  // are not in the OpenAPI document's parameters: add them beside the typed ones.
  const more: Record<string, string> = {};
  if (status) more['filter[status][eq]'] = status;
  for (const f of filter) more[`filter[${f.field}][${f.op}]`] = f.value;
  if (fields?.length) more.fields = fields.join(',');
  return call('get', '/entries/{content_type}', {
    path: { content_type: type },
    query: { ...query, ...more } as typeof query,
  });
};
// `?locale=` picks one translation of an entry; without it the server uses
// the default locale's (or the only one). Not in api-types.ts until it is
// regenerated, hence the casts.
const inLocale = (locale?: string) => (locale ? { locale } : {});

/** One translation of an entry; a 404 `translation_missing` when it has none in that locale. */
export const getEntry = (type: string, id: string, locale?: string) =>
  call('get', '/entries/{content_type}/{id}', { path: { content_type: type, id }, query: inLocale(locale) as never });
/** Creates a draft; without a locale the server uses its default one. */
export const createEntry = (type: string, data: Record<string, unknown>, locale?: string) =>
  call('post', '/entries/{content_type}', {
    path: { content_type: type },
    body: locale ? { data, locale } : { data },
  });
/**
 * Changes some fields of a translation. `version` null: the translation does
 * not exist yet, and this creates it (a 201 with the entry in that locale).
 */
export const patchEntry = (type: string, id: string, data: Record<string, unknown>, version: number | null, locale?: string) =>
  call('patch', '/entries/{content_type}/{id}', {
    path: { content_type: type, id },
    query: inLocale(locale) as never,
    body: (version === null ? { data } : { data, version }) as Schemas['EntryPatch'],
  });
export const deleteEntry = (type: string, id: string, version?: number) =>
  call('delete', '/entries/{content_type}/{id}', { path: { content_type: type, id }, query: { version } });
/** An entry that points at another through one of its relation fields, in its draft or live copy. */
export interface Reference {
  id: string;
  type: string;
  field: string;
  copy?: string;
  title?: string;
}

const isReference = (r: unknown): r is Reference =>
  !!r &&
  typeof r === 'object' &&
  typeof (r as Reference).id === 'string' &&
  typeof (r as Reference).type === 'string' &&
  typeof (r as Reference).field === 'string';

/**
 * The entries whose relation fields point at this one. Untyped until
 * api-types.ts is regenerated with this path; a 404 from an older server
 * is the caller's to tolerate.
 */
export async function listReferences(type: string, id: string): Promise<Reference[]> {
  const url = buildUrl('/entries/{content_type}/{id}/references', { content_type: type, id });
  const body = (await send('get', url, undefined)) as { data?: unknown } | undefined;
  return Array.isArray(body?.data) ? body.data.filter(isReference) : [];
}

/** Publishes one translation (without a locale: the default one). */
export const publishEntry = (type: string, id: string, version?: number, locale?: string) =>
  call('post', '/entries/{content_type}/{id}/publish', {
    path: { content_type: type, id },
    query: { version, ...inLocale(locale) } as { version?: number },
  });
export const unpublishEntry = (type: string, id: string, version?: number, locale?: string) =>
  call('post', '/entries/{content_type}/{id}/unpublish', {
    path: { content_type: type, id },
    query: { version, ...inLocale(locale) } as { version?: number },
  });
/**
 * Sets when a translation publishes or unpublishes by itself: a time (RFC 3339,
 * in the future) sets one, null clears it, a key left out leaves it. Needs no
 * version: the working copy is untouched.
 */
export const scheduleEntry = (type: string, id: string, body: ScheduleSet, locale?: string) =>
  call('post', '/entries/{content_type}/{id}/schedule', {
    path: { content_type: type, id },
    query: inLocale(locale),
    body,
  });

/**
 * Where the type's site shows this translation's working copy: its
 * `preview_url` filled in, with a token that reads this one entry for 15
 * minutes. A 404 when the type has no `preview_url`.
 */
export const previewLink = (type: string, id: string, locale?: string) =>
  call('post', '/entries/{content_type}/{id}/preview-link', {
    path: { content_type: type, id },
    query: inLocale(locale),
  });

/** A translation's saved copies (`?locale=`, default: the default locale's), newest first. */
export const listRevisions = async (type: string, id: string, locale?: string) =>
  (
    await call('get', '/entries/{content_type}/{id}/revisions', {
      path: { content_type: type, id },
      query: inLocale(locale),
    })
  ).data;
/** The copy saved as version `n`, with what it changed from the copy before it. */
export const getRevision = (type: string, id: string, n: number, locale?: string) =>
  call('get', '/entries/{content_type}/{id}/revisions/{revision}', {
    path: { content_type: type, id, revision: n },
    query: inLocale(locale),
  });
/**
 * Makes the copy saved as version `n` the working copy again, as a new
 * version; `version` is the current one (a stale one is a 409). A 422 names
 * the fields the old copy no longer satisfies. The live copy stays as it is.
 */
export const restoreRevision = (type: string, id: string, n: number, version: number, locale?: string) =>
  call('post', '/entries/{content_type}/{id}/revisions/{revision}/restore', {
    path: { content_type: type, id, revision: n },
    query: { version, ...inLocale(locale) },
  });

/** `GET /locales`, unchecked (locales.ts reads it). Untyped until api-types.ts is regenerated. */
export const getLocales = (): Promise<unknown> => send('get', buildUrl('/locales'), undefined);

export const listUsers = async () => (await call('get', '/users')).data;
export const createUser = (body: UserCreate) => call('post', '/users', { body });
export const patchUser = (id: string, body: UserPatch) => call('patch', '/users/{id}', { path: { id }, body });
export const deleteUser = (id: string) => call('delete', '/users/{id}', { path: { id } });

export const listTokens = async () => (await call('get', '/tokens')).data;
export type Scope = 'read' | 'preview' | 'write';
export const createToken = (body: { name: string; scope: Scope; expires_at?: string }) =>
  call('post', '/tokens', { body });
export const revokeToken = (id: string) => call('delete', '/tokens/{id}', { path: { id } });

/** The audit log, newest first; each filter is an exact match (admins only). */
export const listAudit = (query: {
  limit?: number;
  offset?: number;
  action?: string;
  resource_type?: string;
  actor_id?: string;
  resource_id?: string;
}) => call('get', '/audit', { query });

export const listWebhooks = async () => (await call('get', '/webhooks')).data;
/** Answers the webhook with its signing secret, which is never shown again. */
export const createWebhook = (body: WebhookCreate) => call('post', '/webhooks', { body });
export const getWebhook = (id: string) => call('get', '/webhooks/{id}', { path: { id } });
/** `version` is the one read (a stale one is a 409 `version_conflict`); `types: null` lifts the type limit. */
export const patchWebhook = (id: string, body: WebhookPatch, version: number) =>
  call('patch', '/webhooks/{id}', { path: { id }, query: { version }, body });
export const deleteWebhook = (id: string) => call('delete', '/webhooks/{id}', { path: { id } });
/** Sends a `ping` now and answers what came of it. */
export const testWebhook = (id: string) => call('post', '/webhooks/{id}/test', { path: { id } });

/** The statuses a delivery log can be filtered by. */
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const satisfies readonly Schemas['DeliveryStatus'][];
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
/** A webhook's deliveries, newest first. */
export const listDeliveries = (id: string, query: { limit?: number; offset?: number; status?: DeliveryStatus }) =>
  call('get', '/webhooks/{id}/deliveries', { path: { id }, query });
/** Queues a delivery again now, whatever its status. */
export const retryDelivery = (id: string, deliveryId: string) =>
  call('post', '/webhooks/{id}/deliveries/{delivery_id}/retry', { path: { id, delivery_id: deliveryId } });

export const getContentType = (apiId: string) => call('get', '/content-types/{api_id}', { path: { api_id: apiId } });
// The type builder keeps keys it does not model (so nothing is lost on a
// round trip); the server checks its output and names each path it refuses.
type Definition = Schemas['ContentTypeDefinition'];
export const createContentType = (definition: Record<string, unknown>) =>
  call('post', '/content-types', { body: definition as Definition });
export type SchemaPlan = Schemas['SchemaPlan'];
/** A type's `cache`: lifetimes, in seconds, of its public answers. */
export type CacheSettings = Schemas['CacheSettings'];
export type PlanStep = Schemas['PlanStep'];
/**
 * Replaces a definition; `version` is the schema version it was based on (a
 * stale one is a 409). `dryRun`: answers the plan (what it would do to the
 * entries) with the type as it still is, and changes nothing. `allowDataLoss`:
 * removes the values of removed fields, and values that do not convert.
 */
export const putContentType = (
  apiId: string,
  definition: Record<string, unknown>,
  version: number | null,
  { allowDataLoss = false, dryRun = false }: { allowDataLoss?: boolean; dryRun?: boolean } = {},
) =>
  call('put', '/content-types/{api_id}', {
    path: { api_id: apiId },
    body: definition as Definition,
    query: {
      ...(version === null ? {} : { version }),
      ...(allowDataLoss ? { allow_data_loss: true } : {}),
      ...(dryRun ? { dry_run: true } : {}),
    },
  });

/** Full-text search over working copies (drafts included). */
export const searchEntries = async (query: { q: string; type?: string; limit?: number; offset?: number }) =>
  call('get', '/search', { query });

export const listAssets = (query: { limit?: number; offset?: number; mime_type?: string; search?: string } = {}) =>
  call('get', '/assets', { query });
export const patchAsset = (id: string, body: { alt?: string; title?: string }, version: number) =>
  call('patch', '/assets/{id}', { path: { id }, body, query: { version } });

export type TransformRequest = Schemas['TransformRequest'];

/** A signed URL anyone may fetch for a transform outside the presets; a
 * 409 `signing_off` when the server has no signing key. */
export const signTransform = (id: string, body: TransformRequest) =>
  call('post', '/assets/{id}/transform-url', { path: { id }, body });

/** Deletes an asset; a 409 `asset_in_use` names the entries that use it. */
export const deleteAsset = (id: string, version?: number) =>
  call('delete', '/assets/{id}', { path: { id }, query: { version } });

const UPLOAD_PATH: PathWith<'post'> = '/assets';
type UploadResult = Ok<Op<typeof UPLOAD_PATH, 'post'>>;

/** Uploads one file (multipart, part `file`) with progress from 0 to 1. */
export function uploadAsset(file: File, onProgress: (fraction: number) => void): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', API_BASE + UPLOAD_PATH);
    const token = getToken();
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = async () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        try {
          resolve(JSON.parse(xhr.responseText) as UploadResult);
        } catch (e) {
          reject(e);
        }
        return;
      }
      const res = new Response(xhr.responseText || null, { status: xhr.status, statusText: xhr.statusText });
      try {
        handleFailure(await problemFrom(res));
      } catch (e) {
        reject(e);
      }
    };
    xhr.onerror = () =>
      reject(
        new ApiError({
          type: 'about:blank',
          title: 'Network error',
          status: 0,
          code: 'network',
          detail: `Could not upload ${file.name}.`,
          errors: [],
        }),
      );
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/** Words for any error, for a message line. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.problem.detail || e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** An entry's data as an object. */
export function dataOf(entry: Pick<EntryOut, 'data'> | null | undefined): Record<string, unknown> {
  const d = entry?.data;
  return d && typeof d === 'object' && !Array.isArray(d) ? (d as Record<string, unknown>) : {};
}
