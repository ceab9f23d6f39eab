// The entry form generator: pure functions from a content type's fields to
// widgets, and conversions between API values and what the inputs hold.
// No DOM, no Svelte: unit tested in form.test.ts.
import { fieldLabel } from './labels';
import { groupInputFromValue, groupValueFromInput, isGroupInput, sameGroupInput, type BlockDef, type GroupInput } from './groups';

export type FieldType =
  | 'string'
  | 'text'
  | 'richtext'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'enum'
  | 'json'
  | 'slug'
  | 'media'
  | 'relation'
  | 'component'
  | 'blocks';

/** What deleting a relation's target does to the entries that point at it. */
export type OnDelete = 'restrict' | 'nullify';

/** One field of a content type's definition, as the server writes it. */
export interface FieldDef {
  name: string;
  type: FieldType | string;
  label?: string;
  required?: boolean;
  unique?: boolean;
  default?: unknown;
  min?: number;
  max?: number;
  min_length?: number;
  max_length?: number;
  pattern?: string;
  values?: string[];
  from?: string;
  multiple?: boolean;
  accept?: string[];
  /** For relation: the api_id of the content type it points at. */
  to?: string;
  /** For relation: `restrict` (the default) or `nullify`. */
  on_delete?: OnDelete;
  /** For component: its fields, inline (or resolved from `component` by groups.ts). */
  fields?: FieldDef[];
  /** For component: the api_id of a reusable component type. */
  component?: string;
  /** For component: an ordered list of groups rather than one. */
  repeatable?: boolean;
  /** For blocks: the component types each item may be. */
  components?: string[];
  /** For blocks: those component types, resolved by groups.ts (not sent by the server). */
  blocks?: BlockDef[];
  /** A value per locale (a type's own fields); other fields are shared by all translations. */
  localized?: boolean;
}

export type WidgetKind =
  | 'text'
  | 'textarea'
  | 'richtext'
  | 'number'
  | 'checkbox'
  | 'date'
  | 'datetime-local'
  | 'select'
  | 'json'
  | 'media'
  | 'relation'
  | 'group'
  | 'blocks';

export interface Widget {
  /** The field's name: the key in the entry's data. */
  name: string;
  /** The visible label: field.label, or field.name humanised. */
  label: string;
  kind: WidgetKind;
  fieldType: string;
  required: boolean;
  /** For enum: the values to pick from. */
  options?: string[];
  /** For media and relation: a list rather than one. */
  multiple?: boolean;
  /** For relation: the content type it points at. */
  to?: string;
  /** For media: accepted MIME types (`image/*`). */
  accept?: string[];
  /** For number inputs: `1` for integers, `any` for numbers. */
  step?: string;
  min?: number;
  max?: number;
  maxLength?: number;
  minLength?: number;
  /** For slugs: the field it is generated from when left empty. */
  from?: string;
  hint?: string;
  /** For group: its fields (resolved). */
  fields?: FieldDef[];
  /** For group: a list of groups rather than one. */
  repeatable?: boolean;
  /** For blocks: the kinds an item may be. */
  blocks?: BlockDef[];
  /** A value per locale; other fields are shared by all of an entry's translations. */
  localized?: boolean;
}

/** What a form control holds: text, a checkbox's state or a multi-select's ids. */
export type InputValue = string | boolean | string[] | GroupInput;

export type Converted = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * A content type's fields, wherever the API puts them (`definition.fields`).
 * Loose on purpose: drafts from the type builder pass through here too.
 */
export function fieldsOf(ct: { definition?: unknown; fields?: unknown }): FieldDef[] {
  const def = ct.definition as { fields?: unknown } | null | undefined;
  const fields = (def && Array.isArray(def.fields) ? def.fields : ct.fields) ?? [];
  return Array.isArray(fields)
    ? fields.filter((f): f is FieldDef => !!f && typeof f === 'object' && typeof f.name === 'string')
    : [];
}

const KIND: Record<string, WidgetKind> = {
  string: 'text',
  slug: 'text',
  text: 'textarea',
  richtext: 'richtext',
  integer: 'number',
  number: 'number',
  boolean: 'checkbox',
  date: 'date',
  datetime: 'datetime-local',
  enum: 'select',
  json: 'json',
  media: 'media',
  relation: 'relation',
  component: 'group',
  blocks: 'blocks',
};

export function fieldToWidget(f: FieldDef): Widget {
  const kind = KIND[f.type] ?? 'text';
  const w: Widget = {
    name: f.name,
    label: fieldLabel(f),
    kind,
    fieldType: f.type,
    required: !!f.required,
  };
  if (kind === 'select') w.options = [...(f.values ?? [])];
  if (kind === 'media') {
    w.multiple = !!f.multiple;
    if (f.accept) w.accept = [...f.accept];
  }
  if (kind === 'group') {
    w.fields = [...(f.fields ?? [])];
    w.repeatable = !!f.repeatable;
  }
  if (kind === 'blocks') w.blocks = [...(f.blocks ?? [])];
  if (kind === 'relation') {
    w.multiple = !!f.multiple;
    w.to = typeof f.to === 'string' ? f.to : '';
  }
  if (kind === 'number') {
    w.step = f.type === 'integer' ? '1' : 'any';
    if (typeof f.min === 'number') w.min = f.min;
    if (typeof f.max === 'number') w.max = f.max;
  }
  if (typeof f.max_length === 'number') w.maxLength = f.max_length;
  if (typeof f.min_length === 'number') w.minLength = f.min_length;
  if (f.type === 'slug' && f.from) {
    w.from = f.from;
    w.hint = `Made from ${f.from} when left empty.`;
  }
  if (f.type === 'datetime') w.hint = 'Your local time; stored in UTC.';
  if (f.type === 'json') w.hint = 'JSON.';
  if (f.type === 'richtext') w.hint = 'Saved as Markdown.';
  if (f.localized) w.localized = true;
  return w;
}

/** One widget per field of the content type, in the definition's order. */
export function fieldsToWidgets(ct: { definition?: unknown; fields?: unknown }): Widget[] {
  return fieldsOf(ct).map(fieldToWidget);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** RFC 3339 (any offset) → `YYYY-MM-DDTHH:mm[:ss]` in the browser's local time. */
export function rfc3339ToLocalInput(value: string): string {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  const base =
    `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.getSeconds() || d.getMilliseconds() ? `${base}:${pad(d.getSeconds())}` : base;
}

/** `YYYY-MM-DDTHH:mm[:ss]` in local time → RFC 3339 in UTC (`…Z`), or null if invalid. */
export function localInputToRfc3339(input: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/.exec(input.trim());
  if (!m) return null;
  const [, y, mo, da, h, mi, s, ms] = m;
  const d = new Date(+y, +mo - 1, +da, +h, +mi, s ? +s : 0, ms ? +ms.padEnd(3, '0') : 0);
  if (Number.isNaN(d.getTime())) return null;
  if (d.getFullYear() !== +y || d.getMonth() !== +mo - 1 || d.getDate() !== +da) return null;
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

/** An id, or the id of a populated object (`{id, …}`); '' otherwise. */
function idOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string') return (v as { id: string }).id;
  return '';
}

/** Ids in order, each once, none empty. */
export function uniqueIds(ids: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const v of ids) {
    const id = idOf(v);
    if (id && !out.includes(id)) out.push(id);
  }
  return out;
}

/** An API value → what the widget's control holds. */
export function inputFromValue(w: Widget, value: unknown): InputValue {
  switch (w.kind) {
    case 'group':
    case 'blocks':
      return groupInputFromValue(w, value);
    case 'checkbox':
      return value === true;
    case 'media':
      if (w.multiple) {
        if (Array.isArray(value)) return value.filter((v) => typeof v === 'string');
        return typeof value === 'string' && value ? [value] : [];
      }
      if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : '';
      return typeof value === 'string' ? value : '';
    case 'relation':
      // Ids; a populated target (`{id, …}`) counts as its id.
      if (w.multiple) return uniqueIds(Array.isArray(value) ? value : [value]);
      return idOf(Array.isArray(value) ? value[0] : value);
    case 'json':
      return value === null || value === undefined ? '' : JSON.stringify(value, null, 2);
    case 'datetime-local':
      return typeof value === 'string' && value ? rfc3339ToLocalInput(value) : '';
    case 'date':
      return typeof value === 'string' ? value.slice(0, 10) : '';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? String(value) : '';
    default:
      if (value === null || value === undefined) return '';
      return typeof value === 'string' ? value : String(value);
  }
}

/** What a widget's control holds → the API value (`null` clears), or an error to show. */
export function valueFromInput(w: Widget, input: InputValue): Converted {
  if (w.kind === 'checkbox') return { ok: true, value: input === true };
  if (w.kind === 'group' || w.kind === 'blocks') return groupValueFromInput(w, input);
  if (w.kind === 'media' && w.multiple) {
    const ids = Array.isArray(input) ? input : typeof input === 'string' && input ? [input] : [];
    return { ok: true, value: ids.length ? ids : null };
  }
  if (w.kind === 'relation' && w.multiple) {
    // An ordered list without duplicates; an empty one clears the field.
    const ids = uniqueIds(Array.isArray(input) ? input : [input]);
    return { ok: true, value: ids.length ? ids : null };
  }
  const text = Array.isArray(input) ? (input[0] ?? '') : typeof input === 'string' ? input : '';
  switch (w.kind) {
    case 'number': {
      const t = text.trim();
      if (!t) return { ok: true, value: null };
      const n = Number(t);
      if (!Number.isFinite(n)) return { ok: false, error: 'Enter a number.' };
      if (w.fieldType === 'integer' && !Number.isInteger(n)) return { ok: false, error: 'Enter a whole number.' };
      return { ok: true, value: n };
    }
    case 'json': {
      if (!text.trim()) return { ok: true, value: null };
      try {
        return { ok: true, value: JSON.parse(text) };
      } catch (e) {
        return { ok: false, error: `Invalid JSON: ${e instanceof Error ? e.message : String(e)}` };
      }
    }
    case 'datetime-local': {
      if (!text.trim()) return { ok: true, value: null };
      const v = localInputToRfc3339(text);
      return v ? { ok: true, value: v } : { ok: false, error: 'Enter a date and time.' };
    }
    case 'date': {
      if (!text.trim()) return { ok: true, value: null };
      return /^\d{4}-\d{2}-\d{2}$/.test(text.trim())
        ? { ok: true, value: text.trim() }
        : { ok: false, error: 'Enter a date (YYYY-MM-DD).' };
    }
    default:
      return { ok: true, value: text === '' ? null : text };
  }
}

/** The inputs for an entry's data (or, with no data, for a new entry: the fields' defaults). */
export function inputsFromData(widgets: Widget[], data: Record<string, unknown> | null, defaults?: FieldDef[]): Record<string, InputValue> {
  const out: Record<string, InputValue> = {};
  for (const w of widgets) {
    let v = data ? data[w.name] : undefined;
    if (!data && defaults) v = defaults.find((f) => f.name === w.name)?.default;
    out[w.name] = inputFromValue(w, v ?? null);
  }
  return out;
}

export function sameInput(a: InputValue | undefined, b: InputValue | undefined): boolean {
  if (isGroupInput(a) || isGroupInput(b)) return isGroupInput(a) && isGroupInput(b) && sameGroupInput(a, b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  return a === b;
}

/** Names of the widgets whose input differs from the original. */
export function changedFields(widgets: Widget[], original: Record<string, InputValue>, current: Record<string, InputValue>): string[] {
  return widgets.filter((w) => !sameInput(original[w.name], current[w.name])).map((w) => w.name);
}

/**
 * Converts inputs to a data object. `only` limits it to some fields (a PATCH
 * sends only what changed); `skipNull` leaves out empty ones (a create).
 */
export function collectData(
  widgets: Widget[],
  inputs: Record<string, InputValue>,
  opts: { only?: string[]; skipNull?: boolean } = {},
): { data: Record<string, unknown>; errors: Record<string, string> } {
  const data: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const w of widgets) {
    if (opts.only && !opts.only.includes(w.name)) continue;
    const r = valueFromInput(w, inputs[w.name] ?? inputFromValue(w, null));
    if (!r.ok) errors[w.name] = r.error;
    else if (!(opts.skipNull && r.value === null)) data[w.name] = r.value;
  }
  return { data, errors };
}

/** Maps a problem's `errors[].field` (`title`, `data.title`, `/data/title`, `tags[0]`) to a field name. */
export function fieldNameOf(path: string, names: string[]): string | null {
  if (names.includes(path)) return path;
  const cleaned = path.replace(/^\/?data[./]/, '').replace(/^\//, '');
  const head = cleaned.split(/[.[/]/)[0];
  return names.includes(head) ? head : null;
}

const STRINGISH = new Set(['string', 'slug', 'text', 'enum']);

/** The list view's columns: the first three string-ish fields. */
export function listColumns(ct: { definition?: unknown; fields?: unknown }): Widget[] {
  return fieldsToWidgets(ct)
    .filter((w) => STRINGISH.has(w.fieldType))
    .slice(0, 3);
}

/** A value shortened for a table cell. */
export function cellText(value: unknown, max = 80): string {
  if (value === null || value === undefined || value === '') return '';
  const s = typeof value === 'string' ? value : typeof value === 'boolean' ? (value ? 'Yes' : 'No') : JSON.stringify(value);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

// ---- relations ----

/**
 * The fields that name an entry of a type, best first: its first string
 * field, then its first slug field. Empty when it has neither.
 */
export function labelFields(ct: { definition?: unknown; fields?: unknown } | null | undefined): string[] {
  if (!ct) return [];
  const fields = fieldsOf(ct);
  const out: string[] = [];
  for (const t of ['string', 'slug']) {
    const f = fields.find((x) => x.type === t);
    if (f) out.push(f.name);
  }
  return out;
}

/** The field a relation picker searches with `filter[…][contains]`: the first label field, else the id. */
export function searchField(ct: { definition?: unknown; fields?: unknown } | null | undefined): string {
  return labelFields(ct)[0] ?? 'id';
}

/** A readable name for an entry: the first non-empty label field, else its id. */
export function entryLabel(data: Record<string, unknown>, fields: string[], id: string): string {
  for (const f of fields) {
    const v = data[f];
    if (typeof v === 'string' && v.trim()) return cellText(v.trim(), 120);
  }
  return id;
}

/** The list with the item at `from` moved by `by` places (clamped); a copy. */
export function moveItem<T>(list: readonly T[], from: number, by: number): T[] {
  const out = [...list];
  if (from < 0 || from >= out.length) return out;
  const to = Math.max(0, Math.min(out.length - 1, from + by));
  const [item] = out.splice(from, 1);
  out.splice(to, 0, item);
  return out;
}
