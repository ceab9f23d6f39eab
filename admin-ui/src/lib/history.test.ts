import { describe, expect, it } from 'vitest';
import {
  actionLabel,
  authorName,
  changeLabel,
  diffRows,
  fieldPathLabel,
  localDate,
  problemLines,
  relativeTime,
  restoredNotice,
  shortId,
  shorten,
  showValue,
  unchangedText,
} from './history';

const fields = [{ name: 'title' }, { name: 'author', label: 'Written by' }, { name: 'reading_minutes' }, { name: 'sections' }];

describe('actionLabel and changeLabel', () => {
  it('names each action and change', () => {
    expect(actionLabel('create')).toBe('Created');
    expect(actionLabel('update')).toBe('Saved');
    expect(actionLabel('publish')).toBe('Published');
    expect(actionLabel('unpublish')).toBe('Unpublished');
    expect(actionLabel('restore')).toBe('Restored');
    expect(actionLabel('nullify')).toBe('Reference cleared');
    expect(changeLabel('added')).toBe('Added');
    expect(changeLabel('removed')).toBe('Removed');
    expect(changeLabel('changed')).toBe('Changed');
  });
  it('humanises one it does not know', () => {
    expect(actionLabel('schema_change')).toBe('Schema change');
    expect(changeLabel('moved')).toBe('Moved');
  });
});

describe('showValue', () => {
  it('shows strings as text and anything else as compact JSON', () => {
    expect(showValue('Hello\nworld')).toEqual({ text: 'Hello\nworld', json: false });
    expect(showValue('')).toEqual({ text: '', json: false });
    expect(showValue(12)).toEqual({ text: '12', json: true });
    expect(showValue(false)).toEqual({ text: 'false', json: true });
    expect(showValue(['a', 'b'])).toEqual({ text: '["a","b"]', json: true });
    expect(showValue({ kind: 'hero', heading: 'Hi' })).toEqual({ text: '{"kind":"hero","heading":"Hi"}', json: true });
  });
  it('says an unset value is unset', () => {
    expect(showValue(null)).toBeNull();
    expect(showValue(undefined)).toBeNull();
  });
});

describe('shorten', () => {
  it('leaves a short value whole', () => {
    expect(shorten('A title')).toBeNull();
    expect(shorten('x'.repeat(160))).toBeNull();
    expect(shorten('one\ntwo\nthree\nfour')).toBeNull();
    expect(shorten('one\ntwo\nthree\nfour\n')).toBeNull();
  });
  it('cuts a long one at a word, with an ellipsis', () => {
    const long = 'word '.repeat(50).trim();
    const short = shorten(long)!;
    expect(short.endsWith('word…')).toBe(true);
    expect(short.length).toBeLessThanOrEqual(161);
    expect(long.startsWith(short.slice(0, -1))).toBe(true);
  });
  it('cuts a word that has no space in reach where it must', () => {
    expect(shorten('x'.repeat(200), 10)).toBe(`${'x'.repeat(10)}…`);
  });
  it('cuts after a few lines', () => {
    expect(shorten('a\nb\nc\nd\ne\nf')).toBe('a\nb\nc\nd…');
    expect(shorten('a\nb\nc', 100, 2)).toBe('a\nb…');
  });
  it('never splits a character made of two code units', () => {
    expect(shorten(`${'x'.repeat(9)}😀😀`, 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('diffRows', () => {
  it('labels fields the way the editor does and shows both values', () => {
    const rows = diffRows(
      [
        { field: 'title', change: 'changed', before: 'Old', after: 'New' },
        { field: 'author', change: 'added', after: 'a1' },
        { field: 'reading_minutes', change: 'removed', before: 5 },
        { field: 'gone_field', change: 'removed', before: 'x' },
      ],
      fields,
    );
    expect(rows).toEqual([
      { field: 'title', label: 'Title', change: 'Changed', before: { text: 'Old', json: false }, after: { text: 'New', json: false } },
      { field: 'author', label: 'Written by', change: 'Added', before: null, after: { text: 'a1', json: false } },
      { field: 'reading_minutes', label: 'Reading minutes', change: 'Removed', before: { text: '5', json: true }, after: null },
      { field: 'gone_field', label: 'Gone field', change: 'Removed', before: { text: 'x', json: false }, after: null },
    ]);
  });
});

describe('unchangedText', () => {
  it('says why a revision changed nothing', () => {
    expect(unchangedText('publish', 2)).toBe('Published: the fields are as in version 2.');
    expect(unchangedText('unpublish', 3)).toBe('Unpublished: the fields are as in version 3.');
    expect(unchangedText('update', 4)).toBe('No field changed from version 4.');
    expect(unchangedText('create', null)).toBe('This version has no field values.');
  });
});

describe('authorName', () => {
  const me = { id: '3f2a9c1b-5d6e-4f70-8a9b-0c1d2e3f4a5b', email: 'me@example.com' };
  it('names the signed-in user by email, others by a short id', () => {
    expect(authorName(me.id, me)).toBe('me@example.com');
    expect(authorName('9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c5b', me)).toBe('9e8d7c6b…');
    expect(authorName('9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c5b', null)).toBe('9e8d7c6b…');
  });
  it('says Quire when no user saved it', () => {
    expect(authorName(null, me)).toBe('Quire');
    expect(authorName(undefined)).toBe('Quire');
  });
  it('leaves a short id whole', () => {
    expect(shortId('u1')).toBe('u1');
    expect(shortId('123456789')).toBe('123456789');
  });
});

describe('relativeTime', () => {
  const now = Date.parse('2026-03-10T12:00:00.000Z');
  const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();
  it('says how long ago, within a week', () => {
    expect(relativeTime(ago(5), now)).toBe('just now');
    expect(relativeTime(ago(-30), now)).toBe('just now');
    expect(relativeTime(ago(50), now)).toBe('1 minute ago');
    expect(relativeTime(ago(5 * 60), now)).toBe('5 minutes ago');
    expect(relativeTime(ago(50 * 60), now)).toBe('1 hour ago');
    expect(relativeTime(ago(3 * 3600), now)).toBe('3 hours ago');
    expect(relativeTime(ago(26 * 3600), now)).toBe('yesterday');
    expect(relativeTime(ago(3 * 86400), now)).toBe('3 days ago');
  });
  it('leaves older, later and unreadable times to the date', () => {
    expect(relativeTime(ago(8 * 86400), now)).toBeNull();
    expect(relativeTime(ago(-3600), now)).toBeNull();
    expect(relativeTime('not a date', now)).toBeNull();
  });
});

describe('localDate', () => {
  it('shows a date in the local zone, and an unreadable one as it is', () => {
    // TZ is Europe/Berlin in the tests: 23:30 UTC is the next day there.
    expect(localDate('2026-03-10T23:30:00.000Z')).toContain('2026');
    expect(localDate('2026-03-10T23:30:00.000Z')).toMatch(/11/);
    expect(localDate('soon')).toBe('soon');
  });
});

describe('problemLines', () => {
  it('names the fields a refused restore broke', () => {
    expect(
      problemLines(
        [
          { field: 'author', rule: 'relation', message: 'the entry it points at does not exist' },
          { field: 'sections[1].text', rule: 'required', message: '`text` is required' },
          { field: '', rule: 'x', message: 'something else' },
        ],
        fields,
      ),
    ).toEqual(['Written by: the entry it points at does not exist', 'Sections[1].text: `text` is required', 'something else']);
    expect(problemLines(undefined, fields)).toEqual([]);
  });
  it('labels a path by its field', () => {
    expect(fieldPathLabel(fields, 'reading_minutes')).toBe('Reading minutes');
    expect(fieldPathLabel(fields, 'sections.0')).toBe('Sections.0');
    expect(fieldPathLabel(fields, '[0]')).toBe('[0]');
  });
});

describe('restoredNotice', () => {
  it('says the version is a draft until published', () => {
    expect(restoredNotice(1)).toBe('Version 1 restored as a draft — publish to make it live.');
  });
});
