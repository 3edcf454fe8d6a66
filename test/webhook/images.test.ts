import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  extractImages,
  imagesToJudge,
  metadataValue,
  objectMetadata,
  parseAdmissionReview,
  type AdmissionDecision,
} from '../../webhook/src/index.js';
import { admissionRequests, readRequest, testApp, toReview } from './helpers.js';

/** What each fixture must yield, in spec order (containers, initContainers, ephemeralContainers, volumes). */
const EXPECTED: Record<string, { kind: string; images: [string, string][] }> = {
  'kubewarden-pod-privileged/deployment_with_privileged_containers.json': {
    kind: 'Deployment',
    images: [['containers', 'nginx']],
  },
  'kubewarden-pod-privileged/no_privileged_containers.json': {
    kind: 'Pod',
    images: [
      ['containers', 'alpine'],
      ['containers', 'nginx'],
    ],
  },
  'kubewarden-pod-privileged/privileged_container.json': {
    kind: 'Pod',
    images: [
      ['containers', 'alpine'],
      ['containers', 'nginx'],
    ],
  },
  'kubewarden-pod-privileged/privileged_ephemeral_container.json': {
    kind: 'Pod',
    images: [
      ['containers', 'alpine'],
      ['containers', 'nginx'],
      ['ephemeralContainers', 'nginx'],
    ],
  },
  'kubewarden-pod-privileged/privileged_init_container.json': {
    kind: 'Pod',
    images: [
      ['containers', 'alpine'],
      ['containers', 'nginx'],
      ['initContainers', 'nginx'],
    ],
  },
  'kubewarden-pod-privileged/statefulset_with_privileged_container.json': {
    kind: 'StatefulSet',
    images: [['containers', 'nginx']],
  },
  'kubewarden-trusted-repos/cronjob_creation.json': {
    kind: 'CronJob',
    images: [['containers', 'ghcr.io/kubewarden/test-verify-image-signatures:signed']],
  },
  'kubewarden-trusted-repos/daemonset_creation.json': {
    kind: 'DaemonSet',
    images: [['containers', 'ghcr.io/kubewarden/test-verify-image-signatures:signed']],
  },
  'kubewarden-trusted-repos/deployment_creation.json': {
    kind: 'Deployment',
    images: [['containers', 'ghcr.io/kubewarden/test-verify-image-signatures:signed']],
  },
  'kubewarden-trusted-repos/ingress_creation.json': { kind: 'Ingress', images: [] },
  'kubewarden-trusted-repos/job_creation.json': {
    kind: 'Job',
    images: [['containers', 'ghcr.io/kubewarden/test-verify-image-signatures:signed']],
  },
  'kubewarden-trusted-repos/pod_creation.json': { kind: 'Pod', images: [['containers', 'nginx:1.0.0']] },
  'kubewarden-trusted-repos/pod_creation_implicit_latest.json': {
    kind: 'Pod',
    images: [['containers', 'nginx']],
  },
  'kubewarden-trusted-repos/pod_creation_latest.json': {
    kind: 'Pod',
    images: [['containers', 'nginx:latest']],
  },
  'kubewarden-trusted-repos/replicaset_creation.json': {
    kind: 'ReplicaSet',
    images: [['containers', 'ghcr.io/kubewarden/test-verify-image-signatures:signed']],
  },
  'kubewarden-trusted-repos/replicationcontroller_creation.json': {
    kind: 'ReplicationController',
    images: [['containers', 'ghcr.io/kubewarden/test-verify-image-signatures:signed']],
  },
  'kubewarden-trusted-repos/statefulset_creation.json': {
    kind: 'StatefulSet',
    images: [['containers', 'ghcr.io/kubewarden/test-verify-image-signatures:signed']],
  },
};

const sortPairs = (p: [string, string][]): [string, string][] =>
  [...p].sort((a, b) => (a.join() < b.join() ? -1 : 1));

describe('image extraction', () => {
  const fixtures = admissionRequests();

  it('covers every AdmissionRequest fixture', () => {
    expect(fixtures.map(([n]) => n).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  describe.each(fixtures)('%s', (name, req) => {
    const expected = EXPECTED[name] as (typeof EXPECTED)[string];

    it('parses as a v1 AdmissionReview and yields exactly the expected images', () => {
      const parsed = parseAdmissionReview(toReview(req));
      expect(parsed.kind.kind).toBe(expected.kind);
      expect(parsed.uid).toBe(req.uid);
      const got = imagesToJudge(parsed).map((i): [string, string] => [i.field, i.image]);
      expect(sortPairs(got)).toEqual(sortPairs(expected.images));
    });
  });

  it('reads images from every pod carrier path, init/ephemeral containers and image volumes', () => {
    const spec = {
      containers: [{ name: 'a', image: 'a:1' }],
      initContainers: [{ name: 'i', image: 'i:1' }],
      ephemeralContainers: [{ name: 'e', image: 'e:1' }],
      volumes: [
        { name: 'v', image: { reference: 'v:1', pullPolicy: 'IfNotPresent' } },
        { name: 'cfg', configMap: { name: 'x' } },
      ],
    };
    const all = ['a:1', 'i:1', 'e:1', 'v:1'];
    const carriers: [string, string, unknown][] = [
      ['', 'Pod', { spec }],
      ['apps', 'Deployment', { spec: { template: { spec } } }],
      ['apps', 'ReplicaSet', { spec: { template: { spec } } }],
      ['apps', 'StatefulSet', { spec: { template: { spec } } }],
      ['apps', 'DaemonSet', { spec: { template: { spec } } }],
      ['batch', 'Job', { spec: { template: { spec } } }],
      ['batch', 'CronJob', { spec: { jobTemplate: { spec: { template: { spec } } } } }],
      ['', 'ReplicationController', { spec: { template: { spec } } }],
      ['', 'PodTemplate', { template: { spec } }],
      ['', 'EphemeralContainers', { ephemeralContainers: spec.ephemeralContainers }],
    ];
    for (const [group, kind, obj] of carriers) {
      const want = kind === 'EphemeralContainers' ? ['e:1'] : all;
      expect(
        extractImages(group, kind, obj).map((i) => i.image),
        kind,
      ).toEqual(want);
    }
    // A ReplicationController's template is optional; a Deployment in the wrong group is not a pod carrier.
    expect(extractImages('', 'ReplicationController', { spec: {} })).toEqual([]);
    expect(extractImages('', 'Deployment', { spec: { template: { spec } } })).toEqual([]);
  });

  it('reads one label or annotation exactly as the merged metadata has it (own over pod template, strings only)', () => {
    const meta = (labels: unknown, annotations: unknown) => ({ labels, annotations });
    const objects: unknown[] = [
      ...fixtures.map(([, req]) => req.object),
      { metadata: meta({ a: '1', n: 2 }, { x: 'own', y: null }) },
      {
        metadata: meta({ a: 'own' }, { x: 'own' }),
        spec: { template: { metadata: meta({ a: 'tpl', b: 'tpl' }, { x: 'tpl', z: 'tpl' }) } },
      },
      {
        metadata: meta({ a: 7 }, {}),
        spec: { jobTemplate: { spec: { template: { metadata: meta({ a: 'tpl' }, { y: 'tpl' }) } } } },
      },
      { metadata: { labels: 'not a map', annotations: ['x'] } },
      { metadata: meta(Object.create({ inherited: 'no' }), {}) },
      null,
      'text',
    ];
    const keys = ['a', 'b', 'n', 'x', 'y', 'z', 'inherited', 'toString', '__proto__', 'app', 'run'];
    for (const obj of objects) {
      const merged = objectMetadata(obj);
      for (const field of ['labels', 'annotations'] as const)
        for (const key of keys)
          expect(metadataValue(obj, field, key), `${field}.${key}`).toBe(
            Object.hasOwn(merged[field], key) ? merged[field][key] : undefined,
          );
    }
    // the object's own value wins over its template's; a non-string own value leaves the template's
    expect(metadataValue(objects.at(-6), 'labels', 'a')).toBe('own');
    expect(metadataValue(objects.at(-6), 'labels', 'b')).toBe('tpl');
    expect(metadataValue(objects.at(-5), 'labels', 'a')).toBe('tpl');
  });

  it('on UPDATE judges only images that changed, e.g. a new ephemeral container', () => {
    const base = readRequest('kubewarden-pod-privileged/privileged_ephemeral_container.json');
    const obj = base.object as { spec: { ephemeralContainers: { image: string }[] } };
    const old = structuredClone(obj);
    (old.spec as { ephemeralContainers?: unknown }).ephemeralContainers = undefined;
    const update = { ...base, operation: 'UPDATE', subResource: 'ephemeralcontainers', oldObject: old };
    const got = imagesToJudge(parseAdmissionReview(toReview(update)));
    expect(got.map((i) => [i.field, i.image])).toEqual([['ephemeralContainers', 'nginx']]);

    const noChange = { ...base, operation: 'UPDATE', oldObject: structuredClone(obj) };
    expect(imagesToJudge(parseAdmissionReview(toReview(noChange)))).toEqual([]);
    expect(
      imagesToJudge(parseAdmissionReview(toReview({ ...base, operation: 'DELETE', oldObject: obj }))),
    ).toEqual([]);
  });
});

describe('POST /validate on the fixtures (supertest)', () => {
  const fixtures = admissionRequests();
  const { app } = testApp(
    createMemoryStore(),
    { unknown: 'deny' },
    {
      resolver: { resolveDigest: async () => `sha256:${'e'.repeat(64)}` },
    },
  );

  it.each(fixtures)(
    '%s: echoes the uid in a v1 AdmissionReview and names every unscanned image',
    async (name, req) => {
      const res = await request(app).post('/validate').send(toReview(req)).expect(200);
      expect(res.body.apiVersion).toBe('admission.k8s.io/v1');
      expect(res.body.kind).toBe('AdmissionReview');
      expect(res.body.response.uid).toBe(req.uid);
      expect(res.body.response.patch).toBeUndefined();
      expect(res.body.response.patchType).toBeUndefined();
      const images = (EXPECTED[name] as (typeof EXPECTED)[string]).images;
      if (images.length === 0) {
        expect(res.body.response.allowed).toBe(true);
        return;
      }
      const ns = (req as { namespace?: string }).namespace;
      if (ns === 'kube-system') return;
      expect(res.body.response.allowed).toBe(false);
      expect(res.body.response.status.code).toBeGreaterThanOrEqual(400);
      for (const [, image] of images)
        expect(res.body.response.status.message).toContain(`${image} (sha256:eeee`);
      expect(res.body.response.status.message).toContain('has not been scanned yet; a scan was queued');
    },
  );

  it('keeps the decision object typed (compile-time check of the export)', () => {
    const d: Pick<AdmissionDecision, 'allowed'> = { allowed: true };
    expect(d.allowed).toBe(true);
  });
});
