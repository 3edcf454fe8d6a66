import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WEBHOOK_CONFIG,
  evaluateBreakGlass,
  parseStoreSpec,
  parseWebhookConfig,
  toWarnings,
} from '../../webhook/src/index.js';

describe('parseWebhookConfig', () => {
  it('returns the defaults for an empty config', () => {
    const c = parseWebhookConfig();
    expect(c).toEqual({
      ...DEFAULT_WEBHOOK_CONFIG,
      policyFile: undefined,
      dbFile: undefined,
      mode: undefined,
      unknown: undefined,
    });
    expect(c.exemptNamespaces).toEqual(['kube-system']);
    expect(c.failureMode).toBe('closed');
    expect(c.deadlineMs).toBeLessThan(c.timeoutSeconds * 1000);
  });

  it('reads YAML and lets flags override the file', () => {
    const c = parseWebhookConfig(
      `port: 9443
mode: warn
store: sqlite:/var/lib/portcullis/v.sqlite
namespaceModes: { staging: audit }
tls: { certFile: /tls/tls.crt, keyFile: /tls/tls.key }
`,
      { port: '8443', unknown: 'allow-and-scan', store: 'redis://redis:6379', mode: undefined },
    );
    expect(c.port).toBe(8443);
    expect(c.mode).toBe('warn');
    expect(c.unknown).toBe('allow-and-scan');
    expect(c.store).toEqual({ kind: 'redis', url: 'redis://redis:6379', keyPrefix: 'portcullis:' });
    expect(c.namespaceModes).toEqual({ staging: 'audit' });
    expect(c.tls).toEqual({ certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' });
  });

  it('reads maxVerdictAge with the same duration forms as the policy', () => {
    expect(parseWebhookConfig({ maxVerdictAge: '2w' }).maxVerdictAge).toBe('2w');
    expect(parseWebhookConfig({ maxVerdictAge: '500ms' }).maxVerdictAge).toBe('500ms');
    expect(() => parseWebhookConfig({ maxVerdictAge: '7 days' })).toThrow(
      expect.objectContaining({
        code: 'WEBHOOK_CONFIG_INVALID',
        problems: [expect.objectContaining({ path: '/maxVerdictAge' })],
      }),
    );
  });

  it('lists every problem at once with WEBHOOK_CONFIG_INVALID', () => {
    let err: unknown;
    try {
      parseWebhookConfig({
        port: 70000,
        mode: 'block',
        store: 'mysql://x',
        timeoutSeconds: 31,
        namespaceModes: { a: 'nope' },
        tls: { certFile: '/x' },
        bogus: 1,
        oidcIssuers: [{ issuer: 'http://insecure', claims: {} }],
        trustedKeys: [{ alg: 'ES256' }],
      });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'WEBHOOK_CONFIG_INVALID' });
    const paths = (err as { problems: { path: string }[] }).problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/port',
        '/mode',
        '/store',
        '/timeoutSeconds',
        '/namespaceModes/a',
        '/tls',
        '/bogus',
        '/oidcIssuers/0/issuer',
        '/oidcIssuers/0/audience',
        '/oidcIssuers/0/claims',
        '/trustedKeys/0',
      ]),
    );
  });

  it('keeps the deadline below the apiserver timeout and the scan budget below the deadline', () => {
    expect(() => parseWebhookConfig({ timeoutSeconds: 5, deadlineMs: 5000 })).toThrow(
      /deadlineMs: must be below timeoutSeconds/,
    );
    expect(() => parseWebhookConfig({ scanBudgetMs: 9000 })).toThrow(
      /scanBudgetMs: must be below deadlineMs/,
    );
    expect(() => parseWebhookConfig('[1, 2]')).toThrow(/must be a mapping/);
    expect(() => parseWebhookConfig('a: [')).toThrow(/not valid YAML/);
  });

  it('parses store specs', () => {
    expect(parseStoreSpec('memory')).toEqual({ kind: 'memory' });
    expect(parseStoreSpec('sqlite:/tmp/x.sqlite')).toEqual({ kind: 'sqlite', path: '/tmp/x.sqlite' });
    expect(() => parseStoreSpec('sqlite:')).toThrow(/invalid store/);
  });
});

describe('evaluateBreakGlass', () => {
  const ctx = {
    namespace: 'ops',
    allowedNamespaces: ['ops'],
    maxDurationHours: 24,
    now: new Date('2026-11-27T16:00:00Z'),
  };
  it('honours a ticket with a near expiry and keeps the reason', () => {
    expect(evaluateBreakGlass('INC-1; expires=2026-11-28T00:00:00Z; reason=outage', ctx)).toEqual({
      status: 'honoured',
      ticket: 'INC-1',
      expires: '2026-11-28T00:00:00Z',
      reason: 'outage',
    });
    expect(evaluateBreakGlass(undefined, ctx)).toEqual({ status: 'absent' });
    expect(evaluateBreakGlass('INC-1; expires=tomorrow', ctx)).toMatchObject({
      status: 'refused',
      why: expect.stringContaining('RFC 3339'),
    });
  });
});

describe('toWarnings', () => {
  it('cuts each warning to 120 characters and caps their number', () => {
    const w = toWarnings(['x'.repeat(300), ...Array.from({ length: 30 }, (_, i) => `w${i}`)]);
    expect(w[0]).toHaveLength(120);
    expect(w).toHaveLength(20);
    expect(w[19]).toBe('… and 12 more warnings');
  });
});
