// The webhook screens' pure parts. Tested in webhooks.test.ts.
import type { DeliveryOut, ProblemField, WebhookCreate, WebhookOut, WebhookPatch } from './api';

/** Every event a webhook may ask for, in the server's order. */
export const WEBHOOK_EVENTS = [
  'entry.saved',
  'entry.published',
  'entry.unpublished',
  'entry.deleted',
  'asset.created',
  'asset.updated',
  'asset.deleted',
  'type.changed',
  'cache.purge',
] as const;

/** What the webhook forms hold. `allTypes` off: only changes of `types`. */
export interface WebhookForm {
  name: string;
  url: string;
  events: string[];
  allTypes: boolean;
  types: string[];
  /** Empty: generated (new webhook) or kept (edit). */
  secret: string;
  enabled: boolean;
}

export const emptyWebhookForm = (): WebhookForm => ({ name: '', url: '', events: [], allTypes: true, types: [], secret: '', enabled: true });

export function webhookToForm(h: Pick<WebhookOut, 'name' | 'url' | 'events' | 'types' | 'enabled'>): WebhookForm {
  return { name: h.name, url: h.url, events: [...h.events], allTypes: h.types == null, types: [...(h.types ?? [])], secret: '', enabled: h.enabled };
}

/** Known events in the server's order, anything else after them (for the server to name). */
function ordered(events: readonly string[]): string[] {
  const known: readonly string[] = WEBHOOK_EVENTS;
  return [...known.filter((e) => events.includes(e)), ...events.filter((e) => !known.includes(e))];
}

/** A new webhook's body; without a secret the server generates one. */
export function createBody(f: WebhookForm): WebhookCreate {
  return {
    name: f.name.trim(),
    url: f.url.trim(),
    events: ordered(f.events),
    types: f.allTypes ? null : [...f.types],
    enabled: f.enabled,
    ...(f.secret ? { secret: f.secret } : {}),
  };
}

const sameSet = (a: readonly string[] | null | undefined, b: readonly string[] | null | undefined) =>
  a == null || b == null ? a == b : a.length === b.length && a.every((x) => b.includes(x));

/**
 * What an edit changed, as a PATCH body: only the values that differ (the
 * audit log names them), `types: null` to lift a limit, a secret only when
 * one is typed. Empty when nothing changed.
 */
export function patchBody(before: WebhookForm, after: WebhookForm): WebhookPatch {
  const b = createBody({ ...before, secret: '' });
  const a = createBody(after);
  const p: WebhookPatch = {};
  if (a.name !== b.name) p.name = a.name;
  if (a.url !== b.url) p.url = a.url;
  if (!sameSet(a.events, b.events)) p.events = a.events;
  if (!sameSet(a.types, b.types)) p.types = a.types;
  if (a.enabled !== b.enabled) p.enabled = a.enabled;
  if (a.secret) p.secret = a.secret;
  return p;
}

/** The form inputs a refusal's errors can point at. */
export const WEBHOOK_INPUTS = ['name', 'url', 'events', 'types', 'secret', 'enabled'] as const;
export type WebhookErrors = Partial<Record<(typeof WEBHOOK_INPUTS)[number], string>>;

/**
 * A 422's errors by input, an item's (`events[1]`) at its list, named by the
 * value sent; any other error as a line of its own.
 */
export function webhookErrors(errors: readonly ProblemField[] | null | undefined, sent: WebhookPatch): { fields: WebhookErrors; rest: string[] } {
  const fields: WebhookErrors = {};
  const rest: string[] = [];
  for (const e of errors ?? []) {
    const m = /^(\w+)(?:\[(\d+)\])?$/.exec(e.field);
    const key = m?.[1] as keyof WebhookErrors | undefined;
    if (m && key && (WEBHOOK_INPUTS as readonly string[]).includes(key)) {
      const list = sent[key];
      const item = m[2] !== undefined && Array.isArray(list) ? list[Number(m[2])] : undefined;
      const message = item === undefined ? e.message : `${item}: ${e.message}`;
      fields[key] = fields[key] ? `${fields[key]} ${message}` : message;
    } else rest.push(e.field ? `${e.field}: ${e.message}` : e.message);
  }
  return { fields, rest };
}

/** The events a webhook asks for, short enough for a table cell. */
export function eventsSummary(events: readonly string[]): string {
  if (WEBHOOK_EVENTS.every((e) => events.includes(e))) return 'All events';
  const list = ordered(events);
  if (list.length === 0) return 'None';
  return list.length <= 3 ? list.join(', ') : `${list.slice(0, 2).join(', ')} and ${list.length - 2} more`;
}

/** The receiver's answer in a log cell: its status code, or why there was none. */
export function outcomeText(d: Pick<DeliveryOut, 'attempts' | 'status_code' | 'error'>): string {
  if (d.status_code != null) return `HTTP ${d.status_code}`;
  if (d.error) return d.error;
  return d.attempts > 0 ? 'No answer' : 'Not tried yet';
}

export const durationText = (ms: number | null | undefined): string => (ms == null ? '—' : `${ms} ms`);

/** A delivery's body as sent, indented when it is JSON. */
export function prettyBody(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
