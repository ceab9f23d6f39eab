import { describe, expect, it } from 'vitest';
import { changedFields, collectData, inputsFromData, type Widget } from './form';
import {
  addItem,
  asGroup,
  entryTypes,
  entryWidgets,
  groupInputFromValue,
  groupValueFromInput,
  hasErrorsUnder,
  itemsWithErrors,
  itemTitle,
  moveGroupItem,
  nestedPath,
  normalizePath,
  pathId,
  removeItem,
  resolveField,
  setItemInput,
} from './groups';

const types = [
  {
    api_id: 'hero',
    name: 'Hero',
    kind: 'component',
    definition: {
      fields: [
        { name: 'heading', type: 'string', required: true },
        { name: 'subheading', type: 'string' },
        { name: 'image', type: 'media', accept: ['image/*'] },
      ],
    },
  },
  {
    api_id: 'quote',
    name: 'Quote',
    kind: 'component',
    definition: {
      fields: [
        { name: 'text', type: 'text', required: true },
        { name: 'author', type: 'relation', to: 'authors' },
      ],
    },
  },
  { api_id: 'loop', name: 'Loop', kind: 'component', definition: { fields: [{ name: 'again', type: 'component', component: 'loop' }] } },
  {
    api_id: 'pages',
    name: 'Page',
    kind: 'collection',
    definition: {
      fields: [
        { name: 'title', type: 'string', required: true },
        {
          name: 'seo',
          type: 'component',
          fields: [
            { name: 'meta_title', type: 'string' },
            { name: 'noindex', type: 'boolean' },
            { name: 'priority', type: 'number' },
          ],
        },
        { name: 'faq', type: 'component', repeatable: true, fields: [{ name: 'question', type: 'string' }, { name: 'answer', type: 'text' }] },
        { name: 'sections', type: 'blocks', components: ['hero', 'quote'] },
      ],
    },
  },
];

const widgets = entryWidgets(types[3], types);
const w = (name: string) => widgets.find((x) => x.name === name) as Widget;

describe('resolving definitions', () => {
  it('makes group and blocks widgets, with reusable components filled in', () => {
    expect(w('seo')).toMatchObject({ kind: 'group', repeatable: false });
    expect(w('seo').fields?.map((f) => f.name)).toEqual(['meta_title', 'noindex', 'priority']);
    expect(w('faq')).toMatchObject({ kind: 'group', repeatable: true });
    expect(w('sections').kind).toBe('blocks');
    expect(w('sections').blocks?.map((b) => [b.kind, b.label, b.fields.map((f) => f.name)])).toEqual([
      ['hero', 'Hero', ['heading', 'subheading', 'image']],
      ['quote', 'Quote', ['text', 'author']],
    ]);
  });

  it('stops a component that contains itself', () => {
    let f = resolveField({ name: 'x', type: 'component', component: 'loop' }, types);
    let depth = 0;
    while (f.fields?.length) {
      f = f.fields[0];
      depth++;
    }
    expect(depth).toBeLessThanOrEqual(6);
  });

  it('hides component types from the entry navigation', () => {
    expect(entryTypes(types).map((t) => t.api_id)).toEqual(['pages']);
  });
});

describe('list operations', () => {
  const sections = w('sections');
  it('adds, moves and removes items, each a new value', () => {
    let g = groupInputFromValue(sections, null);
    expect(g.items).toEqual([]);
    g = addItem(sections, g, 'hero');
    g = addItem(sections, g, 'quote');
    g = addItem(sections, g, 'hero');
    expect(g.items.map((i) => i.kind)).toEqual(['hero', 'quote', 'hero']);
    const keys = g.items.map((i) => i.key);
    expect(new Set(keys).size).toBe(3);
    const moved = moveGroupItem(g, 1, -1);
    expect(moved.items.map((i) => i.key)).toEqual([keys[1], keys[0], keys[2]]);
    expect(g.items.map((i) => i.key)).toEqual(keys);
    expect(moveGroupItem(g, 0, -1).items.map((i) => i.key)).toEqual(keys);
    expect(moveGroupItem(g, 2, 5).items.map((i) => i.key)).toEqual(keys);
    expect(removeItem(moved, 2).items.map((i) => i.key)).toEqual([keys[1], keys[0]]);
  });

  it('sets one field of one item', () => {
    let g = addItem(w('faq'), { items: [] });
    g = addItem(w('faq'), g);
    const next = setItemInput(g, 1, 'question', 'Why?');
    expect(next.items[1].inputs.question).toBe('Why?');
    expect(next.items[0]).toBe(g.items[0]);
    expect(g.items[1].inputs.question).toBe('');
  });

  it('titles items by kind and first text value', () => {
    let g = addItem(w('sections'), { items: [] }, 'quote');
    expect(itemTitle(w('sections'), g.items[0], 0)).toBe('1. Quote');
    g = setItemInput(g, 0, 'text', '  Less\nis more. ');
    expect(itemTitle(w('sections'), g.items[0], 0)).toBe('1. Quote — Less is more.');
    const faq = setItemInput(addItem(w('faq'), { items: [] }), 0, 'question', 'Why?');
    expect(itemTitle(w('faq'), faq.items[0], 0)).toBe('1. Faq — Why?');
  });
});

describe('the submitted value', () => {
  it('builds blocks with kind first, empty fields left out', () => {
    let g = addItem(w('sections'), { items: [] }, 'hero');
    g = addItem(w('sections'), g, 'quote');
    g = setItemInput(g, 0, 'heading', 'Welcome');
    g = setItemInput(g, 1, 'text', 'Less is more.');
    g = moveGroupItem(g, 1, -1);
    const r = groupValueFromInput(w('sections'), g);
    expect(r).toEqual({ ok: true, value: [{ kind: 'quote', text: 'Less is more.' }, { kind: 'hero', heading: 'Welcome' }] });
    if (r.ok) for (const item of r.value as object[]) expect(Object.keys(item)[0]).toBe('kind');
    expect(groupValueFromInput(w('sections'), { items: [] })).toEqual({ ok: true, value: null });
  });

  it('omits an empty optional group, sends a filled one', () => {
    const seo = w('seo');
    const empty = groupInputFromValue(seo, null);
    expect(empty.items).toHaveLength(1);
    expect(groupValueFromInput(seo, empty)).toEqual({ ok: true, value: null });
    const filled = setItemInput(empty, 0, 'meta_title', 'Hello');
    expect(groupValueFromInput(seo, filled)).toEqual({ ok: true, value: { meta_title: 'Hello', noindex: false } });
    const bad = setItemInput(empty, 0, 'priority', 'abc');
    expect(groupValueFromInput(seo, bad)).toEqual({ ok: false, error: 'Priority: Enter a number.' });
  });

  it('round-trips stored values, unknown keys and kinds included', () => {
    const data = {
      title: 'About',
      seo: { meta_title: 'About us', noindex: true, priority: 0.5 },
      faq: [{ question: 'Q1', answer: 'A1' }, { question: 'Q2' }],
      sections: [
        { kind: 'hero', heading: 'Hi', image: 'asset-1', legacy: 1 },
        { kind: 'gallery', images: ['a', 'b'] },
        { kind: 'quote', text: 'T', author: 'author-1' },
      ],
    };
    const inputs = inputsFromData(widgets, data);
    expect(collectData(widgets, inputs).data).toEqual(data);
  });

  it('counts a group as changed only when its values change', () => {
    const data = { title: 'A', faq: [{ question: 'Q1' }, { question: 'Q2' }] };
    const original = inputsFromData(widgets, data);
    const current = inputsFromData(widgets, data);
    expect(changedFields(widgets, original, current)).toEqual([]);
    current.faq = moveGroupItem(asGroup(current.faq), 0, 1);
    expect(changedFields(widgets, original, current)).toEqual(['faq']);
    current.faq = moveGroupItem(asGroup(current.faq), 0, 1);
    expect(changedFields(widgets, original, current)).toEqual([]);
    current.faq = removeItem(asGroup(current.faq), 1);
    expect(collectData(widgets, current, { only: changedFields(widgets, original, current) }).data).toEqual({
      faq: [{ question: 'Q1' }],
    });
  });

  it('reports a nested conversion error with its item', () => {
    const inputs = inputsFromData(widgets, null);
    inputs.seo = setItemInput(asGroup(inputs.seo), 0, 'priority', 'x');
    expect(collectData(widgets, inputs).errors).toEqual({ seo: 'Priority: Enter a number.' });
  });
});

describe('error paths', () => {
  it('normalizes the spellings of a path', () => {
    expect(normalizePath('sections[1].text')).toBe('sections[1].text');
    expect(normalizePath('data.sections[1].text')).toBe('sections[1].text');
    expect(normalizePath('/data/sections/1/text')).toBe('sections[1].text');
    expect(normalizePath('faq.0.question')).toBe('faq[0].question');
  });

  it('keeps only errors inside groups apart', () => {
    const groups = ['seo', 'faq', 'sections'];
    expect(nestedPath('seo.meta_title', groups)).toBe('seo.meta_title');
    expect(nestedPath('faq[0].question', groups)).toBe('faq[0].question');
    expect(nestedPath('sections', groups)).toBeNull();
    expect(nestedPath('title', groups)).toBeNull();
    expect(nestedPath('sections_extra[0]', groups)).toBeNull();
  });

  it('maps error paths to items', () => {
    const errors = { 'body[1].text': 'required', 'body[2].image': 'not an image', 'body[2].x': 'y', 'bodyx[0].a': 'no', 'seo.meta_title': 'long' };
    expect(itemsWithErrors(errors, 'body')).toEqual([1, 2]);
    expect(itemsWithErrors(errors, 'faq')).toEqual([]);
    expect(hasErrorsUnder(errors, 'seo')).toBe(true);
    expect(hasErrorsUnder(errors, 'body[0]')).toBe(false);
    expect(hasErrorsUnder(errors, 'body[2]')).toBe(true);
  });

  it('turns paths into ids', () => {
    expect(pathId('sections[1].text')).toBe('field-sections-1-text');
    expect(pathId('seo')).toBe('field-seo');
  });
});
