import { describe, expect, it } from 'vitest';
import { entryTarget } from './audit';

const row = (action: string, resource_type: string, detail?: unknown) => ({ action, resource_type, detail });

describe('entryTarget', () => {
  it('opens an entry in the type and translation its detail names', () => {
    expect(entryTarget(row('entry.publish', 'entry', { type: 'articles', locale: 'fr', before_version: 2, after_version: 3 }))).toEqual({
      type: 'articles',
      locale: 'fr',
    });
    expect(entryTarget(row('entry.update', 'entry', { type: 'articles', locale: null }))).toStrictEqual({ type: 'articles' });
  });

  it('gives no link without a type, for a deleted entry, or for other resources', () => {
    expect(entryTarget(row('entry.create', 'entry'))).toBeNull();
    expect(entryTarget(row('entry.create', 'entry', null))).toBeNull();
    expect(entryTarget(row('entry.create', 'entry', { locale: 'en' }))).toBeNull();
    expect(entryTarget(row('entry.create', 'entry', ['articles']))).toBeNull();
    expect(entryTarget(row('entry.delete', 'entry', { type: 'articles', before_version: 4 }))).toBeNull();
    expect(entryTarget(row('content_type.update', 'content_type', { type: 'articles' }))).toBeNull();
  });
});
