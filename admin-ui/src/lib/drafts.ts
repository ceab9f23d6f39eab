// Unsaved form data kept in sessionStorage across a sign-in (after a 401).
import type { InputValue } from './form';
const PREFIX = 'quire.draft:';

export interface Draft {
  inputs: Record<string, InputValue>;
  baseVersion: number | null;
}

const stashers = new Set<() => void>();

/** An open form registers how to stash its unsaved data. */
export function registerStasher(fn: () => void): () => void {
  stashers.add(fn);
  return () => stashers.delete(fn);
}

/** Stashes every open form's unsaved data (before going to sign-in). */
export function stashAll(): void {
  for (const fn of stashers) {
    try {
      fn();
    } catch {
      /* best effort */
    }
  }
}

/** Per entry and translation, so one locale's draft never overwrites another's. */
export const draftKey = (type: string, id: string | null, locale?: string) =>
  `${PREFIX}${type}:${id ?? 'new'}${locale ? `:${locale}` : ''}`;

export function saveDraft(key: string, draft: Draft): void {
  try {
    sessionStorage.setItem(key, JSON.stringify(draft));
  } catch {
    /* storage full or off */
  }
}

/** Reads and removes a stashed draft. */
export function takeDraft(key: string): Draft | null {
  try {
    const raw = sessionStorage.getItem(key);
    if (!raw) return null;
    sessionStorage.removeItem(key);
    const d = JSON.parse(raw) as Draft;
    return d && typeof d === 'object' && d.inputs && typeof d.inputs === 'object' ? d : null;
  } catch {
    return null;
  }
}
