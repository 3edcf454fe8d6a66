import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { renderServiceManifests } from '../../service/src/manifests.js';
import { runServiceCli as portcullis, TOKENS_YAML } from './helpers.js';

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

  type Dep = {
    spec: {
      template: { spec: { containers: { args: string[]; volumeMounts: object[] }[]; volumes: object[] } };
    };
  };
  const deploymentOf = (yaml: string): Dep =>
    parse(yaml).find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'portcullis-scan',
    ) as unknown as Dep;

  it('mounts the TLS Secret portcullis-serve-tls by default and serves its certificate (--tls-cert/--tls-key)', () => {
    const yaml = renderServiceManifests({ tokensYaml: TOKENS_YAML });
    for (const o of parse(yaml)) expect(() => new MODELS[o.kind]!(o as never).validate()).not.toThrow();
    const pod = deploymentOf(yaml).spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'tls', secret: { secretName: 'portcullis-serve-tls' } });
    expect(pod.containers[0]!.volumeMounts).toContainEqual({
      name: 'tls',
      mountPath: '/etc/portcullis/tls',
      readOnly: true,
    });
    const args = pod.containers[0]!.args;
    expect(args[args.indexOf('--tls-cert') + 1]).toBe('/etc/portcullis/tls/tls.crt');
    expect(args[args.indexOf('--tls-key') + 1]).toBe('/etc/portcullis/tls/tls.key');
    // the manifests name the Secret; the key never travels in them
    expect(
      parse(yaml)
        .filter((o) => o.kind === 'Secret')
        .map((o) => o.metadata.name),
    ).toEqual(['portcullis-scan-tokens']);
    expect(yaml).not.toContain('PRIVATE KEY');
  });

  it('serve manifests --tls-secret NAME mounts that Secret; --no-tls-secret mounts none and passes no TLS flags', async () => {
    const named = await portcullis(['serve', 'manifests', '--tls-secret', 'scan-cert', '--redis']);
    expect(named.code, named.stderr).toBe(0);
    const pod = deploymentOf(named.stdout).spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'tls', secret: { secretName: 'scan-cert' } });
    expect(pod.volumes).not.toContainEqual({ name: 'tls', secret: { secretName: 'portcullis-serve-tls' } });
    for (const o of parse(named.stdout))
      expect(() => new MODELS[o.kind]!(o as never).validate()).not.toThrow();

    const none = await portcullis(['serve', 'manifests', '--no-tls-secret']);
    expect(none.code, none.stderr).toBe(0);
    const bare = deploymentOf(none.stdout).spec.template.spec;
    expect(bare.volumes.some((v) => (v as { name: string }).name === 'tls')).toBe(false);
    expect(bare.containers[0]!.args).not.toContain('--tls-cert');
    expect(bare.containers[0]!.args).not.toContain('--tls-key');
  });

  it('refuses a TLS Secret name Kubernetes would refuse', async () => {
    expect(() => renderServiceManifests({ tlsSecret: 'Bad_Name' })).toThrow(/lower-case DNS subdomain/);
    const run = await portcullis(['serve', 'manifests', '--tls-secret', 'UPPER']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/USAGE_INVALID|--tls-secret must be a Kubernetes Secret name/);
  });
});
