import { join } from 'node:path';
import { Agent } from 'undici';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ValidatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, TEST_REGISTRY, haveTestImages, skipReason, NO_IMAGES_REASON } from '../helpers/env.js';
import {
  reviewPod,
  startWebhook,
  type AdmissionReply,
  type WebhookProcess,
} from '../helpers/webhook-process.js';
import { createScratch, portcullisBinary } from './helpers.js';

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
  'portcullis webhook serve (real process, HTTPS)',
  () => {
    let webhook: WebhookProcess;
    let cleanup: () => Promise<void>;
    // the server runs on a temporary self-signed certificate (no --tls-cert given): trust is not the subject here
    const agent = new Agent({ connect: { rejectUnauthorized: false } });

    const validate = (image: string, uid: string): Promise<AdmissionReply> =>
      reviewPod(webhook.url, image, uid, agent);

    /** Asks until the answer is no longer "not scanned yet" (the background scan has stored its result). */
    async function validateScanned(image: string): Promise<AdmissionReply> {
      for (let i = 0; i < 120; i++) {
        const reply = await validate(image, `u-${i}`);
        if (!reply.response.status?.message.includes('has not been scanned yet')) return reply;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`no scan result for ${image} after 60 s; server said:\n${webhook.stderr()}`);
    }

    beforeAll(async () => {
      const scratch = await createScratch('webhook');
      cleanup = scratch.cleanup;
      webhook = await startWebhook(['--store', `sqlite:${join(scratch.dir, 'verdicts.sqlite')}`], {
        env: { PATH: process.env.PATH, HOME: scratch.dir },
      });
    });

    afterAll(async () => {
      await webhook?.stop('SIGKILL');
      await agent.close();
      await cleanup?.();
    });

    it('denies an unknown image at once and says a scan was queued', async () => {
      const reply = await validate(`${TEST_REGISTRY}/fixtures/debian:multi`, 'first');
      expect(reply.response.uid).toBe('first');
      if (
        reply.response.allowed === false &&
        reply.response.status?.message.includes('has not been scanned yet')
      ) {
        expect(reply.response.status.message).toContain('a scan was queued');
      } else {
        // the background scan may already have finished on a fast machine: then the verdict itself denies
        expect(reply.response.allowed).toBe(false);
      }
    });

    it('denies the multi image once scanned, with readable reasons and no secret value', async () => {
      const reply = await validateScanned(`${TEST_REGISTRY}/fixtures/debian:multi`);
      expect(reply.response.allowed).toBe(false);
      expect(reply.response.status?.code).toBe(403);
      expect(reply.response.status?.message).toMatch(/denied: .*deny ≥ high/);
      expect(JSON.stringify(reply)).not.toContain('LTAI5tQz8vRmXw3YbNc7KpLd');
    });

    it('denies the min image once scanned: without a DB its vulnerabilities were never checked', async () => {
      // the server runs without --db and with an empty HOME: the default DB path holds nothing
      const reply = await validateScanned(`${TEST_REGISTRY}/fixtures/debian:min`);
      expect(reply.response.allowed).toBe(false);
      expect(reply.response.status?.message).toMatch(/vulnerabilities not checked: no vulnerability DB at /);
      expect(webhook.stderr()).toContain('WARNING: no usable vulnerability DB at');
    });

    it('stops cleanly on SIGTERM', async () => {
      expect(await webhook.stop('SIGTERM')).toBe(0);
      expect(webhook.stderr()).toContain('SIGTERM: shutting down');
    });
  },
);

describe('portcullis webhook manifests', () => {
  it('prints objects that validate against the Kubernetes schemas', async () => {
    const run = await portcullisBinary(['webhook', 'manifests', '--namespace', 'guard', '--replicas', '3']);
    expect(run.code).toBe(0);
    const docs = parseAllDocuments(run.stdout).map(
      (d) => d.toJSON() as { kind: string; metadata: { namespace?: string } },
    );
    const kinds = docs.map((d) => d.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Namespace',
        'ServiceAccount',
        'ConfigMap',
        'Deployment',
        'PodDisruptionBudget',
        'Service',
        'Secret',
        'ValidatingWebhookConfiguration',
      ]),
    );
    const dep = docs.find((d) => d.kind === 'Deployment');
    expect(dep?.metadata.namespace).toBe('guard');
    expect(() => new Deployment(dep as never).validate()).not.toThrow();
    const vwc = docs.find((d) => d.kind === 'ValidatingWebhookConfiguration');
    expect(() => new ValidatingWebhookConfiguration(vwc as never).validate()).not.toThrow();
  });

  it('refuses an invalid policy file with exit 2', async () => {
    const run = await portcullisBinary([
      'webhook',
      'manifests',
      '--policy',
      join(ROOT, 'test', 'fixtures', 'e2e', 'invalid-policy.yaml'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^portcullis: POLICY_INVALID: /);
  });
});
