import { describe, expect, it } from 'vitest';
import {
  cellText,
  changedFields,
  collectData,
  entryLabel,
  fieldNameOf,
  fieldsOf,
  fieldsToWidgets,
  inputFromValue,
  inputsFromData,
  labelFields,
  listColumns,
  localInputToRfc3339,
  moveItem,
  rfc3339ToLocalInput,
  searchField,
  uniqueIds,
  valueFromInput,
  type FieldDef,
  type Widget,
} from './form';
import { href, parseRoute, safeNext } from './routes';

const ct = (fields: FieldDef[]) => ({ definition: { api_id: 't', name: 'T', fields } });

const articles = ct([
  { name: 'title', type: 'string', required: true, max_length: 200 },
  { name: 'slug', type: 'slug', from: 'title' },
  { name: 'summary', type: 'text', max_length: 500 },
  { name: 'body', type: 'richtext' },
  { name: 'author', type: 'string', label: 'Author name' },
  { name: 'category', type: 'enum', values: ['news', 'guide'], default: 'news' },
  { name: 'reading_minutes', type: 'integer', min: 1, max: 240 },
  { name: 'rating', type: 'number' },
  { name: 'featured', type: 'boolean', default: false },
  { name: 'event_date', type: 'date' },
  { name: 'starts_at', type: 'datetime' },
  { name: 'seo', type: 'json' },
  { name: 'cover', type: 'media', accept: ['image/*'] },
  { name: 'gallery', type: 'media', multiple: true },
]);

const w = (name: string): Widget => fieldsToWidgets(articles).find((x) => x.name === name)!;

describe('fieldsToWidgets', () => {
  it('makes one widget per field, in order, labelled by label or humanised name', () => {
    const ws = fieldsToWidgets(articles);
    expect(ws.map((x) => x.name)).toEqual([
      'title', 'slug', 'summary', 'body', 'author', 'category', 'reading_minutes',
      'rating', 'featured', 'event_date', 'starts_at', 'seo', 'cover', 'gallery',
    ]);
    expect(ws.map((x) => x.kind)).toEqual([
      'text', 'text', 'textarea', 'richtext', 'text', 'select', 'number',
      'number', 'checkbox', 'date', 'datetime-local', 'json', 'media', 'media',
    ]);
    expect(w('author').label).toBe('Author name');
    expect(w('title').label).toBe('Title');
    expect(w('reading_minutes').label).toBe('Reading minutes');
    expect(w('event_date').label).toBe('Event date');
    expect(w('title').required).toBe(true);
    expect(w('title').maxLength).toBe(200);
  });

  it('carries enum values, number steps and media options', () => {
    expect(w('category').options).toEqual(['news', 'guide']);
    expect(w('reading_minutes')).toMatchObject({ step: '1', min: 1, max: 240 });
    expect(w('rating').step).toBe('any');
    expect(w('cover')).toMatchObject({ multiple: false, accept: ['image/*'] });
    expect(w('gallery').multiple).toBe(true);
    expect(w('slug').from).toBe('title');
  });

  it('reads fields from definition, or from a top-level fields list, and skips junk', () => {
    expect(fieldsOf({ definition: null, fields: [{ name: 'a', type: 'string' }] }).map((f) => f.name)).toEqual(['a']);
    expect(fieldsOf({ definition: { fields: [null, 3, { type: 'x' }, { name: 'b', type: 'text' }] } }).map((f) => f.name)).toEqual(['b']);
    expect(fieldsOf({ definition: undefined })).toEqual([]);
  });

  it('falls back to a text input for an unknown field type', () => {
    expect(fieldsToWidgets(ct([{ name: 'x', type: 'geo' }]))[0].kind).toBe('text');
  });
});

describe('inputFromValue / valueFromInput', () => {
  it('round-trips strings, empty meaning null', () => {
    expect(inputFromValue(w('title'), 'Hello')).toBe('Hello');
    expect(inputFromValue(w('title'), null)).toBe('');
    expect(valueFromInput(w('title'), 'Hello')).toEqual({ ok: true, value: 'Hello' });
    expect(valueFromInput(w('title'), '')).toEqual({ ok: true, value: null });
    expect(valueFromInput(w('summary'), 'a\nb')).toEqual({ ok: true, value: 'a\nb' });
  });

  it('parses integers and numbers', () => {
    expect(inputFromValue(w('reading_minutes'), 20)).toBe('20');
    expect(inputFromValue(w('reading_minutes'), null)).toBe('');
    expect(valueFromInput(w('reading_minutes'), '20')).toEqual({ ok: true, value: 20 });
    expect(valueFromInput(w('reading_minutes'), '')).toEqual({ ok: true, value: null });
    expect(valueFromInput(w('reading_minutes'), '2.5').ok).toBe(false);
    expect(valueFromInput(w('reading_minutes'), 'abc').ok).toBe(false);
    expect(valueFromInput(w('rating'), '2.5')).toEqual({ ok: true, value: 2.5 });
    expect(valueFromInput(w('rating'), '-1e3')).toEqual({ ok: true, value: -1000 });
  });

  it('maps booleans to a checkbox', () => {
    expect(inputFromValue(w('featured'), true)).toBe(true);
    expect(inputFromValue(w('featured'), null)).toBe(false);
    expect(valueFromInput(w('featured'), true)).toEqual({ ok: true, value: true });
    expect(valueFromInput(w('featured'), false)).toEqual({ ok: true, value: false });
  });

  it('keeps dates as YYYY-MM-DD', () => {
    expect(inputFromValue(w('event_date'), '2026-01-31')).toBe('2026-01-31');
    expect(valueFromInput(w('event_date'), '2026-01-31')).toEqual({ ok: true, value: '2026-01-31' });
    expect(valueFromInput(w('event_date'), '')).toEqual({ ok: true, value: null });
    expect(valueFromInput(w('event_date'), '31/01/2026').ok).toBe(false);
  });

  it('converts datetimes between RFC 3339 UTC and local datetime-local input', () => {
    const utc = '2026-01-31T12:30:00Z';
    const local = inputFromValue(w('starts_at'), utc) as string;
    expect(local).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    // the input shows local wall time for that instant
    const d = new Date(utc);
    expect(local).toBe(
      `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}` +
        `T${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`,
    );
    expect(valueFromInput(w('starts_at'), local)).toEqual({ ok: true, value: utc });
    // offsets are normalised to UTC
    expect(valueFromInput(w('starts_at'), inputFromValue(w('starts_at'), '2026-06-01T10:00:00+02:00'))).toEqual({
      ok: true,
      value: '2026-06-01T08:00:00Z',
    });
    // seconds survive
    expect(valueFromInput(w('starts_at'), inputFromValue(w('starts_at'), '2026-06-01T08:00:05Z'))).toEqual({
      ok: true,
      value: '2026-06-01T08:00:05Z',
    });
    expect(valueFromInput(w('starts_at'), '')).toEqual({ ok: true, value: null });
    expect(valueFromInput(w('starts_at'), 'tomorrow').ok).toBe(false);
    expect(inputFromValue(w('starts_at'), 'not a date')).toBe('');
  });

  it('rejects impossible local datetimes', () => {
    expect(localInputToRfc3339('2026-02-31T10:00')).toBeNull();
    expect(rfc3339ToLocalInput('garbage')).toBe('');
  });

  it('parses JSON and reports invalid JSON', () => {
    const seo = w('seo');
    expect(inputFromValue(seo, { a: [1, 2] })).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    expect(inputFromValue(seo, null)).toBe('');
    expect(valueFromInput(seo, '{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(valueFromInput(seo, '  ')).toEqual({ ok: true, value: null });
    const bad = valueFromInput(seo, '{a: 1}');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/^Invalid JSON/);
    expect(valueFromInput(seo, inputFromValue(seo, false))).toEqual({ ok: true, value: false });
  });

  it('handles enums', () => {
    expect(inputFromValue(w('category'), 'guide')).toBe('guide');
    expect(valueFromInput(w('category'), 'guide')).toEqual({ ok: true, value: 'guide' });
    expect(valueFromInput(w('category'), '')).toEqual({ ok: true, value: null });
  });

  it('handles single and multiple media', () => {
    expect(inputFromValue(w('cover'), 'a1')).toBe('a1');
    expect(inputFromValue(w('cover'), null)).toBe('');
    expect(valueFromInput(w('cover'), 'a1')).toEqual({ ok: true, value: 'a1' });
    expect(valueFromInput(w('cover'), '')).toEqual({ ok: true, value: null });
    expect(inputFromValue(w('gallery'), ['a1', 'a2'])).toEqual(['a1', 'a2']);
    expect(inputFromValue(w('gallery'), null)).toEqual([]);
    expect(inputFromValue(w('gallery'), 'a1')).toEqual(['a1']);
    expect(valueFromInput(w('gallery'), ['a1', 'a2'])).toEqual({ ok: true, value: ['a1', 'a2'] });
    expect(valueFromInput(w('gallery'), [])).toEqual({ ok: true, value: null });
  });
});

describe('relations', () => {
  const posts = ct([
    { name: 'title', type: 'string', required: true },
    { name: 'author', type: 'relation', to: 'authors', on_delete: 'nullify' },
    { name: 'related', type: 'relation', to: 'posts', multiple: true, label: 'See also' },
  ]);
  const ws = fieldsToWidgets(posts);
  const r = (name: string) => ws.find((x) => x.name === name)!;
  const A = '0191b0d4-0000-7000-8000-00000000000a';
  const B = '0191b0d4-0000-7000-8000-00000000000b';
  const C = '0191b0d4-0000-7000-8000-00000000000c';

  it('makes a relation widget that knows its target type', () => {
    expect(r('author')).toMatchObject({ kind: 'relation', to: 'authors', multiple: false, label: 'Author' });
    expect(r('related')).toMatchObject({ kind: 'relation', to: 'posts', multiple: true, label: 'See also' });
    expect(fieldsToWidgets(ct([{ name: 'x', type: 'relation' }]))[0].to).toBe('');
  });

  it('holds one id, and an empty single relation is null (left out of a create)', () => {
    expect(inputFromValue(r('author'), A)).toBe(A);
    expect(inputFromValue(r('author'), null)).toBe('');
    expect(inputFromValue(r('author'), { id: A, name: 'Ada' })).toBe(A);
    expect(valueFromInput(r('author'), A)).toEqual({ ok: true, value: A });
    expect(valueFromInput(r('author'), '')).toEqual({ ok: true, value: null });
    const inputs = inputsFromData(ws, null, fieldsOf(posts));
    expect(inputs.author).toBe('');
    inputs.title = 'Hi';
    expect(collectData(ws, inputs, { skipNull: true }).data).toEqual({ title: 'Hi' });
    // An edit that clears it sends null.
    const original = inputsFromData(ws, { title: 'Hi', author: A });
    const cleared = { ...original, author: '' };
    expect(collectData(ws, cleared, { only: changedFields(ws, original, cleared) }).data).toEqual({ author: null });
  });

  it('keeps a multiple relation’s order, without duplicates', () => {
    expect(inputFromValue(r('related'), [C, A, B])).toEqual([C, A, B]);
    expect(inputFromValue(r('related'), [A, A, { id: B }, 3, ''])).toEqual([A, B]);
    expect(inputFromValue(r('related'), A)).toEqual([A]);
    expect(inputFromValue(r('related'), null)).toEqual([]);
    expect(valueFromInput(r('related'), [B, C, A])).toEqual({ ok: true, value: [B, C, A] });
    expect(valueFromInput(r('related'), [B, B, A])).toEqual({ ok: true, value: [B, A] });
    expect(valueFromInput(r('related'), [])).toEqual({ ok: true, value: null });
    expect(valueFromInput(r('related'), A)).toEqual({ ok: true, value: [A] });
  });

  it('sees a new order as a change and sends the whole list', () => {
    const original = inputsFromData(ws, { title: 'Hi', related: [A, B, C] });
    const current = { ...original, related: moveItem(original.related as string[], 2, -1) };
    const changed = changedFields(ws, original, current);
    expect(changed).toEqual(['related']);
    expect(collectData(ws, current, { only: changed }).data).toEqual({ related: [A, C, B] });
  });

  it('moves items up and down, clamped, without changing the original', () => {
    const list = ['a', 'b', 'c'];
    expect(moveItem(list, 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moveItem(list, 2, -1)).toEqual(['a', 'c', 'b']);
    expect(moveItem(list, 0, -1)).toEqual(['a', 'b', 'c']);
    expect(moveItem(list, 2, 1)).toEqual(['a', 'b', 'c']);
    expect(moveItem(list, 5, 1)).toEqual(['a', 'b', 'c']);
    expect(list).toEqual(['a', 'b', 'c']);
    expect(uniqueIds(['a', 'a', '', null, 'b'])).toEqual(['a', 'b']);
  });

  it('names a target by its first string field, then slug, then id', () => {
    const authors = ct([
      { name: 'bio', type: 'text' },
      { name: 'handle', type: 'slug' },
      { name: 'name', type: 'string' },
      { name: 'email', type: 'string' },
    ]);
    expect(labelFields(authors)).toEqual(['name', 'handle']);
    expect(searchField(authors)).toBe('name');
    expect(labelFields(ct([{ name: 's', type: 'slug' }]))).toEqual(['s']);
    expect(searchField(ct([{ name: 'n', type: 'integer' }]))).toBe('id');
    expect(labelFields(undefined)).toEqual([]);
    expect(entryLabel({ name: 'Ada', handle: 'ada' }, ['name', 'handle'], A)).toBe('Ada');
    expect(entryLabel({ name: '  ', handle: 'ada' }, ['name', 'handle'], A)).toBe('ada');
    expect(entryLabel({ name: null }, ['name', 'handle'], A)).toBe(A);
    expect(entryLabel({}, [], A)).toBe(A);
  });
});

describe('form data', () => {
  const ws = fieldsToWidgets(articles);

  it('fills a new form with defaults', () => {
    const inputs = inputsFromData(ws, null, fieldsOf(articles));
    expect(inputs.category).toBe('news');
    expect(inputs.featured).toBe(false);
    expect(inputs.title).toBe('');
    expect(inputs.gallery).toEqual([]);
  });

  it('sends only changed fields, converted', () => {
    const original = inputsFromData(ws, { title: 'A', reading_minutes: 5, gallery: ['x'] });
    const current = { ...original, reading_minutes: '7', gallery: ['x', 'y'] };
    const changed = changedFields(ws, original, current);
    expect(changed).toEqual(['reading_minutes', 'gallery']);
    expect(collectData(ws, current, { only: changed })).toEqual({
      data: { reading_minutes: 7, gallery: ['x', 'y'] },
      errors: {},
    });
    expect(changedFields(ws, original, { ...original, gallery: ['x'] })).toEqual([]);
  });

  it('leaves empty fields out of a create and reports bad input per field', () => {
    const inputs = { ...inputsFromData(ws, null, fieldsOf(articles)), title: 'Hi', seo: '{', reading_minutes: '1.5' };
    const { data, errors } = collectData(ws, inputs, { skipNull: true });
    expect(data).toEqual({ title: 'Hi', category: 'news', featured: false });
    expect(Object.keys(errors).sort()).toEqual(['reading_minutes', 'seo']);
  });
});

describe('helpers', () => {
  it('maps problem field paths to field names', () => {
    const names = ['title', 'tags'];
    expect(fieldNameOf('title', names)).toBe('title');
    expect(fieldNameOf('data.title', names)).toBe('title');
    expect(fieldNameOf('/data/title', names)).toBe('title');
    expect(fieldNameOf('tags[1]', names)).toBe('tags');
    expect(fieldNameOf('version', names)).toBeNull();
  });

  it('picks the first three string-ish fields as list columns', () => {
    expect(listColumns(articles).map((c) => c.name)).toEqual(['title', 'slug', 'summary']);
    expect(listColumns(articles).map((c) => c.label)).toEqual(['Title', 'Slug', 'Summary']);
    expect(listColumns(ct([{ name: 'n', type: 'integer' }]))).toEqual([]);
  });

  it('shortens cell text', () => {
    expect(cellText(null)).toBe('');
    expect(cellText(true)).toBe('Yes');
    expect(cellText('x'.repeat(100), 10)).toBe('xxxxxxxxx…');
    expect(cellText({ a: 1 })).toBe('{"a":1}');
  });
});

describe('routes', () => {
  it('parses the app paths under /admin/', () => {
    expect(parseRoute('/admin/')).toEqual({ name: 'home' });
    expect(parseRoute('/admin')).toEqual({ name: 'home' });
    expect(parseRoute('/admin/login', '?next=%2Fadmin%2Fmedia')).toEqual({ name: 'login', next: '/admin/media' });
    expect(parseRoute('/admin/media')).toEqual({ name: 'media' });
    expect(parseRoute('/admin/entries/articles')).toEqual({ name: 'list', type: 'articles', page: 1, sort: '-updated_at' });
    expect(parseRoute('/admin/entries/articles', '?page=3&sort=title')).toEqual({ name: 'list', type: 'articles', page: 3, sort: 'title' });
    expect(parseRoute('/admin/users')).toEqual({ name: 'users' });
    expect(parseRoute('/admin/tokens')).toEqual({ name: 'tokens' });
    expect(parseRoute('/admin/types')).toEqual({ name: 'types' });
    expect(parseRoute('/admin/types/new')).toEqual({ name: 'type-edit', apiId: null });
    expect(parseRoute('/admin/types/articles')).toEqual({ name: 'type-edit', apiId: 'articles' });
    expect(parseRoute('/admin/search', '?q=lemon%20pasta')).toEqual({ name: 'search', q: 'lemon pasta' });
    expect(parseRoute('/admin/entries/articles/new')).toEqual({ name: 'new', type: 'articles' });
    expect(parseRoute('/admin/entries/articles/01J9Z')).toEqual({ name: 'edit', type: 'articles', id: '01J9Z' });
    expect(parseRoute('/admin/entries/articles/01J9Z/')).toEqual({ name: 'edit', type: 'articles', id: '01J9Z' });
    expect(parseRoute('/admin/nope').name).toBe('not-found');
  });

  it('keeps the translation shown in the editor URL', () => {
    expect(href.entry('articles', '01J9Z', 'pt-BR')).toBe('/admin/entries/articles/01J9Z?locale=pt-BR');
    expect(href.entry('articles', '01J9Z')).toBe('/admin/entries/articles/01J9Z');
    expect(parseRoute('/admin/entries/articles/01J9Z', '?locale=fr')).toEqual({ name: 'edit', type: 'articles', id: '01J9Z', locale: 'fr' });
    expect(parseRoute('/admin/entries/articles/01J9Z', '?locale=')).toStrictEqual({ name: 'edit', type: 'articles', id: '01J9Z' });
  });

  it('builds list links with page and sort', () => {
    expect(href.list('articles')).toBe('/admin/entries/articles');
    expect(href.list('articles', 2, '-title')).toBe('/admin/entries/articles?page=2&sort=-title');
    expect(href.search('a b')).toBe('/admin/search?q=a%20b');
  });

  it('keeps the status filter in the list URL', () => {
    expect(href.list('articles', 1, '-updated_at', 'draft')).toBe('/admin/entries/articles?status=draft');
    expect(href.list('articles', 2, 'title', 'changed')).toBe('/admin/entries/articles?page=2&sort=title&status=changed');
    expect(parseRoute('/admin/entries/articles', '?status=published&page=2')).toEqual({
      name: 'list',
      type: 'articles',
      page: 2,
      sort: '-updated_at',
      status: 'published',
    });
    // Anything else is no filter.
    expect(parseRoute('/admin/entries/articles', '?status=bogus')).toStrictEqual({
      name: 'list',
      type: 'articles',
      page: 1,
      sort: '-updated_at',
    });
  });

  it('keeps the audit log’s page and filters in the URL', () => {
    expect(parseRoute('/admin/audit')).toEqual({ name: 'audit', page: 1, filter: {} });
    expect(parseRoute('/admin/audit', '?page=2&action=entry.publish&resource_type=entry&actor_id=u1&resource_id=e1')).toEqual({
      name: 'audit',
      page: 2,
      filter: { action: 'entry.publish', resource_type: 'entry', actor_id: 'u1', resource_id: 'e1' },
    });
    // Empty or blank is no filter; anything else in the query is ignored.
    expect(parseRoute('/admin/audit', '?action=&resource_type=%20&page=0&sort=x')).toStrictEqual({ name: 'audit', page: 1, filter: {} });
    expect(parseRoute('/admin/audit/1').name).toBe('not-found');
    expect(href.audit()).toBe('/admin/audit');
    expect(href.audit({ action: ' entry.publish ', resource_type: '' }, 3)).toBe('/admin/audit?page=3&action=entry.publish');
    expect(href.audit({ resource_id: 'a/b c', actor_id: 'u1', resource_type: 'entry', action: 'entry.delete' })).toBe(
      '/admin/audit?action=entry.delete&resource_type=entry&actor_id=u1&resource_id=a%2Fb+c',
    );
    const filter = { action: 'user.create', actor_id: 'u 2' };
    expect(parseRoute('/admin/audit', href.audit(filter, 2).split('?')[1])).toEqual({ name: 'audit', page: 2, filter });
  });

  it('keeps a webhook’s delivery log page and status filter in the URL', () => {
    expect(parseRoute('/admin/webhooks')).toEqual({ name: 'webhooks' });
    expect(parseRoute('/admin/webhooks/')).toEqual({ name: 'webhooks' });
    expect(parseRoute('/admin/webhooks/w1')).toStrictEqual({ name: 'webhook', id: 'w1', page: 1 });
    expect(parseRoute('/admin/webhooks/w1', '?page=3&status=failed')).toEqual({ name: 'webhook', id: 'w1', page: 3, status: 'failed' });
    // An unknown status, or a page below 1, is no filter and the first page.
    expect(parseRoute('/admin/webhooks/w1', '?status=lost&page=-2')).toStrictEqual({ name: 'webhook', id: 'w1', page: 1 });
    expect(parseRoute('/admin/webhooks/a%2Fb')).toEqual({ name: 'webhook', id: 'a/b', page: 1 });
    expect(parseRoute('/admin/webhooks/w1/deliveries').name).toBe('not-found');
    expect(href.webhooks()).toBe('/admin/webhooks');
    expect(href.webhook('w1')).toBe('/admin/webhooks/w1');
    expect(href.webhook('w1', 2)).toBe('/admin/webhooks/w1?page=2');
    expect(href.webhook('w1', 1, 'pending')).toBe('/admin/webhooks/w1?status=pending');
    expect(href.webhook('a/b', 4, 'delivered')).toBe('/admin/webhooks/a%2Fb?page=4&status=delivered');
    const [path, search] = href.webhook('w 1', 2, 'failed').split('?');
    expect(parseRoute(path, search)).toEqual({ name: 'webhook', id: 'w 1', page: 2, status: 'failed' });
  });

  it('follows only same-app paths after sign-in', () => {
    expect(safeNext('/admin/media')).toBe('/admin/media');
    expect(safeNext('https://evil.example/')).toBe('/admin/');
    expect(safeNext('//evil.example/admin/')).toBe('/admin/');
    expect(safeNext('/admin/login')).toBe('/admin/');
    expect(safeNext(null)).toBe('/admin/');
  });
});

describe('datetime in another time zone', () => {
  it('uses the browser time zone (Europe/Berlin in tests)', () => {
    // Vitest runs with TZ from vite.config.ts's test.env; whatever it is, a round trip is exact.
    for (const iso of ['2026-03-29T01:30:00Z', '2026-10-25T00:59:59Z', '1999-12-31T23:59:00Z']) {
      expect(localInputToRfc3339(rfc3339ToLocalInput(iso))).toBe(iso);
    }
    if (Intl.DateTimeFormat().resolvedOptions().timeZone === 'Europe/Berlin') {
      expect(rfc3339ToLocalInput('2026-01-31T12:30:00Z')).toBe('2026-01-31T13:30');
      expect(rfc3339ToLocalInput('2026-07-01T12:30:00Z')).toBe('2026-07-01T14:30');
      expect(localInputToRfc3339('2026-07-01T14:30')).toBe('2026-07-01T12:30:00Z');
    }
  });
});
