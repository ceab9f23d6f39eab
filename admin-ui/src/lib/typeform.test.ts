import { describe, expect, it } from 'vitest';
import { emptyCache } from './cachecontrol';
import {
  definitionToForm,
  emptyForm,
  emptyRow,
  errorKey,
  errorTarget,
  formToDefinition,
  MAX_NESTING,
  previewPlaceholders,
  problemTarget,
  renamedFrom,
  rowToField,
  rulesFor,
  type FieldRow,
} from './typeform';

const recipes = {
  api_id: 'recipes',
  name: 'Recipe',
  kind: 'collection',
  language: 'en',
  fields: [
    { name: 'title', type: 'string', required: true, max_length: 120, searchable: true, boost: 2, label: 'Title' },
    { name: 'slug', type: 'slug', from: 'title', unique: true },
    { name: 'minutes', type: 'integer', min: 1, max: 600, index: true },
    { name: 'vegetarian', type: 'boolean', default: false },
    { name: 'course', type: 'enum', values: ['starter', 'main'] },
    { name: 'photos', type: 'media', multiple: true, accept: ['image/*', 'video/mp4'] },
    { name: 'chef', type: 'relation', to: 'authors', on_delete: 'nullify', label: 'Cook' },
    { name: 'pairs_with', type: 'relation', to: 'recipes', multiple: true },
  ],
};

describe('definitionToForm', () => {
  it('reads every rule into the row inputs and keeps the rest', () => {
    const f = definitionToForm(recipes);
    expect(f.apiId).toBe('recipes');
    expect(f.kind).toBe('collection');
    expect(f.extra).toEqual({ language: 'en' });
    expect(f.fields[0]).toMatchObject({ name: 'title', required: true, searchable: true, maxLength: '120', extra: { boost: 2, label: 'Title' } });
    expect(f.fields[1]).toMatchObject({ from: 'title', unique: true });
    expect(f.fields[2]).toMatchObject({ min: '1', max: '600' });
    expect(f.fields[4].values).toBe('starter, main');
    expect(f.fields[5]).toMatchObject({ multiple: true, accept: 'image/*, video/mp4' });
    expect(f.fields[6]).toMatchObject({ type: 'relation', to: 'authors', onDelete: 'nullify', multiple: false, extra: { label: 'Cook' } });
    expect(f.fields[7]).toMatchObject({ type: 'relation', to: 'recipes', onDelete: '', multiple: true, extra: {} });
  });

  it('copes with junk', () => {
    expect(definitionToForm(null)).toEqual({ apiId: '', name: '', kind: 'collection', fields: [], cache: emptyCache(), previewUrl: '', extra: {}, origNames: [] });
    expect(definitionToForm({ fields: [null] }).fields[0].type).toBe('string');
  });
});

describe('formToDefinition', () => {
  it('round-trips a definition exactly', () => {
    const { definition, errors } = formToDefinition(definitionToForm(recipes));
    expect(errors).toEqual({});
    expect(definition).toEqual(recipes);
  });

  it('drops rules that no longer apply when a field changes type', () => {
    const f = definitionToForm(recipes);
    f.fields[0].type = 'integer';
    f.fields[3].type = 'string';
    const { definition } = formToDefinition(f);
    const fields = definition.fields as Record<string, unknown>[];
    expect(fields[0]).toEqual({ name: 'title', type: 'integer', required: true, label: 'Title' });
    expect(fields[3]).toEqual({ name: 'vegetarian', type: 'string' });
  });

  it('leaves out multiple and accept except for media, searchable except for text', () => {
    const f = emptyForm();
    Object.assign(f, { apiId: 'x', name: 'X' });
    Object.assign(f.fields[0], { name: 'n', type: 'integer', multiple: true, accept: 'image/*', searchable: true });
    expect(formToDefinition(f).definition.fields).toEqual([{ name: 'n', type: 'integer' }]);
  });

  it('keeps index only on a type’s own scalar fields', () => {
    const f = emptyForm();
    Object.assign(f, { apiId: 'x', name: 'X' });
    Object.assign(f.fields[0], { name: 'views', type: 'integer', index: true });
    f.fields.push({ ...emptyRow(), name: 'body', type: 'richtext', index: true });
    expect(formToDefinition(f).definition.fields).toEqual([{ name: 'views', type: 'integer', index: true }, { name: 'body', type: 'richtext' }]);
    expect(rowToField({ ...emptyRow(), name: 'city', index: true }, { depth: 2, inComponent: true }).field).toEqual({ name: 'city', type: 'string' });
  });

  it('builds a relation: target, many, on delete', () => {
    const f = emptyForm();
    Object.assign(f, { apiId: 'posts', name: 'Post' });
    Object.assign(f.fields[0], { name: 'author', type: 'relation', to: 'authors' });
    expect(formToDefinition(f)).toEqual({
      definition: { api_id: 'posts', name: 'Post', kind: 'collection', fields: [{ name: 'author', type: 'relation', to: 'authors' }] },
      errors: {},
    });
    Object.assign(f.fields[0], { multiple: true, onDelete: 'nullify' });
    const { definition } = formToDefinition(f);
    expect(definition.fields).toEqual([{ name: 'author', type: 'relation', to: 'authors', multiple: true, on_delete: 'nullify' }]);
    // And back again.
    expect(formToDefinition(definitionToForm(definition)).definition).toEqual(definition);
  });

  it('asks which type a relation points to', () => {
    const f = emptyForm();
    Object.assign(f, { apiId: 'posts', name: 'Post' });
    Object.assign(f.fields[0], { name: 'author', type: 'relation', to: ' ' });
    expect(formToDefinition(f).errors).toEqual({ 'fields[0].to': 'Choose the type it points to.' });
  });

  it('drops the relation keys when a field stops being one', () => {
    const f = definitionToForm(recipes);
    f.fields[6].type = 'string';
    f.fields[7].type = 'media';
    const fields = formToDefinition(f).definition.fields as Record<string, unknown>[];
    expect(fields[6]).toEqual({ name: 'chef', type: 'string', label: 'Cook' });
    expect(fields[7]).toEqual({ name: 'pairs_with', type: 'media', multiple: true });
  });

  it('reports bad inputs at their paths', () => {
    const f = emptyForm();
    f.fields[0].maxLength = 'ten';
    f.fields.push({ ...f.fields[0], name: 'a', type: 'enum', values: ' , ' });
    f.fields.push({ ...f.fields[0], name: 'a', type: 'number', min: '5', max: '1' });
    const { errors } = formToDefinition(f);
    expect(errors).toEqual({
      api_id: 'Enter an API id.',
      name: 'Enter a name.',
      'fields[0].name': 'Enter a field name.',
      'fields[0].maxLength': 'Enter a whole number.',
      'fields[1].values': 'List at least one value, comma-separated.',
      'fields[2].max': 'Max is below min.',
      'fields[2].name': '“a” is used by another field.',
    });
  });

  it('allows decimals for number, not integer', () => {
    const f = definitionToForm({ api_id: 'a', name: 'A', fields: [{ name: 'p', type: 'number' }, { name: 'q', type: 'integer' }] });
    f.fields[0].min = '0.5';
    f.fields[1].min = '0.5';
    const { definition, errors } = formToDefinition(f);
    expect((definition.fields as Record<string, unknown>[])[0].min).toBe(0.5);
    expect(errors).toEqual({ 'fields[1].min': 'Enter a whole number.' });
  });
});

describe('renames', () => {
  const fieldsOf = (f: ReturnType<typeof definitionToForm>) => formToDefinition(f).definition.fields as Record<string, unknown>[];

  it('adds renamed_from when a loaded field gets another name, and removes it when the name goes back', () => {
    const f = definitionToForm(recipes);
    expect(f.origNames).toEqual(['title', 'slug', 'minutes', 'vegetarian', 'course', 'photos', 'chef', 'pairs_with']);
    f.fields[2].name = ' cook_time ';
    expect(renamedFrom(f.fields[2])).toBe('minutes');
    expect(formToDefinition(f).errors).toEqual({});
    expect(fieldsOf(f)[2]).toEqual({ name: 'cook_time', type: 'integer', min: 1, max: 600, index: true, renamed_from: 'minutes' });
    f.fields[2].name = 'minutes';
    expect(renamedFrom(f.fields[2])).toBeNull();
    expect(fieldsOf(f)[2]).toEqual({ name: 'minutes', type: 'integer', min: 1, max: 600, index: true });
    // Emptied is not a rename either (the name's own error says so).
    f.fields[2].name = '';
    expect(renamedFrom(f.fields[2])).toBeNull();
  });

  it('keeps a loaded renamed_from (already applied) on a round trip, and replaces it on a new rename', () => {
    const applied = { ...recipes, fields: [{ name: 'cook_time', type: 'integer', renamed_from: 'minutes' }] };
    const f = definitionToForm(applied);
    expect(renamedFrom(f.fields[0])).toBeNull();
    expect(formToDefinition(f).definition).toEqual(applied);
    f.fields[0].name = 'prep_time';
    expect(fieldsOf(f)[0]).toEqual({ name: 'prep_time', type: 'integer', renamed_from: 'cook_time' });
    f.fields[0].name = 'cook_time';
    expect(formToDefinition(f).definition).toEqual(applied);
  });

  it('never marks a new field, or any field of a new type, as renamed', () => {
    const f = definitionToForm(recipes);
    f.fields.push({ ...emptyForm().fields[0], name: 'serves', type: 'integer' });
    expect(renamedFrom(f.fields[8])).toBeNull();
    expect(fieldsOf(f)[8]).toEqual({ name: 'serves', type: 'integer' });
    const n = emptyForm();
    Object.assign(n, { apiId: 'x', name: 'X' });
    n.fields[0].name = 'a';
    expect(formToDefinition(n).definition.fields).toEqual([{ name: 'a', type: 'string' }]);
  });

  it('refuses a rename onto a name another field had when the type was opened', () => {
    const f = definitionToForm(recipes);
    // `vegetarian` removed, `course` renamed to its name: the server would keep
    // `vegetarian` and drop `course`'s values, so it takes two saves.
    f.fields.splice(3, 1);
    f.fields[3].name = 'vegetarian';
    expect(formToDefinition(f).errors).toEqual({
      'fields[3].name': '“vegetarian” was another field’s name when this type was opened: save that change first, then rename this one.',
    });
    // A swap is the same.
    const g = definitionToForm(recipes);
    g.fields[2].name = 'title';
    g.fields[0].name = 'minutes';
    expect(Object.keys(formToDefinition(g).errors).sort()).toEqual(['fields[0].name', 'fields[2].name']);
  });
});

describe('cache settings', () => {
  const cached = { ...recipes, cache: { max_age: 60, s_maxage: 600, stale_while_revalidate: 30 } };

  it('fills the inputs from a definition, and round-trips it exactly', () => {
    const f = definitionToForm(cached);
    expect(f.cache).toEqual({ max_age: '60', s_maxage: '600', stale_while_revalidate: '30' });
    expect(f.extra).toEqual({ language: 'en' });
    const { definition, errors } = formToDefinition(f);
    expect(errors).toEqual({});
    expect(definition).toEqual(cached);
    expect(JSON.stringify(formToDefinition(definitionToForm(definition)).definition)).toBe(JSON.stringify(definition));
  });

  it('leaves a type without settings exactly as it was: no cache key', () => {
    const f = definitionToForm(recipes);
    expect(f.cache).toEqual(emptyCache());
    const { definition } = formToDefinition(f);
    expect(definition).not.toHaveProperty('cache');
    // The same JSON, key for key, so nothing reads as a change.
    const again = formToDefinition(definitionToForm(definition)).definition;
    expect(JSON.stringify(again)).toBe(JSON.stringify(definition));
    const fresh = emptyForm();
    Object.assign(fresh, { apiId: 'x', name: 'X' });
    fresh.fields[0].name = 'n';
    expect(formToDefinition(fresh).definition).toEqual({ api_id: 'x', name: 'X', kind: 'collection', fields: [{ name: 'n', type: 'string' }] });
  });

  it('sends what is filled in and drops the key once every input is cleared', () => {
    const f = definitionToForm(recipes);
    f.cache.max_age = '60';
    f.cache.s_maxage = '600';
    expect(formToDefinition(f).definition.cache).toEqual({ max_age: 60, s_maxage: 600 });
    const g = definitionToForm(cached);
    g.cache = { max_age: '', s_maxage: ' ', stale_while_revalidate: '' };
    const { definition, errors } = formToDefinition(g);
    expect(errors).toEqual({});
    expect(definition).toEqual(recipes);
    // An empty object on the server means the same as none: it is not sent back.
    expect(formToDefinition(definitionToForm({ ...recipes, cache: {} })).definition).toEqual(recipes);
  });

  it('marks bad inputs at their keys and leaves them out', () => {
    const f = definitionToForm(recipes);
    Object.assign(f.cache, { max_age: '1.5', s_maxage: '31536001', stale_while_revalidate: '30' });
    const { definition, errors } = formToDefinition(f);
    expect(errors).toEqual({
      'cache.max_age': 'Enter a whole number of seconds, 0 or more.',
      'cache.s_maxage': 'At most 31536000 seconds (a year).',
    });
    expect(definition.cache).toEqual({ stale_while_revalidate: 30 });
  });

  it('never sends settings for a component type, nor checks them', () => {
    const f = definitionToForm(cached);
    f.kind = 'component';
    f.fields = [];
    f.cache.max_age = 'soon';
    const { definition, errors } = formToDefinition(f);
    expect(errors).toEqual({});
    expect(definition).not.toHaveProperty('cache');
    // Kept in the form: back to a collection, they are sent again.
    f.kind = 'collection';
    f.cache.max_age = '60';
    expect(formToDefinition(f).definition.cache).toEqual({ max_age: 60, s_maxage: 600, stale_while_revalidate: 30 });
  });
});

describe('preview address', () => {
  const previewed = { ...recipes, preview_url: 'https://site.example/preview/{slug}?token={token}' };

  it('fills the input from a definition, and round-trips it exactly', () => {
    const f = definitionToForm(previewed);
    expect(f.previewUrl).toBe('https://site.example/preview/{slug}?token={token}');
    expect(f.extra).toEqual({ language: 'en' });
    const { definition, errors } = formToDefinition(f);
    expect(errors).toEqual({});
    expect(definition).toEqual(previewed);
    expect(JSON.stringify(formToDefinition(definitionToForm(definition)).definition)).toBe(JSON.stringify(definition));
  });

  it('sends what is typed, trimmed, and no key when it is empty', () => {
    const f = definitionToForm(recipes);
    expect(f.previewUrl).toBe('');
    expect(formToDefinition(f).definition).not.toHaveProperty('preview_url');
    f.previewUrl = '  https://site.example/{id}  ';
    expect(formToDefinition(f).definition.preview_url).toBe('https://site.example/{id}');
    const g = definitionToForm(previewed);
    g.previewUrl = ' ';
    expect(formToDefinition(g).definition).toEqual(recipes);
    expect(definitionToForm({ ...recipes, preview_url: null }).previewUrl).toBe('');
  });

  it('never sends one for a component type, but keeps it in the form', () => {
    const f = definitionToForm(previewed);
    f.kind = 'component';
    f.fields = [];
    expect(formToDefinition(f).definition).not.toHaveProperty('preview_url');
    f.kind = 'collection';
    expect(formToDefinition(f).definition.preview_url).toBe(previewed.preview_url);
  });

  it('lists the built-in placeholders, then the fields by name', () => {
    const f = definitionToForm(recipes);
    expect(previewPlaceholders(f).slice(0, 5)).toEqual(['{id}', '{locale}', '{token}', '{title}', '{slug}']);
    f.fields = [{ ...emptyRow(), name: ' id ' }, emptyRow()];
    expect(previewPlaceholders(f)).toEqual(['{id}', '{locale}', '{token}']);
  });

  it('puts the server\'s refusal at the input', () => {
    const t = problemTarget({ field: 'preview_url', rule: 'template' }, ['title']);
    expect(t).toEqual({ row: null, input: 'preview_url' });
    expect(errorKey(t!)).toBe('preview_url');
  });
});

describe('errorTarget', () => {
  it('maps API error paths to inputs', () => {
    expect(errorTarget('fields[2].name')).toEqual({ row: 2, input: 'name' });
    expect(errorTarget('fields[0].max_length')).toEqual({ row: 0, input: 'maxLength' });
    expect(errorTarget('fields[4].on_delete')).toEqual({ row: 4, input: 'onDelete' });
    expect(errorTarget('/fields/4/to')).toEqual({ row: 4, input: 'to' });
    expect(errorTarget('/fields/1/values')).toEqual({ row: 1, input: 'values' });
    expect(errorTarget('fields[3]')).toEqual({ row: 3, input: 'row' });
    expect(errorTarget('api_id')).toEqual({ row: null, input: 'api_id' });
    expect(errorTarget('language')).toBeNull();
    expect(errorTarget('cache.max_age')).toEqual({ row: null, input: 'cache.max_age' });
    expect(errorTarget('/cache/stale_while_revalidate')).toEqual({ row: null, input: 'cache.stale_while_revalidate' });
    // A component's cache, or a key the form does not know: the settings as a whole.
    expect(errorTarget('cache')).toEqual({ row: null, input: 'cache' });
    expect(errorTarget('cache.ttl')).toEqual({ row: null, input: 'cache' });
    expect(errorKey({ row: null, input: 'cache.s_maxage' })).toBe('cache.s_maxage');
    expect(errorKey({ row: 2, input: 'name' })).toBe('fields[2].name');
    expect(errorKey({ row: null, input: 'kind' })).toBe('kind');
  });
  it('puts a refusal about a field\'s values at that row, by its current name', () => {
    const names = ['title', 'minutes', 'serves'];
    expect(problemTarget({ field: 'minutes', rule: 'conversion' }, names)).toEqual({ row: 1, input: 'type' });
    expect(problemTarget({ field: 'minutes', rule: 'type_changed' }, names)).toEqual({ row: 1, input: 'type' });
    expect(problemTarget({ field: 'serves', rule: 'required_without_default' }, names)).toEqual({ row: 2, input: 'name' });
    // A removed field has no row; paths read as before (`name` is the type's name here).
    expect(problemTarget({ field: 'notes', rule: 'removed' }, names)).toBeNull();
    expect(problemTarget({ field: 'name', rule: 'required' }, ['name'])).toEqual({ row: null, input: 'name' });
    expect(problemTarget({ field: 'fields[1].renamed_from', rule: 'unknown_field' }, names)).toEqual({ row: 1, input: 'renamed_from' });
    expect(problemTarget({ field: 'kind', rule: 'kind_changed' }, names)).toEqual({ row: null, input: 'kind' });
  });
  it('says which rules a type has', () => {
    expect(rulesFor('slug')).toMatchObject({ maxLength: true, from: true, minMax: false });
    expect(rulesFor('media')).toMatchObject({ media: true, multiple: true, relation: false, searchable: false });
    expect(rulesFor('relation')).toMatchObject({ relation: true, multiple: true, media: false, maxLength: false });
  });
});

describe('components and blocks', () => {
  const landing = {
    api_id: 'landing',
    name: 'Landing',
    kind: 'collection',
    fields: [
      {
        name: 'seo',
        type: 'component',
        fields: [
          { name: 'meta_title', type: 'string', max_length: 60 },
          { name: 'links', type: 'component', repeatable: true, fields: [{ name: 'url', type: 'string', required: true }] },
        ],
      },
      { name: 'faq', type: 'component', component: 'faq_item', repeatable: true },
      { name: 'cta', type: 'component', component: 'hero', required: true },
      { name: 'body', type: 'blocks', components: ['hero', 'quote'] },
    ],
  };

  it('round-trips fields, component, repeatable and components unchanged', () => {
    const f = definitionToForm(landing);
    expect(f.fields[1]).toMatchObject({ type: 'component', component: 'faq_item', repeatable: true });
    expect(f.fields[3]).toMatchObject({ type: 'blocks', components: ['hero', 'quote'] });
    const { definition, errors } = formToDefinition(f);
    expect(errors).toEqual({});
    expect(definition).toEqual(landing);
  });

  it('round-trips a component type', () => {
    const hero = { api_id: 'hero', name: 'Hero', kind: 'component', fields: [{ name: 'heading', type: 'string', required: true }] };
    expect(formToDefinition(definitionToForm(hero)).definition).toEqual(hero);
  });

  it('choosing a reusable component replaces inline fields, and choosing inline again brings them back', () => {
    const f = definitionToForm(landing);
    expect(f.fields[0].inline).toBe(true);
    f.fields[0].inline = false;
    f.fields[0].component = 'seo_meta';
    const fields = formToDefinition(f).definition.fields as Record<string, unknown>[];
    expect(fields[0]).toEqual({ name: 'seo', type: 'component', component: 'seo_meta' });
    f.fields[0].inline = true;
    expect(formToDefinition(f).definition).toEqual(landing);
  });

  it('asks for a component type, and for blocks at least one', () => {
    const f = emptyForm();
    f.apiId = 'x';
    f.name = 'X';
    f.fields[0].name = 'part';
    f.fields[0].type = 'component';
    expect(formToDefinition(f).errors).toEqual({ 'fields[0].component': 'Choose a component type.' });
    f.fields[0].type = 'blocks';
    expect(formToDefinition(f).errors).toEqual({ 'fields[0].components': 'Choose at least one component type.' });
  });

  it('drops component keys when the type changes', () => {
    const f = definitionToForm(landing);
    f.fields[0].type = 'json';
    f.fields[1].type = 'string';
    f.fields[3].type = 'string';
    const fields = formToDefinition(f).definition.fields as Record<string, unknown>[];
    expect(fields[0]).toEqual({ name: 'seo', type: 'json' });
    expect(fields[1]).toEqual({ name: 'faq', type: 'string' });
    expect(fields[3]).toEqual({ name: 'body', type: 'string' });
  });

  it('offers component and blocks rules', () => {
    expect(rulesFor('component')).toMatchObject({ component: true, blocks: false });
    expect(rulesFor('blocks')).toMatchObject({ component: false, blocks: true });
  });
});

describe('translated fields', () => {
  it('maps "Translated per language" to localized, and back', () => {
    const def = {
      api_id: 'stories',
      name: 'Story',
      kind: 'collection',
      fields: [
        { name: 'title', type: 'string', localized: true },
        { name: 'byline', type: 'string' },
      ],
    };
    const f = definitionToForm(def);
    expect(f.fields.map((r) => r.localized)).toEqual([true, false]);
    expect(f.fields[0].extra).toEqual({});
    expect(formToDefinition(f).definition).toEqual(def);
    f.fields[0].localized = false;
    f.fields[1].localized = true;
    expect(formToDefinition(f).definition.fields).toEqual([
      { name: 'title', type: 'string' },
      { name: 'byline', type: 'string', localized: true },
    ]);
  });

  it('leaves it out of a component type, whose fields belong to other types', () => {
    const f = emptyForm();
    Object.assign(f, { apiId: 'quote', name: 'Quote', kind: 'component' });
    Object.assign(f.fields[0], { name: 'text', localized: true });
    expect(formToDefinition(f).definition.fields).toEqual([{ name: 'text', type: 'string' }]);
  });
});

describe('inline components in the builder', () => {
  const fieldsOf = (f: ReturnType<typeof definitionToForm>) => formToDefinition(f).definition.fields as Record<string, unknown>[];
  const row = (over: Partial<FieldRow>): FieldRow => ({ ...emptyRow(), ...over });

  const guide = {
    api_id: 'guides',
    name: 'Guide',
    kind: 'collection',
    fields: [
      { name: 'title', type: 'string', required: true, searchable: true, unique: true },
      {
        name: 'seo',
        type: 'component',
        label: 'SEO',
        localized: true,
        fields: [
          { name: 'meta_title', type: 'string', max_length: 60, min_length: 10, pattern: '^[A-Z]', label: 'Meta title' },
          { name: 'robots', type: 'enum', values: ['index', 'noindex'], default: 'index' },
          { name: 'image', type: 'media', accept: ['image/*'] },
          { name: 'author', type: 'relation', to: 'authors', on_delete: 'restrict' },
          { name: 'weight', type: 'number', min: 0, max: 1.5 },
          {
            name: 'social',
            type: 'component',
            fields: [
              { name: 'network', type: 'enum', values: ['mastodon', 'bluesky'], required: true },
              { name: 'card', type: 'component', component: 'hero' },
              { name: 'extras', type: 'blocks', components: ['quote'] },
            ],
          },
        ],
      },
    ],
  };

  it('reads an inline component into rows, level by level', () => {
    const f = definitionToForm(guide);
    const seo = f.fields[1];
    expect(seo).toMatchObject({ type: 'component', inline: true, component: '', localized: true, extra: { label: 'SEO' } });
    expect(seo.extra).not.toHaveProperty('fields');
    expect(seo.fields.map((r) => r.name)).toEqual(['meta_title', 'robots', 'image', 'author', 'weight', 'social']);
    expect(seo.fields[0]).toMatchObject({ maxLength: '60', extra: { min_length: 10, pattern: '^[A-Z]', label: 'Meta title' } });
    expect(seo.fields[3]).toMatchObject({ to: 'authors', onDelete: 'restrict' });
    const social = seo.fields[5];
    expect(social).toMatchObject({ inline: true, repeatable: false });
    expect(social.fields[1]).toMatchObject({ type: 'component', inline: false, component: 'hero', fields: [] });
    expect(social.fields[2]).toMatchObject({ type: 'blocks', components: ['quote'] });
  });

  it('round-trips an inline component with nested fields exactly', () => {
    const { definition, errors } = formToDefinition(definitionToForm(guide));
    expect(errors).toEqual({});
    expect(definition).toEqual(guide);
    expect(JSON.stringify(definition)).toBe(JSON.stringify(formToDefinition(definitionToForm(definition)).definition));
  });

  it('round-trips a repeatable inline component', () => {
    const faq = {
      api_id: 'help',
      name: 'Help',
      kind: 'singleton',
      fields: [
        {
          name: 'faq',
          type: 'component',
          repeatable: true,
          required: true,
          fields: [
            { name: 'question', type: 'string', required: true },
            { name: 'answer', type: 'text' },
          ],
        },
      ],
    };
    const f = definitionToForm(faq);
    expect(f.fields[0]).toMatchObject({ inline: true, repeatable: true, required: true });
    expect(formToDefinition(f)).toEqual({ definition: faq, errors: {} });
    f.fields[0].repeatable = false;
    expect(fieldsOf(f)[0]).not.toHaveProperty('repeatable');
  });

  it('round-trips a reusable component', () => {
    const def = {
      api_id: 'landing',
      name: 'Landing',
      kind: 'collection',
      fields: [
        { name: 'hero', type: 'component', component: 'hero', required: true, label: 'Top' },
        { name: 'quotes', type: 'component', component: 'quote', repeatable: true, localized: true },
      ],
    };
    const f = definitionToForm(def);
    expect(f.fields[0]).toMatchObject({ inline: false, component: 'hero', fields: [] });
    expect(formToDefinition(f)).toEqual({ definition: def, errors: {} });
  });

  it('round-trips blocks and takes the chosen component types', () => {
    const def = { api_id: 'pages', name: 'Page', kind: 'collection', fields: [{ name: 'body', type: 'blocks', components: ['hero', 'quote'], required: true }] };
    const f = definitionToForm(def);
    expect(formToDefinition(f)).toEqual({ definition: def, errors: {} });
    f.fields[0].components = ['quote', 'faq_item', 'quote'];
    expect(fieldsOf(f)[0]).toEqual({ name: 'body', type: 'blocks', components: ['quote', 'faq_item'], required: true });
  });

  it('builds a new inline component: add, edit, reorder and remove inner fields', () => {
    const f = emptyForm();
    Object.assign(f, { apiId: 'help', name: 'Help' });
    Object.assign(f.fields[0], { name: 'faq', type: 'component', inline: true, repeatable: true });
    // No inner field yet: an empty group is allowed.
    expect(fieldsOf(f)[0]).toEqual({ name: 'faq', type: 'component', repeatable: true, fields: [] });
    const inner = f.fields[0].fields;
    inner.push(row({ name: 'answer', type: 'text' }), row({ name: 'question', required: true }), row({ name: 'tmp', type: 'integer' }));
    inner.splice(2, 1);
    inner.reverse();
    inner[0].maxLength = '200';
    expect(formToDefinition(f)).toEqual({
      definition: {
        api_id: 'help',
        name: 'Help',
        kind: 'collection',
        fields: [
          {
            name: 'faq',
            type: 'component',
            repeatable: true,
            fields: [
              { name: 'question', type: 'string', required: true, max_length: 200 },
              { name: 'answer', type: 'text' },
            ],
          },
        ],
      },
      errors: {},
    });
  });

  it('leaves out, for inner fields, the options a component does not allow', () => {
    const f = emptyForm();
    Object.assign(f, { apiId: 'x', name: 'X' });
    Object.assign(f.fields[0], { name: 'group', type: 'component', inline: true, localized: true });
    f.fields[0].fields.push(
      row({ name: 'title', unique: true, searchable: true, localized: true, extra: { boost: 2 } }),
      row({ name: 'link', type: 'relation', to: 'pages', onDelete: 'nullify', unique: true }),
      row({ name: 'kept', type: 'relation', to: 'pages', onDelete: 'restrict' }),
    );
    const { definition, errors } = formToDefinition(f);
    expect(errors).toEqual({});
    expect(definition.fields).toEqual([
      {
        name: 'group',
        type: 'component',
        // The component field itself is a type's own field: it may be translated (whole).
        localized: true,
        fields: [
          { name: 'title', type: 'string' },
          { name: 'link', type: 'relation', to: 'pages' },
          { name: 'kept', type: 'relation', to: 'pages', on_delete: 'restrict' },
        ],
      },
    ]);
    // The same holds for a component type's own fields.
    const c = emptyForm();
    Object.assign(c, { apiId: 'card', name: 'Card', kind: 'component' });
    c.fields = [row({ name: 'title', unique: true, searchable: true, localized: true }), row({ name: 'to', type: 'relation', to: 'pages', onDelete: 'nullify' })];
    expect(formToDefinition(c).definition.fields).toEqual([
      { name: 'title', type: 'string' },
      { name: 'to', type: 'relation', to: 'pages' },
    ]);
    // While a type's own fields keep them.
    expect(rowToField(row({ name: 't', unique: true, searchable: true, localized: true })).field).toEqual({
      name: 't',
      type: 'string',
      unique: true,
      searchable: true,
      localized: true,
    });
  });

  it('reports inner errors at their paths, where errorTarget puts the API\'s', () => {
    const f = emptyForm();
    Object.assign(f, { apiId: 'x', name: 'X' });
    Object.assign(f.fields[0], { name: 'group', type: 'component', inline: true });
    f.fields[0].fields.push(
      row({ name: 'a', type: 'slug' }),
      row({ name: 'a', type: 'relation' }),
      row({ name: 'kind' }),
      row({ name: '', type: 'component', inline: true, fields: [row({ name: 'n', type: 'integer', min: 'x' })] }),
    );
    expect(formToDefinition(f).errors).toEqual({
      'fields[0].fields[0].type': 'A slug is not allowed inside a component: choose another type.',
      'fields[0].fields[1].to': 'Choose the type it points to.',
      'fields[0].fields[1].name': '“a” is used by another field.',
      'fields[0].fields[2].name': '“kind” is taken inside a component: it tags each item of a blocks field.',
      'fields[0].fields[3].name': 'Enter a field name.',
      'fields[0].fields[3].fields[0].min': 'Enter a whole number.',
    });
    for (const path of ['fields[0].fields[3].fields[0].min', '/fields/0/fields/3/fields/0/min']) {
      const t = errorTarget(path);
      expect(t).toEqual({ row: 0, input: 'fields[3].fields[0].min' });
      expect(errorKey(t!)).toBe('fields[0].fields[3].fields[0].min');
    }
    expect(errorTarget('fields[1].fields[0].max_length')).toEqual({ row: 1, input: 'fields[0].maxLength' });
    expect(errorTarget('fields[1].fields[2]')).toEqual({ row: 1, input: 'fields[2]' });
    expect(errorTarget('fields[1].fields')).toEqual({ row: 1, input: 'fields' });
  });

  it('does not send a rename for an inner field (only a type\'s own fields move their values)', () => {
    const def = { api_id: 'x', name: 'X', kind: 'collection', fields: [{ name: 'g', type: 'component', fields: [{ name: 'a', type: 'string' }] }] };
    const f = definitionToForm(def);
    f.fields[0].fields[0].name = 'b';
    expect(fieldsOf(f)[0]).toEqual({ name: 'g', type: 'component', fields: [{ name: 'b', type: 'string' }] });
  });

  it('stops inline fields at the deepest level', () => {
    const f = emptyForm();
    Object.assign(f, { apiId: 'x', name: 'X' });
    let r = f.fields[0];
    for (let depth = 1; depth <= MAX_NESTING; depth++) {
      Object.assign(r, { name: `l${depth}`, type: 'component', inline: true });
      r.fields.push(row({ name: 'leaf' }));
      r = r.fields[0];
    }
    const path = Array.from({ length: MAX_NESTING }, () => 'fields[0]').join('.');
    expect(formToDefinition(f).errors).toEqual({ [`${path}.fields`]: 'Components nest at most 5 levels: choose a reusable component here.' });
    // One level less is fine.
    f.fields[0].fields[0].fields[0].fields[0].fields[0] = row({ name: 'leaf' });
    expect(formToDefinition(f).errors).toEqual({});
  });
});
