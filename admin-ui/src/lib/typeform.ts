// The content-type builder's form: a definition (as POST/PUT
// /content-types take it) <-> editable rows. Pure; tested in typeform.test.ts.
import { CACHE_INPUTS, cacheToForm, emptyCache, formToCache, type CacheForm } from './cachecontrol';

export const FIELD_TYPES = [
  'string',
  'text',
  'richtext',
  'integer',
  'number',
  'boolean',
  'date',
  'datetime',
  'enum',
  'json',
  'slug',
  'media',
  'relation',
  'component',
  'blocks',
] as const;

/** What deleting a relation's target does, as the builder offers it (default first). */
export const ON_DELETE = [
  ['restrict', 'Refuse the delete'],
  ['nullify', 'Remove the link'],
] as const;

export const KINDS = ['collection', 'singleton', 'component'] as const;

/** Levels of fields, a type's own the first: a field this deep cannot have inline fields (the server's limit). */
export const MAX_NESTING = 5;

/**
 * Where a list of rows sits: a type's own fields are depth 1, an inline
 * component's one more. Inside a component (and in a component type) slugs,
 * `unique`, `searchable`, `localized` and `on_delete: nullify` do not apply.
 */
export interface RowPlace {
  depth: number;
  inComponent: boolean;
}

export const TOP_PLACE: RowPlace = { depth: 1, inComponent: false };

/** One field as the form holds it: flags as booleans, rules as the inputs' text. */
export interface FieldRow {
  name: string;
  type: string;
  required: boolean;
  unique: boolean;
  searchable: boolean;
  /** A database index on the live values, for fast public filters (`index`). */
  index: boolean;
  multiple: boolean;
  maxLength: string;
  min: string;
  max: string;
  /** Enum values, comma-separated. */
  values: string;
  from: string;
  /** Media MIME types, comma-separated. */
  accept: string;
  /** Relation: the api_id of the type it points at. */
  to: string;
  /** Relation: `restrict`, `nullify`, or '' for the server's default (restrict). */
  onDelete: string;
  /** Component: the api_id of a reusable component type (used when not `inline`). */
  component: string;
  /** Component: its own fields, defined here (`fields`), rather than a reusable `component`. */
  inline: boolean;
  /** Component: the inline fields, as rows (kept while `inline` is off, sent only while on). */
  fields: FieldRow[];
  /** Component: a list of groups rather than one. */
  repeatable: boolean;
  /** Blocks: the component types an item may be. */
  components: string[];
  /** A value per locale ("Translated per language"); a component type's fields are never. */
  localized: boolean;
  /** Keys the form does not edit (`label`, `default`, `pattern`, `boost` …), kept as they were. */
  extra: Record<string, unknown>;
  /** The type the field had when loaded: `default` is kept only while it is unchanged. */
  origType: string | null;
  /** The name the field had when loaded (null for a new row): another name now is a rename. */
  origName: string | null;
}

export interface TypeForm {
  apiId: string;
  name: string;
  kind: string;
  fields: FieldRow[];
  /** HTTP cache lifetimes (`cache`); kept while the kind is component, sent only otherwise. */
  cache: CacheForm;
  /** Where the type's site shows a working copy (`preview_url`); '' for none. Sent only for a type with entries. */
  previewUrl: string;
  /** Top-level keys the form does not edit (`language` …). */
  extra: Record<string, unknown>;
  /** The fields' names when the type was loaded (removed rows' too). */
  origNames: string[];
}

const TEXTUAL = new Set(['string', 'text', 'richtext', 'slug']);
const SEARCHABLE = new Set(['string', 'text', 'richtext']);
/** Scalar types a database index can hold (the server's `can_be_indexed`). */
const INDEXED = new Set(['string', 'integer', 'number', 'boolean', 'date', 'datetime', 'enum']);
const PATTERNED = new Set(['string', 'text', 'slug']);
const NUMERIC = new Set(['integer', 'number']);

/** Which rule inputs a field type shows. */
export function rulesFor(type: string) {
  return {
    maxLength: TEXTUAL.has(type),
    minMax: NUMERIC.has(type),
    values: type === 'enum',
    from: type === 'slug',
    media: type === 'media',
    relation: type === 'relation',
    component: type === 'component',
    blocks: type === 'blocks',
    /** A list rather than one: media's "Multiple", relation's "Many". */
    multiple: type === 'media' || type === 'relation',
    searchable: SEARCHABLE.has(type),
    indexed: INDEXED.has(type),
  };
}

const EDITED = new Set([
  'name', 'type', 'required', 'unique', 'searchable', 'index', 'multiple', 'max_length', 'min', 'max', 'values', 'from', 'accept', 'to', 'on_delete',
  'component', 'repeatable', 'components', 'localized', 'fields',
]);
const TOP = new Set(['api_id', 'name', 'kind', 'cache', 'preview_url', 'fields']);

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : '');
const list = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string').join(', ') : '');
const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export function emptyRow(): FieldRow {
  return {
    name: '',
    type: 'string',
    required: false,
    unique: false,
    searchable: false,
    index: false,
    multiple: false,
    maxLength: '',
    min: '',
    max: '',
    values: '',
    from: '',
    accept: '',
    to: '',
    onDelete: '',
    component: '',
    inline: false,
    fields: [],
    repeatable: false,
    components: [],
    localized: false,
    extra: {},
    origType: null,
    origName: null,
  };
}

export function emptyForm(): TypeForm {
  return { apiId: '', name: '', kind: 'collection', fields: [emptyRow()], cache: emptyCache(), previewUrl: '', extra: {}, origNames: [] };
}

export function fieldToRow(field: unknown): FieldRow {
  const f = obj(field);
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) if (!EDITED.has(k)) extra[k] = v;
  const type = typeof f.type === 'string' ? f.type : 'string';
  const name = typeof f.name === 'string' ? f.name : '';
  return {
    name,
    type,
    required: f.required === true,
    unique: f.unique === true,
    searchable: f.searchable === true,
    index: f.index === true,
    multiple: f.multiple === true,
    maxLength: num(f.max_length),
    min: num(f.min),
    max: num(f.max),
    values: list(f.values),
    from: typeof f.from === 'string' ? f.from : '',
    accept: list(f.accept),
    to: typeof f.to === 'string' ? f.to : '',
    onDelete: typeof f.on_delete === 'string' ? f.on_delete : '',
    component: typeof f.component === 'string' ? f.component : '',
    inline: Array.isArray(f.fields) && typeof f.component !== 'string',
    fields: Array.isArray(f.fields) ? f.fields.map(fieldToRow) : [],
    repeatable: f.repeatable === true,
    components: Array.isArray(f.components) ? f.components.filter((x): x is string => typeof x === 'string') : [],
    localized: f.localized === true,
    extra,
    origType: type,
    origName: name || null,
  };
}

/** A definition (ContentTypeOut.definition, or the type itself) → the form. */
export function definitionToForm(def: unknown): TypeForm {
  const d = obj(def);
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) if (!TOP.has(k)) extra[k] = v;
  const fields = Array.isArray(d.fields) ? d.fields.map(fieldToRow) : [];
  return {
    apiId: typeof d.api_id === 'string' ? d.api_id : '',
    name: typeof d.name === 'string' ? d.name : '',
    kind: typeof d.kind === 'string' ? d.kind : 'collection',
    fields,
    cache: cacheToForm(d.cache),
    previewUrl: typeof d.preview_url === 'string' ? d.preview_url : '',
    extra,
    origNames: fields.flatMap((r) => (r.origName === null ? [] : [r.origName])),
  };
}

const splitList = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

export type RowErrors = Record<string, string>;

/**
 * The old name when the row renames a field that existed when the type was
 * loaded (its values move to the new name); null when the name is unchanged
 * (back to the original, too) or the field is new.
 */
export function renamedFrom(row: FieldRow): string | null {
  const name = row.name.trim();
  return row.origName !== null && name && name !== row.origName ? row.origName : null;
}

/**
 * One row → a field definition, or what is wrong with its inputs (by input
 * key; an inline component's inner rows as `fields[1].name` …). `place` says
 * where the row sits: inside a component the rules that do not apply there
 * are left out, whatever the row holds.
 */
export function rowToField(row: FieldRow, place: RowPlace = TOP_PLACE): { field: Record<string, unknown>; errors: RowErrors } {
  const errors: RowErrors = {};
  const rules = rulesFor(row.type);
  const own = !place.inComponent;
  const field: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row.extra)) {
    if (k === 'default' && row.origType !== null && row.origType !== row.type) continue;
    if ((k === 'min_length') && !rules.maxLength) continue;
    if (k === 'pattern' && !PATTERNED.has(row.type)) continue;
    if (k === 'boost' && (!rules.searchable || !own)) continue;
    field[k] = v;
  }
  // A rename sends `renamed_from`; a loaded one (already applied) stays as it
  // was. Only a type's own fields are renamed with their values.
  const from = place.depth === 1 ? renamedFrom(row) : null;
  if (from) field.renamed_from = from;
  field.name = row.name.trim();
  field.type = row.type;
  if (row.required) field.required = true;
  if (own && row.unique) field.unique = true;
  if (own && row.localized) field.localized = true;
  if (own && rules.searchable && row.searchable) field.searchable = true;
  if (own && rules.indexed && row.index) field.index = true;
  if (!own && row.type === 'slug') errors.type = 'A slug is not allowed inside a component: choose another type.';
  if (!own && field.name === 'kind') errors.name = '“kind” is taken inside a component: it tags each item of a blocks field.';
  const number = (key: string, text: string, integer: boolean) => {
    const t = text.trim();
    if (!t) return undefined;
    const n = Number(t);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      errors[key] = integer ? 'Enter a whole number.' : 'Enter a number.';
      return undefined;
    }
    return n;
  };
  if (rules.maxLength) {
    const n = number('maxLength', row.maxLength, true);
    if (n !== undefined) field.max_length = n;
  }
  if (rules.minMax) {
    const int = row.type === 'integer';
    const lo = number('min', row.min, int);
    const hi = number('max', row.max, int);
    if (lo !== undefined) field.min = lo;
    if (hi !== undefined) field.max = hi;
    if (lo !== undefined && hi !== undefined && lo > hi) errors.max = 'Max is below min.';
  }
  if (rules.values) {
    const values = splitList(row.values);
    if (!values.length) errors.values = 'List at least one value, comma-separated.';
    field.values = values;
  }
  if (rules.from && row.from.trim()) field.from = row.from.trim();
  if (rules.multiple && row.multiple) field.multiple = true;
  if (rules.media) {
    const accept = splitList(row.accept);
    if (accept.length) field.accept = accept;
  }
  if (rules.relation) {
    const to = row.to.trim();
    if (to) field.to = to;
    else errors.to = 'Choose the type it points to.';
    // Inside a component a target is always kept while linked (`restrict`).
    if (row.onDelete && (own || row.onDelete !== 'nullify')) field.on_delete = row.onDelete;
  }
  if (rules.component) {
    if (row.inline) {
      if (place.depth >= MAX_NESTING) errors.fields = `Components nest at most ${MAX_NESTING} levels: choose a reusable component here.`;
      const inner = rowsToFields(row.fields, { depth: place.depth + 1, inComponent: true });
      field.fields = inner.fields;
      Object.assign(errors, inner.errors);
    } else {
      const component = row.component.trim();
      if (component) field.component = component;
      else errors.component = 'Choose a component type.';
    }
    if (row.repeatable) field.repeatable = true;
  }
  if (rules.blocks) {
    const kinds = [...new Set(row.components.map((c) => c.trim()).filter(Boolean))];
    if (!kinds.length) errors.components = 'Choose at least one component type.';
    field.components = kinds;
  }
  if (!field.name) errors.name = 'Enter a field name.';
  return { field, errors };
}

/**
 * A list of rows (a type's own, or an inline component's) → field
 * definitions, with the errors keyed `fields[2].name`, `fields[1].fields[0].to` ….
 * `origNames` (a type's own fields only) are the names when the type was loaded.
 */
export function rowsToFields(
  rows: readonly FieldRow[],
  place: RowPlace,
  origNames: readonly string[] = [],
): { fields: Record<string, unknown>[]; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const fields = rows.map((row, i) => {
    const r = rowToField(row, place);
    for (const [k, m] of Object.entries(r.errors)) errors[`fields[${i}].${k}`] = m;
    return r.field;
  });
  const names = fields.map((f) => f.name);
  names.forEach((n, i) => {
    if (n && names.indexOf(n) !== i) errors[`fields[${i}].name`] = `“${n}” is used by another field.`;
    // The server takes a field that has the new name already as that field
    // (a rename onto it would drop the moved values): one step at a time.
    else if (place.depth === 1 && renamedFrom(rows[i]) && origNames.includes(n as string))
      errors[`fields[${i}].name`] = `“${n}” was another field’s name when this type was opened: save that change first, then rename this one.`;
  });
  return { fields, errors };
}

/**
 * The form → a definition for POST/PUT, or the input errors (`api_id`,
 * `fields[2].values`, `fields[1].fields[0].name`, `cache.max_age` …). With
 * no lifetime set, or for a component type (no public answers), the
 * definition has no `cache`; likewise no `preview_url` when it is empty, or
 * for a component type (no entries to preview).
 */
export function formToDefinition(form: TypeForm): { definition: Record<string, unknown>; errors: Record<string, string> } {
  const component = form.kind === 'component';
  // A component type's own fields are a component's: no slug, unique, search, per-language value.
  const { fields, errors } = rowsToFields(form.fields, { depth: 1, inComponent: component }, form.origNames);
  if (!form.apiId.trim()) errors.api_id = 'Enter an API id.';
  if (!form.name.trim()) errors.name = 'Enter a name.';
  const cache = component ? { cache: undefined, errors: {} } : formToCache(form.cache);
  Object.assign(errors, cache.errors);
  // The server checks the template (scheme, placeholders) and names `preview_url` when it refuses it.
  const previewUrl = component ? '' : form.previewUrl.trim();
  const definition: Record<string, unknown> = {
    ...form.extra,
    api_id: form.apiId.trim(),
    name: form.name.trim(),
    kind: form.kind,
    ...(cache.cache ? { cache: cache.cache } : {}),
    ...(previewUrl ? { preview_url: previewUrl } : {}),
    fields,
  };
  return { definition, errors };
}

const INPUT_OF: Record<string, string> = { max_length: 'maxLength', min_length: 'maxLength', on_delete: 'onDelete' };

const CACHE_KEYS = new Set<string>(CACHE_INPUTS.map(([key]) => key));

/**
 * Where an API error's path points: `fields[2].name` → row 2, input `name`;
 * `fields[1]` → row 1; an inline component's inner field,
 * `fields[2].fields[0].max_length`, → row 2, input `fields[0].maxLength` (so
 * that `errorKey` gives the inner row's key); `api_id`/`name`/`kind`/
 * `preview_url` → the top inputs; `cache.max_age` … → that cache input, any
 * other `cache` path → the cache settings as a whole (`cache`). Null otherwise.
 */
export function errorTarget(path: string): { row: number | null; input: string } | null {
  const p = path
    .replace(/^\//, '')
    .replace(/\//g, '.')
    .replace(/(^|\.)fields\.(\d+)(?=\.|$)/g, '$1fields[$2]');
  const m = /^fields\[(\d+)\]((?:\.fields\[\d+\])*)(?:\.(\w+))?/.exec(p);
  if (m) {
    const row = Number(m[1]);
    const inner = m[2].slice(1);
    const key = m[3];
    if (key === undefined) return { row, input: inner || 'row' };
    const input = INPUT_OF[key] ?? key;
    return { row, input: inner ? `${inner}.${input}` : input };
  }
  const top = p.split(/[.[]/)[0];
  if (top === 'api_id' || top === 'name' || top === 'kind' || top === 'preview_url') return { row: null, input: top };
  if (top === 'cache') {
    const key = /^cache\.(\w+)$/.exec(p)?.[1];
    return { row: null, input: key && CACHE_KEYS.has(key) ? `cache.${key}` : 'cache' };
  }
  return null;
}

/** Placeholders a preview address may use: the built-in ones, then the type's own fields by name. */
export function previewPlaceholders(form: TypeForm): string[] {
  const names = form.fields.map((r) => r.name.trim()).filter(Boolean);
  return [...new Set(['id', 'locale', 'token', ...names])].map((n) => `{${n}}`);
}

/** Refusals whose `field` is a field's name (a schema change's effect on entries), and the input to mark. */
const BY_NAME: Record<string, string> = {
  conversion: 'type',
  type_changed: 'type',
  required_without_default: 'name',
  unique: 'name',
};

/**
 * Where a problem's error points: a field named in a refusal about its
 * values (`{field: "minutes", rule: "conversion"}`) → that row's input, by
 * the rows' current names; otherwise as `errorTarget` reads the path.
 */
export function problemTarget(
  error: { field: string; rule: string },
  names: readonly string[],
): { row: number | null; input: string } | null {
  const input = BY_NAME[error.rule];
  const row = names.indexOf(error.field);
  if (input && row >= 0) return { row, input };
  return errorTarget(error.field);
}

/** Keys for per-input errors: `api_id`, `fields[2].name`. */
export const errorKey = (t: { row: number | null; input: string }) => (t.row === null ? t.input : `fields[${t.row}].${t.input}`);
