import { describe, expect, it } from 'vitest';
import { dragHasFiles, entriesInUse } from './media';

describe('entriesInUse', () => {
  it('reads the entries from the problem errors', () => {
    expect(
      entriesInUse({
        detail: 'entries use this asset: articles/01A, pages/01B',
        errors: [
          { field: 'entries', rule: 'in_use', message: 'articles/01A' },
          { field: 'entries', rule: 'in_use', message: 'pages/01B' },
        ],
      }),
    ).toEqual([
      { type: 'articles', id: '01A' },
      { type: 'pages', id: '01B' },
    ]);
  });

  it('falls back to the detail, without duplicates', () => {
    expect(entriesInUse({ detail: 'entries use this asset: articles/01A, articles/01A,recipes/X9', errors: [] })).toEqual([
      { type: 'articles', id: '01A' },
      { type: 'recipes', id: 'X9' },
    ]);
  });

  it('finds nothing in other problems', () => {
    expect(entriesInUse({ detail: 'No such resource.', errors: [] })).toEqual([]);
    expect(entriesInUse({ detail: 'conflict: not an entry', errors: [] })).toEqual([]);
    expect(entriesInUse(null)).toEqual([]);
  });
});

describe('dragHasFiles', () => {
  it('is true only for drags that carry files', () => {
    expect(dragHasFiles({ types: ['Files'] })).toBe(true);
    expect(dragHasFiles({ types: ['text/plain'] })).toBe(false);
    expect(dragHasFiles(null)).toBe(false);
  });
});
