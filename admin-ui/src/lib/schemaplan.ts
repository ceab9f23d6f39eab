// A schema change under review: the plan a dry run answers (PUT
// /content-types/{api_id}?dry_run=true) and the values a refusal says would
// be lost, in plain words. Pure; tested in schemaplan.test.ts.
import type { PlanStep, ProblemField, SchemaPlan } from './api';

/** One line of the review. Names are in backticks (shown as code); a warning line deletes stored values. */
export interface PlanLine {
  text: string;
  warning: boolean;
}

const entries = (n: number) => (n === 1 ? '1 entry' : `${n} entries`);
const NONE = '(no entry holds a value)';
const capital = (s: string) => (s ? s[0].toUpperCase() + s.slice(1) : s);

/** The field called `name` in a definition as sent. */
function fieldIn(definition: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const fields = Array.isArray(definition.fields) ? (definition.fields as unknown[]) : [];
  return fields.find((f): f is Record<string, unknown> => !!f && typeof f === 'object' && (f as { name?: unknown }).name === name);
}

/** ` (2 entries get its default `4`)`, or nothing when no entry is filled. */
function filled(step: PlanStep, definition: Record<string, unknown>): string {
  if (step.entries <= 0) return '';
  const f = fieldIn(definition, step.field);
  const value = f && 'default' in f ? ` \`${JSON.stringify(f.default).replace(/`/g, "'")}\`` : '';
  return ` (${entries(step.entries)} ${step.entries === 1 ? 'gets' : 'get'} its default${value})`;
}

/**
 * The plan, a line per step: renames, conversions, additions, fields made
 * required, removals (a warning when entries hold values). `definition` is
 * the one sent: it gives a conversion's new type and an added field's default.
 */
export function planLines(plan: SchemaPlan | null | undefined, definition: Record<string, unknown>): PlanLine[] {
  if (!plan) return [];
  const lines: PlanLine[] = [];
  for (const s of plan.renamed ?? []) {
    const kept = s.entries === 1 ? '(1 entry keeps its value)' : s.entries > 0 ? `(${s.entries} entries keep their values)` : NONE;
    lines.push({ text: `Rename \`${s.from ?? '?'}\` → \`${s.field}\` ${kept}`, warning: false });
  }
  for (const s of plan.converted ?? []) {
    const to = fieldIn(definition, s.field)?.type;
    const types = `from ${s.from ?? 'its old type'} to ${typeof to === 'string' ? to : 'its new type'}`;
    lines.push({ text: `Convert \`${s.field}\` ${types} ${s.entries > 0 ? `(${entries(s.entries)})` : NONE}`, warning: false });
  }
  for (const s of plan.added ?? []) lines.push({ text: `Add \`${s.field}\`${filled(s, definition)}`, warning: false });
  for (const s of plan.required ?? []) lines.push({ text: `Make \`${s.field}\` required${filled(s, definition)}`, warning: false });
  for (const s of plan.removed ?? []) {
    lines.push(
      s.entries > 0
        ? { text: `Remove \`${s.field}\` — deletes its ${s.entries === 1 ? 'value in 1 entry' : `values in ${s.entries} entries`}`, warning: true }
        : { text: `Remove \`${s.field}\` ${NONE}`, warning: false },
    );
  }
  return lines;
}

/** A server message without the API's own advice (`pass ?allow_data_loss=true …`), which the builder offers as a button. */
export function plainMessage(message: string): string {
  return message.replace(/[;,.]?\s*(?:or )?pass \?allow_data_loss=true[^;.]*/gi, '').trim();
}

/**
 * What forcing a refused change (`allow_data_loss=true`) deletes beyond the
 * plan's removals, from the refusal's errors: values that do not convert,
 * fields changed to a type their values cannot take.
 */
export function lossLines(errors: readonly ProblemField[]): PlanLine[] {
  return errors
    .filter((x) => x.rule !== 'removed' && x.rule !== 'kind_changed')
    .map((x) => {
      const m = capital(plainMessage(x.message).replace(/[;,.]\s*change them first$/i, ''));
      return { text: x.rule === 'conversion' ? `${m} — those values are deleted` : m, warning: true };
    });
}

/** `Rename `a` → `b`` → text and code parts, in order (odd ones are code). */
export const codeParts = (text: string) => text.split('`').map((part, i) => ({ part, code: i % 2 === 1 }));
