// Components and blocks in the entry form: a `component` field is a group of
// fields (a list of groups when repeatable); a `blocks` field is an ordered
// list of groups, each of a kind (a component type). Pure: resolving reusable
// component definitions, the form state of groups and lists, the value they
// submit, and where an error path points. Tested in groups.test.ts.
import {
  cellText,
  fieldsOf,
  fieldToWidget,
  inputFromValue,
  sameInput,
  valueFromInput,
  type Converted,
  type FieldDef,
  type InputValue,
  type Widget,
} from './form';

/** One kind a blocks field offers: a component type, its fields resolved. */
export interface BlockDef {
  /** The component type's api_id: the item's `kind`. */
  kind: string;
  /** The component type's name. */
  label: string;
  fields: FieldDef[];
}

/** One group of fields in the form: an item of a list, or a single group. */
export interface GroupItem {
  /** Stable across moves (for keyed lists); never sent. */
  key: string;
  /** For blocks: the component api_id. */
  kind?: string;
  inputs: Record<string, InputValue>;
  /** Keys the definition does not know, sent back as they came. */
  extra?: Record<string, unknown>;
}

/** What a component or blocks field holds in the form. A single group is one item. */
export interface GroupInput {
  items: GroupItem[];
}

/** A type as the types list holds it. */
type TypeLike = { api_id: string; name?: string; kind?: string; definition?: unknown; fields?: unknown };

/** Deepest nesting the server accepts; deeper definitions resolve to nothing (and cycles end). */
export const MAX_DEPTH = 5;

/** Whether a type has entries (collections, singletons), not a component. */
export function hasEntries(t: { kind?: string | null }): boolean {
  return t.kind !== 'component';
}

/** The types whose entries can be browsed and edited. */
export function entryTypes<T extends { kind?: string | null }>(types: readonly T[]): T[] {
  return types.filter(hasEntries);
}

/**
 * A field with its component definitions filled in: a reusable component's
 * fields as `fields`, each blocks kind as `blocks`, nested ones too.
 */
export function resolveField(f: FieldDef, types: readonly TypeLike[], depth = 1): FieldDef {
  const find = (id: string) => types.find((t) => t.api_id === id);
  const nested = (fields: FieldDef[]) => (depth >= MAX_DEPTH + 1 ? [] : fields.map((x) => resolveField(x, types, depth + 1)));
  if (f.type === 'component') {
    const own = Array.isArray(f.fields) ? fieldsOf({ fields: f.fields }) : null;
    const ref = !own && typeof f.component === 'string' ? find(f.component) : undefined;
    return { ...f, fields: nested(own ?? (ref ? fieldsOf(ref) : [])) };
  }
  if (f.type === 'blocks') {
    const kinds = Array.isArray(f.components) ? f.components.filter((k): k is string => typeof k === 'string') : [];
    return {
      ...f,
      blocks: kinds.map((kind) => {
        const t = find(kind);
        return { kind, label: t?.name || kind, fields: t ? nested(fieldsOf(t)) : [] };
      }),
    };
  }
  return f;
}

/** The entry form's widgets for a type, components resolved from the types list. */
export function entryWidgets(ct: { definition?: unknown; fields?: unknown }, types: readonly TypeLike[]): Widget[] {
  return fieldsOf(ct).map((f) => fieldToWidget(resolveField(f, types)));
}

export const isGroupWidget = (w: Widget) => w.kind === 'group' || w.kind === 'blocks';
/** A list of items (blocks, a repeatable component), not one group. */
export const isList = (w: Widget) => w.kind === 'blocks' || (w.kind === 'group' && !!w.repeatable);

/** The fields of one item: the widget's own, or its kind's for blocks. */
export function itemFields(w: Widget, kind?: string): FieldDef[] {
  if (w.kind === 'blocks') return w.blocks?.find((b) => b.kind === kind)?.fields ?? [];
  return w.fields ?? [];
}

export function itemWidgets(w: Widget, kind?: string): Widget[] {
  return itemFields(w, kind).map(fieldToWidget);
}

/** The label of a blocks kind: its component type's name. */
export function kindLabel(w: Widget, kind: string | undefined): string {
  return w.blocks?.find((b) => b.kind === kind)?.label ?? kind ?? '';
}

let seq = 0;
const newKey = () => `g${++seq}`;

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** An item from a stored object (or, with none, a new one with the fields' defaults). */
export function itemFromValue(fields: FieldDef[], value: Record<string, unknown> | null, kind?: string): GroupItem {
  const inputs: Record<string, InputValue> = {};
  for (const f of fields) {
    const v = value ? value[f.name] : f.default;
    inputs[f.name] = inputFromValue(fieldToWidget(f), v ?? null);
  }
  const item: GroupItem = { key: newKey(), inputs };
  if (kind !== undefined) item.kind = kind;
  if (value) {
    const extra: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k !== 'kind' && !fields.some((f) => f.name === k)) extra[k] = v;
    if (Object.keys(extra).length) item.extra = extra;
  }
  return item;
}

/** A stored value → the form's groups. */
export function groupInputFromValue(w: Widget, value: unknown): GroupInput {
  if (w.kind === 'blocks') {
    const list = Array.isArray(value) ? value.filter(isObject) : [];
    return {
      items: list.map((v) => {
        const kind = typeof v.kind === 'string' ? v.kind : '';
        return itemFromValue(itemFields(w, kind), v, kind);
      }),
    };
  }
  const fields = w.fields ?? [];
  if (w.repeatable) {
    const list = Array.isArray(value) ? value.filter(isObject) : [];
    return { items: list.map((v) => itemFromValue(fields, v)) };
  }
  return { items: [itemFromValue(fields, isObject(value) ? value : null)] };
}

/** What a form value holds as groups (anything else: none). */
export function asGroup(v: InputValue | undefined): GroupInput {
  return isObject(v) && Array.isArray((v as Partial<GroupInput>).items) ? (v as GroupInput) : { items: [] };
}

export function isGroupInput(v: unknown): v is GroupInput {
  return isObject(v) && Array.isArray((v as Partial<GroupInput>).items);
}

// ---- list operations: each returns a new value ----

/** A new item at the end (for blocks, of `kind`). */
export function addItem(w: Widget, g: GroupInput, kind?: string): GroupInput {
  const item = itemFromValue(itemFields(w, kind), null, w.kind === 'blocks' ? (kind ?? '') : undefined);
  return { items: [...g.items, item] };
}

export function removeItem(g: GroupInput, index: number): GroupInput {
  return { items: g.items.filter((_, i) => i !== index) };
}

/** The item at `from` moved by `by` places (clamped). */
export function moveGroupItem(g: GroupInput, from: number, by: number): GroupInput {
  const items = [...g.items];
  if (from < 0 || from >= items.length) return { items };
  const to = Math.max(0, Math.min(items.length - 1, from + by));
  const [item] = items.splice(from, 1);
  items.splice(to, 0, item);
  return { items };
}

/** One field of one item set to a new input. */
export function setItemInput(g: GroupInput, index: number, name: string, value: InputValue): GroupInput {
  return { items: g.items.map((it, i) => (i === index ? { ...it, inputs: { ...it.inputs, [name]: value } } : it)) };
}

export function sameGroupInput(a: GroupInput, b: GroupInput): boolean {
  return (
    a.items.length === b.items.length &&
    a.items.every((x, i) => {
      const y = b.items[i];
      if ((x.kind ?? '') !== (y.kind ?? '')) return false;
      if (JSON.stringify(x.extra ?? {}) !== JSON.stringify(y.extra ?? {})) return false;
      const keys = new Set([...Object.keys(x.inputs), ...Object.keys(y.inputs)]);
      return [...keys].every((k) => sameInput(x.inputs[k], y.inputs[k]));
    })
  );
}

// ---- the value sent ----

/** One item's inputs → its object (empty fields left out), or the first error. */
function itemValue(widgets: Widget[], item: GroupItem, kind?: string): { value: Record<string, unknown> } | { error: string } {
  const out: Record<string, unknown> = {};
  if (kind !== undefined) out.kind = kind;
  for (const w of widgets) {
    const r = valueFromInput(w, item.inputs[w.name] ?? inputFromValue(w, null));
    if (!r.ok) return { error: `${w.label}: ${r.error}` };
    if (r.value !== null) out[w.name] = r.value;
  }
  for (const [k, v] of Object.entries(item.extra ?? {})) if (!(k in out)) out[k] = v;
  return { value: out };
}

/** Whether an object holds nothing but empty values (`false` counts as empty). */
const isEmptyGroup = (v: Record<string, unknown>) => Object.values(v).every((x) => x === null || x === false || x === '');

/**
 * The form's groups → the API value: an object for a component (null when
 * it is optional and empty), a list of objects for a repeatable component,
 * a list of `{kind, …fields}` for blocks (null when the list is empty).
 */
export function groupValueFromInput(w: Widget, input: InputValue): Converted {
  const g = asGroup(input);
  if (!isList(w)) {
    const item = g.items[0];
    if (!item) return { ok: true, value: null };
    const r = itemValue(itemWidgets(w), item);
    if ('error' in r) return { ok: false, error: r.error };
    return { ok: true, value: !w.required && isEmptyGroup(r.value) ? null : r.value };
  }
  const out: Record<string, unknown>[] = [];
  for (const [i, item] of g.items.entries()) {
    const blocks = w.kind === 'blocks';
    const r = itemValue(itemWidgets(w, item.kind), item, blocks ? (item.kind ?? '') : undefined);
    if ('error' in r) return { ok: false, error: `Item ${i + 1} · ${r.error}` };
    out.push(r.value);
  }
  return { ok: true, value: out.length ? out : null };
}

// ---- titles ----

const TEXTY = new Set(['text', 'textarea', 'richtext']);

/** An item's first non-empty text value, shortened; '' when none. */
export function itemSummary(widgets: Widget[], item: GroupItem, max = 60): string {
  for (const w of widgets) {
    if (!TEXTY.has(w.kind)) continue;
    const v = item.inputs[w.name];
    if (typeof v === 'string' && v.trim()) return cellText(v.trim().replace(/\s+/g, ' '), max);
  }
  return '';
}

/** An item's title: `2. Hero — Welcome`. */
export function itemTitle(w: Widget, item: GroupItem, index: number): string {
  const name = w.kind === 'blocks' ? kindLabel(w, item.kind) || 'Block' : w.label;
  const summary = itemSummary(itemWidgets(w, item.kind), item);
  return `${index + 1}. ${name}${summary ? ` — ${summary}` : ''}`;
}

// ---- error paths ----

/**
 * A problem's error path in one spelling: `data.body[1].text`,
 * `/data/body/1/text` and `body.1.text` all become `body[1].text`.
 */
export function normalizePath(path: string): string {
  let p = path.trim();
  if (p.startsWith('/')) p = p.slice(1).replace(/\//g, '.');
  p = p.replace(/^data[.[]/, (m) => (m === 'data[' ? '[' : ''));
  p = p.replace(/\.(\d+)(?=\.|\[|$)/g, '[$1]');
  return p.replace(/^\./, '');
}

/**
 * The normalized path when an error points inside a group field (a field
 * of it, an item), else null: the field's own errors stay with the field.
 */
export function nestedPath(path: string, groupNames: readonly string[]): string | null {
  const p = normalizePath(path);
  const head = p.split(/[.[]/)[0];
  return groupNames.includes(head) && p.length > head.length ? p : null;
}

/** The path of an item of a list field. */
export const itemPath = (path: string, index: number) => `${path}[${index}]`;
/** The path of a field in a group. */
export const childPath = (path: string, name: string) => (path ? `${path}.${name}` : name);

/** Whether any error is at `path` or under it. */
export function hasErrorsUnder(errors: Record<string, string>, path: string): boolean {
  return Object.keys(errors).some((k) => k === path || k.startsWith(`${path}.`) || k.startsWith(`${path}[`));
}

/** The indexes of a list's items that have errors, from paths like `body[2].image`. */
export function itemsWithErrors(errors: Record<string, string>, path: string): number[] {
  const out = new Set<number>();
  const prefix = `${path}[`;
  for (const k of Object.keys(errors)) {
    if (!k.startsWith(prefix)) continue;
    const m = /^(\d+)\]/.exec(k.slice(prefix.length));
    if (m) out.add(Number(m[1]));
  }
  return [...out].sort((a, b) => a - b);
}

/** A DOM id for a path: `body[1].text` → `field-body-1-text`. */
export const pathId = (path: string) => `field-${path.replace(/[^\w-]+/g, '-').replace(/-+$/, '')}`;
