import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseWebhookConfig, renderManifests } from '../../webhook/src/index.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MODELS: Record<string, new (o: Obj) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration': ValidatingWebhookConfiguration,
};

const parseDocs = (yaml: string): Obj[] =>
  parseAllDocuments(yaml).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Obj;
  });
const byKind = (docs: Obj[], kind: string): Obj => {
  const d = docs.find((x) => x.kind === kind);
  if (!d) throw new Error(`no ${kind}`);
  return d;
};

/** The ValidatingWebhook field rules from FORMATS.md §1. */
function assertWebhookRules(vwc: Obj, ns: string, exempt: string[]): void {
  expect(vwc.webhooks).toHaveLength(1);
  const w = vwc.webhooks[0];
  expect(w.name).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+){2,}$/);
  const cc = w.clientConfig;
  expect(Number('url' in cc) + Number('service' in cc)).toBe(1);
  expect(cc.service).toEqual({ namespace: ns, name: 'portcullis-webhook', path: '/validate', port: 443 });
  expect(w.failurePolicy).toBe('Fail');
  expect(['None', 'NoneOnDryRun']).toContain(w.sideEffects);
  expect(w.timeoutSeconds).toBeGreaterThanOrEqual(1);
  expect(w.timeoutSeconds).toBeLessThanOrEqual(30);
  expect(w.admissionReviewVersions).toEqual(['v1']);
  expect(w.matchConditions?.length ?? 0).toBeLessThanOrEqual(64);
  const resources = (w.rules as Obj[]).flatMap((r) =>
    (r.resources as string[]).map((res) => `${r.apiGroups[0]}/${res}`),
  );
  expect(resources.sort()).toEqual(
    [
      '/pods',
      '/pods/ephemeralcontainers',
      '/replicationcontrollers',
      '/podtemplates',
      'apps/deployments',
      'apps/replicasets',
      'apps/statefulsets',
      'apps/daemonsets',
      'batch/jobs',
      'batch/cronjobs',
    ].sort(),
  );
  expect(resources.some((r) => r.endsWith('*'))).toBe(false);
  const eph = (w.rules as Obj[]).find((r) => r.resources.includes('pods/ephemeralcontainers'));
  expect(eph?.operations).toContain('UPDATE');
  for (const r of w.rules as Obj[])
    expect(r.operations).toEqual(
      expect.arrayContaining(
        r.resources.includes('pods/ephemeralcontainers') ? ['UPDATE'] : ['CREATE', 'UPDATE'],
      ),
    );
  const sel = w.namespaceSelector.matchExpressions.find((e: Obj) => e.key === 'kubernetes.io/metadata.name');
  expect(sel.operator).toBe('NotIn');
  expect(sel.values).toEqual(expect.arrayContaining([...exempt, ns]));
}

describe('renderManifests', () => {
  describe('with a generated certificate', () => {
    let docs: Obj[];
    let dir: string;
    beforeAll(async () => {
      docs = parseDocs(
        await renderManifests({
          namespace: 'guard',
          policyYaml: 'apiVersion: portcullis/v1\n',
          image: 'example/portcullis:1',
        }),
      );
      dir = mkdtempSync(join(tmpdir(), 'pc-manifests-'));
      return () => rmSync(dir, { recursive: true, force: true });
    });

    it('emits the expected objects, each valid against the Kubernetes schemas', () => {
      expect(docs.map((d) => d.kind)).toEqual([
        'Namespace',
        'ServiceAccount',
        'ConfigMap',
        'Secret',
        'Deployment',
        'PodDisruptionBudget',
        'Service',
        'ValidatingWebhookConfiguration',
      ]);
      for (const d of docs) {
        const Model = MODELS[`${d.apiVersion}/${d.kind}`];
        expect(Model, d.kind).toBeDefined();
        expect(() => new (Model as NonNullable<typeof Model>)(d).validate(), d.kind).not.toThrow();
      }
    });

    it('really validates: a broken object is rejected by the same models', () => {
      const dep = structuredClone(byKind(docs, 'Deployment'));
      dep.spec.replicas = 'three';
      expect(() => new Deployment(dep).validate()).toThrow();
      const vwc = structuredClone(byKind(docs, 'ValidatingWebhookConfiguration'));
      delete vwc.webhooks[0].sideEffects;
      expect(() => new ValidatingWebhookConfiguration(vwc).validate()).toThrow();
    });

    it('follows the ValidatingWebhook field rules, with a caBundle that verifies the serving cert for the Service name', () => {
      const vwc = byKind(docs, 'ValidatingWebhookConfiguration');
      assertWebhookRules(vwc, 'guard', ['kube-system']);
      const secret = byKind(docs, 'Secret');
      expect(secret.type).toBe('kubernetes.io/tls');
      const ca = Buffer.from(vwc.webhooks[0].clientConfig.caBundle, 'base64').toString();
      expect(ca).toContain('BEGIN CERTIFICATE');
      writeFileSync(join(dir, 'ca.pem'), ca);
      writeFileSync(join(dir, 'tls.crt'), Buffer.from(secret.data['tls.crt'], 'base64'));
      const out = execFileSync(
        'openssl',
        [
          'verify',
          '-CAfile',
          join(dir, 'ca.pem'),
          '-purpose',
          'sslserver',
          '-verify_hostname',
          'portcullis-webhook.guard.svc',
          join(dir, 'tls.crt'),
        ],
        { encoding: 'utf8' },
      );
      expect(out).toContain('OK');
    });

    it('runs 3 non-root replicas with a read-only root FS, probes, resources and a PDB', () => {
      const dep = byKind(docs, 'Deployment');
      expect(dep.spec.replicas).toBe(3);
      const pod = dep.spec.template.spec;
      const c = pod.containers[0];
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(c.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      expect(c.readinessProbe.httpGet).toMatchObject({ path: '/readyz', scheme: 'HTTPS' });
      expect(c.livenessProbe.httpGet).toMatchObject({ path: '/healthz', scheme: 'HTTPS' });
      expect(c.resources.requests).toBeDefined();
      expect(c.image).toBe('example/portcullis:1');
      expect(byKind(docs, 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: 2 });
      expect(byKind(docs, 'Service').spec.ports[0]).toMatchObject({ port: 443, targetPort: 'https' });
      expect(byKind(docs, 'ServiceAccount').metadata.namespace).toBe('guard');
    });

    it('ships a webhook config the server accepts, wired to the mounted cert, policy and store', () => {
      const cm = byKind(docs, 'ConfigMap');
      expect(cm.data['policy.yaml']).toBe('apiVersion: portcullis/v1\n');
      const cfg = parseWebhookConfig(cm.data['webhook.yaml']);
      expect(cfg.namespace).toBe('guard');
      expect(cfg.tls).toEqual({
        certFile: '/etc/portcullis/tls/tls.crt',
        keyFile: '/etc/portcullis/tls/tls.key',
      });
      expect(cfg.store).toEqual({ kind: 'sqlite', path: '/var/lib/portcullis/verdicts.sqlite' });
      expect(cfg.deadlineMs).toBeLessThan(
        byKind(docs, 'ValidatingWebhookConfiguration').webhooks[0].timeoutSeconds * 1000,
      );
      const mounts = byKind(docs, 'Deployment').spec.template.spec.containers[0].volumeMounts.map(
        (m: Obj) => m.mountPath,
      );
      expect(mounts).toEqual(
        expect.arrayContaining(['/etc/portcullis/tls', '/etc/portcullis/config', '/var/lib/portcullis']),
      );
    });
  });

  describe('vulnerability DB provisioning and plain YAML', () => {
    it('fills the DB with an init container, refreshes it in a sidecar and points the webhook at it', async () => {
      const yaml = await renderManifests({
        image: 'example/portcullis:1',
        dbMirror: 'https://osv.mirror.internal/osv',
      });
      const docs = parseDocs(yaml);
      const dep = byKind(docs, 'Deployment');
      expect(() => new Deployment(dep).validate()).not.toThrow();
      const pod = dep.spec.template.spec;
      const dbFile = '/var/lib/portcullis/db.sqlite';
      const mirror = ['--mirror', 'https://osv.mirror.internal/osv'];
      expect(pod.initContainers).toHaveLength(1);
      expect(pod.initContainers[0]).toMatchObject({
        image: 'example/portcullis:1',
        args: ['db', 'update', '--db', dbFile, ...mirror],
        securityContext: { readOnlyRootFilesystem: true, runAsNonRoot: true },
      });
      const refresh = pod.containers.find((c: Obj) => c.name === 'db-refresh');
      expect(refresh.args).toEqual(['db', 'update', '--db', dbFile, ...mirror, '--every', '6h']);
      // the three containers share the data volume the DB is written to
      const dataMount = (c: Obj): string | undefined =>
        (c.volumeMounts as Obj[]).find((m) => m.name === 'data')?.mountPath;
      for (const c of [pod.initContainers[0], refresh, pod.containers[0]])
        expect(dataMount(c)).toBe('/var/lib/portcullis');
      expect(pod.volumes.find((v: Obj) => v.name === 'data')).toEqual({ name: 'data', emptyDir: {} });
      const cfg = parseWebhookConfig(byKind(docs, 'ConfigMap').data['webhook.yaml']);
      expect(cfg.dbFile).toBe(dbFile);
    });

    it('downloads from osv.dev without --db-mirror, and refuses a bad mirror or refresh period', async () => {
      const pod = byKind(parseDocs(await renderManifests({ dbRefresh: '12h' })), 'Deployment').spec.template
        .spec;
      expect(pod.initContainers[0].args).toEqual(['db', 'update', '--db', '/var/lib/portcullis/db.sqlite']);
      expect(pod.containers.find((c: Obj) => c.name === 'db-refresh').args.slice(-2)).toEqual([
        '--every',
        '12h',
      ]);
      await expect(renderManifests({ dbMirror: 'ftp://x' })).rejects.toThrow(/dbMirror must be an http/);
      await expect(renderManifests({ dbRefresh: 'often' })).rejects.toThrow(/dbRefresh must be a duration/);
    });

    it('writes no YAML anchors or aliases', async () => {
      for (const certMode of ['generated', 'cert-manager'] as const) {
        const yaml = await renderManifests({ certMode });
        expect(yaml).not.toMatch(/[&*]a\d+\b/);
        for (const d of parseAllDocuments(yaml)) expect(d.toString()).not.toMatch(/^\s*[\w-]+: [&*]\w+/m);
      }
    });
  });

  describe('with cert-manager', () => {
    it('emits Issuer + Certificate and the inject-ca-from annotation instead of a caBundle', async () => {
      const docs = parseDocs(
        await renderManifests({
          certMode: 'cert-manager',
          redis: 'redis://redis.portcullis:6379',
          replicas: 2,
          timeoutSeconds: 5,
        }),
      );
      expect(docs.map((d) => d.kind)).not.toContain('Secret');
      const cert = byKind(docs, 'Certificate');
      expect(byKind(docs, 'Issuer').spec).toEqual({ selfSigned: {} });
      expect(cert.apiVersion).toBe('cert-manager.io/v1');
      expect(cert.spec.dnsNames).toContain('portcullis-webhook.portcullis.svc');
      expect(cert.spec.issuerRef).toEqual({ name: byKind(docs, 'Issuer').metadata.name, kind: 'Issuer' });
      const vwc = byKind(docs, 'ValidatingWebhookConfiguration');
      expect(vwc.metadata.annotations['cert-manager.io/inject-ca-from']).toBe(
        `portcullis/${cert.metadata.name}`,
      );
      expect(vwc.webhooks[0].clientConfig.caBundle).toBeUndefined();
      assertWebhookRules(vwc, 'portcullis', ['kube-system']);
      const tlsVolume = byKind(docs, 'Deployment').spec.template.spec.volumes.find(
        (v: Obj) => v.name === 'tls',
      );
      expect(tlsVolume.secret.secretName).toBe(cert.spec.secretName);
      const cfg = parseWebhookConfig(byKind(docs, 'ConfigMap').data['webhook.yaml']);
      expect(cfg.store).toEqual({
        kind: 'redis',
        url: 'redis://redis.portcullis:6379',
        keyPrefix: 'portcullis:',
      });
      expect(cfg.timeoutSeconds).toBe(5);
      for (const d of docs.filter((x) => !String(x.apiVersion).startsWith('cert-manager.io'))) {
        const Model = MODELS[`${d.apiVersion}/${d.kind}`] as NonNullable<(typeof MODELS)[string]>;
        expect(() => new Model(d).validate(), d.kind).not.toThrow();
      }
      expect(byKind(docs, 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: 1 });
    });

    it('refuses bad options, listing them all', async () => {
      await expect(
        renderManifests({ namespace: 'Bad_NS', replicas: 0, timeoutSeconds: 31, redis: 'http://x' }),
      ).rejects.toMatchObject({
        code: 'WEBHOOK_CONFIG_INVALID',
        message: expect.stringMatching(/namespace.*replicas.*timeoutSeconds.*redis/),
      });
    });
  });
});
