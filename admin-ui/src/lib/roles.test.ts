import { describe, expect, it } from 'vitest';
import { canAdminister, canPublish, canWrite, roleOf } from './roles';

describe('roles', () => {
  it('reads a known role and nothing else', () => {
    expect(roleOf({ role: 'editor' })).toBe('editor');
    expect(roleOf({ role: 'root' })).toBeNull();
    expect(roleOf(null)).toBeNull();
  });
  it('gives each role its rights', () => {
    expect([canAdminister('admin'), canAdminister('editor')]).toEqual([true, false]);
    expect(['admin', 'editor', 'author', 'viewer'].map((r) => canWrite(roleOf({ role: r })))).toEqual([true, true, true, false]);
    expect(['admin', 'editor', 'author', 'viewer'].map((r) => canPublish(roleOf({ role: r })))).toEqual([true, true, false, false]);
    expect(canWrite(null)).toBe(false);
  });
});
