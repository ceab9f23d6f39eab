// What a role may do in the UI (the server decides; this only hides or
// disables what would be refused). Pure; tested in roles.test.ts.
export type Role = 'admin' | 'editor' | 'author' | 'viewer';

export function roleOf(user: { role?: string } | null | undefined): Role | null {
  const r = user?.role;
  return r === 'admin' || r === 'editor' || r === 'author' || r === 'viewer' ? r : null;
}

/** Content types, users and API tokens. */
export const canAdminister = (role: Role | null) => role === 'admin';
/** Create, save and delete entries (authors: their own; the server checks). */
export const canWrite = (role: Role | null) => role === 'admin' || role === 'editor' || role === 'author';
/** Publish and unpublish. */
export const canPublish = (role: Role | null) => role === 'admin' || role === 'editor';

export const READ_ONLY_NOTE = 'Your role can read but not change content';
