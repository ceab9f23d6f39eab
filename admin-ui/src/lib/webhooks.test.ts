import { describe, expect, it } from 'vitest';
import {
  createBody,
  emptyWebhookForm,
  eventsSummary,
  outcomeText,
  patchBody,
  prettyBody,
  WEBHOOK_EVENTS,
  webhookErrors,
  webhookToForm,
} from './webhooks';

const hook = { name: 'Build', url: 'https://ci.example/hook', events: ['entry.published'], types: null, enabled: true };

describe('webhook forms', () => {
  it('sends a new webhook trimmed, events in order, all types as null, no empty secret', () => {
    const f = { ...emptyWebhookForm(), name: ' Build ', url: ' https://ci.example/hook ', events: ['cache.purge', 'entry.saved'] };
    expect(createBody(f)).toStrictEqual({
      name: 'Build',
      url: 'https://ci.example/hook',
      events: ['entry.saved', 'cache.purge'],
      types: null,
      enabled: true,
    });
    expect(createBody({ ...f, allTypes: false, types: ['articles'], secret: 'sixteen chars ok', enabled: false })).toMatchObject({
      types: ['articles'],
      secret: 'sixteen chars ok',
      enabled: false,
    });
  });

  it('patches only what changed', () => {
    const before = webhookToForm(hook);
    expect(before).toEqual({ ...emptyWebhookForm(), name: 'Build', url: 'https://ci.example/hook', events: ['entry.published'] });
    expect(patchBody(before, { ...before })).toStrictEqual({});
    // The same events in another order are no change.
    const two = webhookToForm({ ...hook, events: ['entry.saved', 'entry.published'] });
    expect(patchBody(two, { ...two, events: ['entry.published', 'entry.saved'] })).toStrictEqual({});
    expect(patchBody(before, { ...before, name: 'Deploy ', events: ['entry.published', 'entry.deleted'] })).toStrictEqual({
      name: 'Deploy',
      events: ['entry.published', 'entry.deleted'],
    });
    expect(patchBody(before, { ...before, allTypes: false, types: ['articles'], secret: 'a new signing key' })).toStrictEqual({
      types: ['articles'],
      secret: 'a new signing key',
    });
  });

  it('lifts a type limit with null', () => {
    const limited = webhookToForm({ ...hook, types: ['articles', 'pages'] });
    expect(limited.allTypes).toBe(false);
    expect(patchBody(limited, { ...limited, types: ['pages', 'articles'] })).toStrictEqual({});
    expect(patchBody(limited, { ...limited, allTypes: true })).toStrictEqual({ types: null });
    // Switched off without a type: sent, so the server says what is missing.
    expect(patchBody(webhookToForm(hook), { ...webhookToForm(hook), allTypes: false })).toStrictEqual({ types: [] });
  });

  it('puts a refusal’s errors next to the inputs, naming list items by value', () => {
    const sent = { name: '', url: 'ftp://example.com/', events: ['entry.published', 'entry.nope'] };
    const { fields, rest } = webhookErrors(
      [
        { field: 'url', rule: 'scheme', message: 'only http and https URLs are allowed' },
        { field: 'events[1]', rule: 'values', message: 'must be one of: …' },
        { field: 'name', rule: 'length', message: '1 to 100 characters' },
        { field: 'name', rule: 'other', message: 'and more' },
        { field: 'version', rule: 'required', message: 'send the version you read' },
        { field: '', rule: 'x', message: 'Something else' },
      ],
      sent,
    );
    expect(fields).toEqual({
      url: 'only http and https URLs are allowed',
      events: 'entry.nope: must be one of: …',
      name: '1 to 100 characters and more',
    });
    expect(rest).toEqual(['version: send the version you read', 'Something else']);
    expect(webhookErrors(null, {})).toEqual({ fields: {}, rest: [] });
  });
});

describe('webhook lists', () => {
  it('summarises events', () => {
    expect(eventsSummary([...WEBHOOK_EVENTS].reverse())).toBe('All events');
    expect(eventsSummary(['entry.published'])).toBe('entry.published');
    expect(eventsSummary(['cache.purge', 'entry.saved', 'asset.created'])).toBe('entry.saved, asset.created, cache.purge');
    expect(eventsSummary(['cache.purge', 'entry.saved', 'asset.created', 'type.changed'])).toBe('entry.saved, asset.created and 2 more');
    expect(eventsSummary([])).toBe('None');
  });

  it('tells what came of a delivery', () => {
    expect(outcomeText({ attempts: 1, status_code: 200, error: null })).toBe('HTTP 200');
    expect(outcomeText({ attempts: 2, status_code: null, error: 'timed out' })).toBe('timed out');
    expect(outcomeText({ attempts: 0 })).toBe('Not tried yet');
    expect(outcomeText({ attempts: 1 })).toBe('No answer');
  });

  it('indents a JSON body and leaves anything else as it is', () => {
    expect(prettyBody('{"event":"ping","at":"x"}')).toBe('{\n  "event": "ping",\n  "at": "x"\n}');
    expect(prettyBody('not json')).toBe('not json');
  });
});
