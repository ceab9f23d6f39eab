// Pure helpers for the media library. Tested in media.test.ts.
import type { Problem } from './api';

/** An entry that uses an asset, as a 409 `asset_in_use` names it. */
export interface EntryRef {
  type: string;
  id: string;
}

function refOf(s: string): EntryRef | null {
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(s.trim());
  return m ? { type: m[1], id: m[2] } : null;
}

/**
 * The entries named by an `asset_in_use` problem: from its `errors`
 * (`{field: "entries", message: "articles/<id>"}`), or else from its detail
 * (`entries use this asset: articles/<id>, pages/<id>`).
 */
export function entriesInUse(problem: Pick<Problem, 'detail' | 'errors'> | null | undefined): EntryRef[] {
  if (!problem) return [];
  const seen = new Set<string>();
  const out: EntryRef[] = [];
  const add = (r: EntryRef | null) => {
    if (!r || seen.has(`${r.type}/${r.id}`)) return;
    seen.add(`${r.type}/${r.id}`);
    out.push(r);
  };
  for (const e of problem.errors ?? []) if (e.field === 'entries') add(refOf(e.message));
  if (out.length) return out;
  const detail = problem.detail ?? '';
  const colon = detail.indexOf(':');
  if (colon < 0) return out;
  for (const part of detail.slice(colon + 1).split(',')) add(refOf(part));
  return out;
}

/** Whether a drag carries files (its `types` include `Files`). */
export const dragHasFiles = (dt: Pick<DataTransfer, 'types'> | null | undefined): boolean =>
  !!dt && Array.from(dt.types ?? []).includes('Files');
