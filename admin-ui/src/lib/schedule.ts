// Scheduled publishing in the entry editor: the inputs' local times as the
// API's UTC times, a schedule in words, and a refusal's errors by input.
// Pure; tested in schedule.test.ts.
import type { ProblemField, ScheduleOut, ScheduleSet } from './api';
import { fieldNameOf, localInputToRfc3339 } from './form';
import { localDate } from './history';

/** The two scheduled actions, each with its key in the API and its input's label. */
export const SCHEDULE_ACTIONS = [
  { action: 'publish', key: 'publish_at', label: 'Publish at' },
  { action: 'unpublish', key: 'unpublish_at', label: 'Unpublish at' },
] as const;
export type ScheduleKey = (typeof SCHEDULE_ACTIONS)[number]['key'];
export type ScheduleInputs = Record<ScheduleKey, string>;
export type ScheduleErrors = Partial<Record<ScheduleKey, string>>;

export const emptyScheduleInputs = (): ScheduleInputs => ({ publish_at: '', unpublish_at: '' });

/**
 * A `datetime-local` value (the browser's zone) → an ISO time in UTC
 * (`…T09:00:00.000Z`), or null. Read strictly first: `new Date` alone would
 * roll 31 February over into March.
 */
export function localToIso(value: string): string | null {
  const rfc = localInputToRfc3339(value);
  return rfc && new Date(rfc).toISOString();
}

/** An ISO time as a date and time in the browser's locale and zone. */
export const localTime = (iso: string): string => localDate(iso);

/** One time a translation is set to publish or unpublish at. */
export interface Planned {
  key: ScheduleKey;
  action: 'publish' | 'unpublish';
  /** As the API gave it (UTC). */
  at: string;
  /** "Scheduled to publish at" */
  label: string;
  /** The time in the browser's locale and zone. */
  when: string;
}

/** The times set, publish first. */
export function describeSchedule(schedule: ScheduleOut | null | undefined): Planned[] {
  const out: Planned[] = [];
  for (const { action, key } of SCHEDULE_ACTIONS) {
    const at = schedule?.[key];
    if (at) out.push({ key, action, at, label: `Scheduled to ${action} at`, when: localTime(at) });
  }
  return out;
}

/**
 * Why the last scheduled action did not run, in words; '' when it did. The
 * server says `publish failed: <why>` (or `unpublish failed: …`).
 */
export function scheduleWarning(error: string | null | undefined): string {
  if (!error) return '';
  const m = /^(publish|unpublish) failed: ([\s\S]*)$/.exec(error);
  return m ? `The scheduled ${m[1]} could not run: ${m[2]}` : `A scheduled action could not run: ${error}`;
}

/**
 * The body for the inputs filled in (an empty one leaves that time as it
 * is), or an error per input that is not a date and time.
 */
export function scheduleBody(inputs: ScheduleInputs): { body: ScheduleSet; errors: ScheduleErrors } {
  const body: ScheduleSet = {};
  const errors: ScheduleErrors = {};
  for (const { key } of SCHEDULE_ACTIONS) {
    const v = inputs[key].trim();
    if (!v) continue;
    const iso = localToIso(v);
    if (iso) body[key] = iso;
    else errors[key] = 'Enter a date and time.';
  }
  return { body, errors };
}

/** A 422's errors by input (several joined); any other error as a line of its own. */
export function scheduleErrors(errors: readonly ProblemField[] | null | undefined): { fields: ScheduleErrors; rest: string[] } {
  const fields: ScheduleErrors = {};
  const rest: string[] = [];
  const keys = SCHEDULE_ACTIONS.map((a) => a.key as string);
  for (const e of errors ?? []) {
    const key = fieldNameOf(e.field, keys) as ScheduleKey | null;
    if (key) fields[key] = fields[key] ? `${fields[key]} ${e.message}` : e.message;
    else rest.push(e.field ? `${e.field}: ${e.message}` : e.message);
  }
  return { fields, rest };
}
