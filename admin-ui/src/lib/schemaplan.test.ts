import { describe, expect, it } from 'vitest';
import { codeParts, lossLines, plainMessage, planLines } from './schemaplan';

const definition = {
  api_id: 'recipes',
  name: 'Recipe',
  fields: [
    { name: 'cook_time', type: 'integer', renamed_from: 'minutes' },
    { name: 'serves', type: 'integer', required: true, default: 4 },
    { name: 'course', type: 'enum', values: ['main'], required: true, default: 'main' },
    { name: 'photo', type: 'media' },
  ],
};
const empty = { added: [], renamed: [], converted: [], removed: [], required: [] };
const step = (field: string, entries: number, from?: string) => ({ field, entries, detail: '', ...(from ? { from } : {}) });

describe('planLines', () => {
  it('says each step in plain words, with the entries it touches', () => {
    const plan = {
      renamed: [step('cook_time', 3, 'minutes')],
      converted: [step('cook_time', 2, 'string')],
      added: [step('serves', 2), step('photo', 0)],
      required: [step('course', 1)],
      removed: [step('notes', 5)],
    };
    expect(planLines(plan, definition)).toEqual([
      { text: 'Rename `minutes` → `cook_time` (3 entries keep their values)', warning: false },
      { text: 'Convert `cook_time` from string to integer (2 entries)', warning: false },
      { text: 'Add `serves` (2 entries get its default `4`)', warning: false },
      { text: 'Add `photo`', warning: false },
      { text: 'Make `course` required (1 entry gets its default `"main"`)', warning: false },
      { text: 'Remove `notes` — deletes its values in 5 entries', warning: true },
    ]);
  });

  it('counts one entry, and none', () => {
    const plan = {
      ...empty,
      renamed: [step('cook_time', 1, 'minutes'), step('b', 0, 'a')],
      converted: [step('cook_time', 0, 'string')],
      removed: [step('notes', 1), step('old', 0)],
    };
    expect(planLines(plan, definition).map((l) => l.text)).toEqual([
      'Rename `minutes` → `cook_time` (1 entry keeps its value)',
      'Rename `a` → `b` (no entry holds a value)',
      'Convert `cook_time` from string to integer (no entry holds a value)',
      'Remove `notes` — deletes its value in 1 entry',
      'Remove `old` (no entry holds a value)',
    ]);
    expect(planLines(plan, definition).map((l) => l.warning)).toEqual([false, false, false, true, false]);
  });

  it('is empty for a change that touches no entry', () => {
    expect(planLines(empty, definition)).toEqual([]);
    expect(planLines(null, definition)).toEqual([]);
    expect(planLines(undefined, {})).toEqual([]);
  });
});

describe('refusals', () => {
  it('drops the API advice the builder offers as a button', () => {
    expect(plainMessage('removing `notes` would delete its values; existing entries hold these values. Pass ?allow_data_loss=true to remove them')).toBe(
      'removing `notes` would delete its values; existing entries hold these values',
    );
    expect(
      plainMessage('2 entries hold values of `minutes` that are not a valid integer: a1, b2; change them first, or pass ?allow_data_loss=true to drop those values'),
    ).toBe('2 entries hold values of `minutes` that are not a valid integer: a1, b2; change them first');
    expect(plainMessage('`title` is required')).toBe('`title` is required');
  });

  it('lists what forcing deletes beyond the removals the plan shows', () => {
    expect(
      lossLines([
        { field: 'notes', rule: 'removed', message: 'removing `notes` would delete its values' },
        { field: 'kind', rule: 'kind_changed', message: 'changing between collection and singleton needs an empty type' },
        { field: 'photo', rule: 'type_changed', message: 'changing `photo` from media to string would lose its values' },
        {
          field: 'minutes',
          rule: 'conversion',
          message: '1 entries hold values of `minutes` that are not a valid integer: a1; change them first, or pass ?allow_data_loss=true to drop those values',
        },
      ]),
    ).toEqual([
      { text: 'Changing `photo` from media to string would lose its values', warning: true },
      { text: '1 entries hold values of `minutes` that are not a valid integer: a1 — those values are deleted', warning: true },
    ]);
  });

  it('splits names out as code', () => {
    expect(codeParts('Rename `a` → `b` (1 entry)')).toEqual([
      { part: 'Rename ', code: false },
      { part: 'a', code: true },
      { part: ' → ', code: false },
      { part: 'b', code: true },
      { part: ' (1 entry)', code: false },
    ]);
  });
});
