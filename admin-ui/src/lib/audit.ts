// The audit log screen's pure parts. Tested in audit.test.ts.
import type { AuditOut } from './api';

/** The resource types the server records, with words for the filter. */
export const RESOURCE_TYPES = [
  ['entry', 'Entries'],
  ['content_type', 'Content types'],
  ['user', 'Users'],
  ['token', 'API tokens'],
  ['asset', 'Media'],
  ['webhook', 'Webhooks'],
] as const;

/** Suggestions for the action filter: the filter is an exact match, so a typo finds nothing. */
export const AUDIT_ACTIONS = [
  'entry.create',
  'entry.update',
  'entry.restore',
  'entry.publish',
  'entry.unpublish',
  'entry.nullify',
  'entry.delete',
  'content_type.create',
  'content_type.update',
  'content_type.delete',
  'user.create',
  'user.update',
  'user.delete',
  'token.create',
  'token.delete',
  'asset.create',
  'asset.update',
  'asset.delete',
  'webhook.create',
  'webhook.update',
  'webhook.delete',
] as const;

/**
 * Where a row's entry opens in the editor: its type (and translation), which
 * the row's detail names. None for other resources, for a detail without a
 * type, and for a delete (the entry is gone).
 */
export function entryTarget(row: Pick<AuditOut, 'action' | 'resource_type' | 'detail'>): { type: string; locale?: string } | null {
  if (row.resource_type !== 'entry' || row.action === 'entry.delete') return null;
  const d = row.detail;
  if (!d || typeof d !== 'object' || Array.isArray(d)) return null;
  const { type, locale } = d as { type?: unknown; locale?: unknown };
  if (typeof type !== 'string' || !type) return null;
  return typeof locale === 'string' && locale ? { type, locale } : { type };
}
