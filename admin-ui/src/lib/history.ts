// The entry editor's revision history: words for actions, changes, authors
// and times, and field values shown readably. Pure; tested in history.test.ts.
import type { FieldDiff, ProblemField } from './api';
import { fieldLabelIn, humanize } from './labels';

type Fields = readonly { name: string; label?: unknown }[];

const ACTIONS: Record<string, string> = {
  create: 'Created',
  update: 'Saved',
  publish: 'Published',
  unpublish: 'Unpublished',
  restore: 'Restored',
  nullify: 'Reference cleared',
};

/** What a revision's action was, in words (`publish` → "Published"). */
export const actionLabel = (action: string): string => ACTIONS[action] ?? humanize(action);

const CHANGES: Record<string, string> = { added: 'Added', removed: 'Removed', changed: 'Changed' };

/** How a field differs, in words (`added` → "Added"). */
export const changeLabel = (change: string): string => CHANGES[change] ?? humanize(change);

/** A value to read: `json` when it is not a string (shown as compact JSON). */
export interface Shown {
  text: string;
  json: boolean;
}

/** A field value for reading: a string as it is, anything else as compact JSON; null when unset. */
export function showValue(v: unknown): Shown | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return { text: v, json: false };
  return { text: JSON.stringify(v) ?? String(v), json: true };
}

/** How much of a value is shown before "Show all". */
export const SHORT_CHARS = 160;
export const SHORT_LINES = 4;

/**
 * The start of a long value, ending at a word near `chars` characters or
 * after `lines` lines, with "…"; null when the value is short enough to
 * show whole.
 */
export function shorten(text: string, chars = SHORT_CHARS, lines = SHORT_LINES): string | null {
  let end = text.length;
  let from = 0;
  for (let i = 0; i < lines; i++) {
    const nl = text.indexOf('\n', from);
    if (nl < 0) {
      from = -1;
      break;
    }
    from = nl + 1;
  }
  if (from > 0 && from < text.length) end = from - 1;
  if (end > chars) {
    end = chars;
    const space = text.lastIndexOf(' ', chars);
    if (space > chars * 0.6) end = space;
  }
  if (end >= text.length) return null;
  let cut = text.slice(0, end);
  // Never half of a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}…`;
}

/** One row of a revision's diff, ready to show. */
export interface DiffRow {
  field: string;
  label: string;
  change: string;
  before: Shown | null;
  after: Shown | null;
}

/** A revision's diff with the editor's field labels (a field the type no longer has is humanised). */
export function diffRows(diff: readonly FieldDiff[], fields: Fields): DiffRow[] {
  return diff.map((d) => ({
    field: d.field,
    label: fieldLabelIn(fields, d.field),
    change: changeLabel(d.change),
    before: showValue(d.before),
    after: showValue(d.after),
  }));
}

/** What to say when a revision changed no field. */
export function unchangedText(action: string, previous: number | null | undefined): string {
  if (previous === null || previous === undefined) return 'This version has no field values.';
  if (action === 'publish' || action === 'unpublish') {
    return `${actionLabel(action)}: the fields are as in version ${previous}.`;
  }
  return `No field changed from version ${previous}.`;
}

/** A user id, shortened for reading ("3f2a9c1b…"). */
export const shortId = (id: string): string => (id.length > 9 ? `${id.slice(0, 8)}…` : id);

/**
 * Who saved a revision: the signed-in user's email for their own, else
 * their id shortened; "Quire" when no user did (the server itself).
 */
export function authorName(authorId: string | null | undefined, me?: { id: string; email: string } | null): string {
  if (!authorId) return 'Quire';
  return me && me.id === authorId ? me.email : shortId(authorId);
}

/**
 * "just now", "5 minutes ago", "yesterday": how long ago `iso` was, within
 * about a week of `now`; null for anything older, later or unreadable (the
 * caller shows the date).
 */
export function relativeTime(iso: string, now: number = Date.now()): string | null {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  const s = (now - t) / 1000;
  // A little clock skew is "just now" too.
  if (s < -60) return null;
  if (s < 45) return 'just now';
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  if (s < 45 * 60) return rtf.format(-Math.max(1, Math.round(s / 60)), 'minute');
  if (s < 22 * 3600) return rtf.format(-Math.max(1, Math.round(s / 3600)), 'hour');
  if (s < 6.5 * 86400) return rtf.format(-Math.max(1, Math.round(s / 86400)), 'day');
  return null;
}

/** `iso` as a date and time in the browser's locale and zone; the text itself when unreadable. */
export function localDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** An error's field path with the field's label (`sections[1].text` → "Sections[1].text"). */
export function fieldPathLabel(fields: Fields, path: string): string {
  const m = /^([^[.]+)(.*)$/.exec(path);
  return m ? fieldLabelIn(fields, m[1]) + m[2] : path;
}

/** A 422's errors as lines naming the fields ("Author: …"). */
export function problemLines(errors: readonly ProblemField[] | null | undefined, fields: Fields): string[] {
  return (errors ?? []).map((e) => (e.field ? `${fieldPathLabel(fields, e.field)}: ${e.message}` : e.message));
}

/** The editor's notice once version `n` is the working copy again. */
export const restoredNotice = (n: number): string => `Version ${n} restored as a draft — publish to make it live.`;
