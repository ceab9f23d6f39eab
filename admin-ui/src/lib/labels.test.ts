import { describe, expect, it } from 'vitest';
import { fieldLabel, fieldLabelIn, humanize } from './labels';

describe('humanize', () => {
  it('makes a field name readable', () => {
    expect(humanize('reading_minutes')).toBe('Reading minutes');
    expect(humanize('title')).toBe('Title');
    expect(humanize('seo_description')).toBe('Seo description');
    expect(humanize('readingMinutes')).toBe('Reading minutes');
    expect(humanize('show-in-menu')).toBe('Show in menu');
    expect(humanize('line2')).toBe('Line2');
    expect(humanize('__x__')).toBe('X');
  });

  it('leaves a name with nothing to read as it is', () => {
    expect(humanize('')).toBe('');
    expect(humanize('__')).toBe('__');
  });
});

describe('fieldLabel', () => {
  it('prefers the type’s label, else the humanised name', () => {
    expect(fieldLabel({ name: 'author', label: 'Author name' })).toBe('Author name');
    expect(fieldLabel({ name: 'reading_minutes' })).toBe('Reading minutes');
    expect(fieldLabel({ name: 'reading_minutes', label: '  ' })).toBe('Reading minutes');
    expect(fieldLabel({ name: 'x', label: null })).toBe('X');
  });
});

describe('fieldLabelIn', () => {
  it('finds the field by name, else humanises the name', () => {
    const fields = [{ name: 'author', label: 'Author name' }, { name: 'reading_minutes' }];
    expect(fieldLabelIn(fields, 'author')).toBe('Author name');
    expect(fieldLabelIn(fields, 'reading_minutes')).toBe('Reading minutes');
    expect(fieldLabelIn(fields, 'seo_title')).toBe('Seo title');
  });
});
