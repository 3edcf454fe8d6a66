import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { renderServiceManifests } from '../../service/src/manifests.js';
import { TOKENS_YAML } from './helpers.js';

const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  Namespace,
  ServiceAccount,
  ClusterRole,
  ClusterRoleBinding,
  Secret,
  ConfigMap,
  Deployment,
  Service,
};

function parse(yaml: string) {
  const docs = parseAllDocuments(yaml);
  for (const d of docs) expect(d.errors).toEqual([]);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- objects of several kinds, read field by field
  return docs.map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec?: any });
}

describe('portcullis serve manifests', () => {
  it('renders valid objects (kubernetes-models), no YAML anchors, RBAC to list pods only', () => {
    const yaml = renderServiceManifests({ tokensYaml: TOKENS_YAML, redis: true, replicas: 3 });
    expect(yaml).not.toMatch(/^\s*[\w-]+: [&*]\w/m);
    const objs = parse(yaml);
    for (const o of objs) {
      const Model = MODELS[o.kind];
      expect(Model, o.kind).toBeDefined();
      expect(() => new Model!(o as never).validate(), `${o.kind} ${o.metadata.name}`).not.toThrow();
    }
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/portcullis',
      'ServiceAccount/portcullis-scan',
      'ClusterRole/portcullis-scan',
      'ClusterRoleBinding/portcullis-scan',
      'Secret/portcullis-scan-tokens',
      'ConfigMap/portcullis-scan-policy',
      'Deployment/portcullis-scan',
      'Service/portcullis-scan',
      'Deployment/portcullis-scan-redis',
      'Service/portcullis-scan-redis',
    ]);
    const role = objs.find((o) => o.kind === 'ClusterRole') as unknown as { rules: unknown[] };
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }]);
    const dep = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'portcullis-scan')!;
    expect(dep.spec.replicas).toBe(3);
    const args = dep.spec.template.spec.containers[0].args as string[];
    expect(args).toContain('--queue');
    expect(args[args.indexOf('--queue') + 1]).toBe('redis://portcullis-scan-redis.portcullis.svc:6379');
    // the Secret carries the digests, which is all the service needs
    const secret = objs.find((o) => o.kind === 'Secret') as unknown as { stringData: Record<string, string> };
    expect(secret.stringData['tokens.yaml']).toBe(TOKENS_YAML);
  });

  it('runs one replica on its own SQLite store without --redis (no queue flags)', () => {
    const objs = parse(renderServiceManifests({ namespace: 'sec' }));
    expect(objs.some((o) => o.metadata.name === 'portcullis-scan-redis')).toBe(false);
    const dep = objs.find((o) => o.kind === 'Deployment')!;
    expect(dep.spec.replicas).toBe(1);
    expect(dep.spec.template.spec.containers[0].args).not.toContain('--queue');
    expect(objs.find((o) => o.kind === 'ClusterRoleBinding')).toMatchObject({
      subjects: [{ kind: 'ServiceAccount', name: 'portcullis-scan', namespace: 'sec' }],
    });
  });
});
