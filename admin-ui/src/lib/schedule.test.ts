import { describe, expect, it } from 'vitest';
import { rfc3339ToLocalInput } from './form';
import {
  describeSchedule,
  emptyScheduleInputs,
  localTime,
  localToIso,
  scheduleBody,
  scheduleErrors,
  scheduleWarning,
} from './schedule';

describe('localToIso', () => {
  it('round-trips through the local input, whatever the zone', () => {
    // Across both DST changes in zones that have them, and a leap day.
    for (const iso of ['2030-01-01T09:00:00.000Z', '2026-03-29T01:30:00.000Z', '2026-10-25T00:59:00.000Z', '2028-02-29T23:15:00.000Z']) {
      const local = rfc3339ToLocalInput(iso);
      expect(local).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
      expect(localToIso(local)).toBe(iso);
    }
  });
  it('reads the input as local time, as the browser shows it', () => {
    const d = new Date(2030, 0, 1, 9, 30);
    expect(localToIso('2030-01-01T09:30')).toBe(d.toISOString());
    expect(localToIso('2030-01-01T09:30:15')).toBe(new Date(2030, 0, 1, 9, 30, 15).toISOString());
  });
  it('refuses what is not a date and time', () => {
    expect(localToIso('')).toBeNull();
    expect(localToIso('tomorrow')).toBeNull();
    expect(localToIso('2030-02-31T09:00')).toBeNull();
  });
});

describe('describeSchedule', () => {
  it('says what is set, publish first, in local time', () => {
    const publish = '2030-01-01T09:00:00.000Z';
    const unpublish = '2030-02-01T09:00:00.000Z';
    expect(describeSchedule({ unpublish_at: unpublish, publish_at: publish, error: null })).toEqual([
      { key: 'publish_at', action: 'publish', at: publish, label: 'Scheduled to publish at', when: localTime(publish) },
      { key: 'unpublish_at', action: 'unpublish', at: unpublish, label: 'Scheduled to unpublish at', when: localTime(unpublish) },
    ]);
    expect(localTime(publish)).not.toBe(publish);
  });
  it('says nothing when nothing is set', () => {
    expect(describeSchedule({ publish_at: null, unpublish_at: null, error: null })).toEqual([]);
    expect(describeSchedule({})).toEqual([]);
    expect(describeSchedule(undefined)).toEqual([]);
  });
});

describe('scheduleWarning', () => {
  it('names the action that could not run, and why', () => {
    expect(scheduleWarning('publish failed: slug: is already taken')).toBe('The scheduled publish could not run: slug: is already taken');
    expect(scheduleWarning('unpublish failed: gone')).toBe('The scheduled unpublish could not run: gone');
    expect(scheduleWarning('something else')).toBe('A scheduled action could not run: something else');
  });
  it('is empty without an error', () => {
    expect(scheduleWarning(null)).toBe('');
    expect(scheduleWarning(undefined)).toBe('');
    expect(scheduleWarning('')).toBe('');
  });
});

describe('scheduleBody', () => {
  it('sends only the times filled in, in UTC', () => {
    const iso = '2030-01-01T09:00:00.000Z';
    expect(scheduleBody({ publish_at: rfc3339ToLocalInput(iso), unpublish_at: '' })).toEqual({ body: { publish_at: iso }, errors: {} });
    expect(scheduleBody({ publish_at: '', unpublish_at: ` ${rfc3339ToLocalInput(iso)} ` })).toEqual({ body: { unpublish_at: iso }, errors: {} });
    expect(scheduleBody(emptyScheduleInputs())).toEqual({ body: {}, errors: {} });
  });
  it('marks an input that is not a date and time', () => {
    expect(scheduleBody({ publish_at: '2030-13-01T09:00', unpublish_at: '' })).toEqual({
      body: {},
      errors: { publish_at: 'Enter a date and time.' },
    });
  });
});

describe('scheduleErrors', () => {
  it('puts each error at its input', () => {
    expect(
      scheduleErrors([
        { field: 'publish_at', rule: 'future', message: 'must be later than now (2026-01-01T00:00:00.000Z)' },
        { field: 'unpublish_at', rule: 'future', message: 'must be later than now (2026-01-01T00:00:00.000Z)' },
        { field: 'unpublish_at', rule: 'after_publish', message: 'must be later than publish_at' },
      ]),
    ).toEqual({
      fields: {
        publish_at: 'must be later than now (2026-01-01T00:00:00.000Z)',
        unpublish_at: 'must be later than now (2026-01-01T00:00:00.000Z) must be later than publish_at',
      },
      rest: [],
    });
    expect(scheduleErrors([{ field: '/publish_at', rule: 'type', message: 'must be an RFC 3339 date-time' }]).fields).toEqual({
      publish_at: 'must be an RFC 3339 date-time',
    });
  });
  it('keeps any other error as a line', () => {
    expect(scheduleErrors([{ field: 'locale', rule: 'locale', message: 'unknown locale' }, { field: '', rule: 'x', message: 'no' }])).toEqual({
      fields: {},
      rest: ['locale: unknown locale', 'no'],
    });
    expect(scheduleErrors(null)).toEqual({ fields: {}, rest: [] });
  });
});
