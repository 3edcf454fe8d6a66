import { stringify } from 'yaml';
import { PortcullisError } from '../../core/src/index.js';

const NAME = 'portcullis-scan';
/** The TLS Secret the Deployment mounts unless told otherwise (`serve manifests --tls-secret NAME`). */
export const DEFAULT_TLS_SECRET = 'portcullis-serve-tls';
const TLS_DIR = '/etc/portcullis/tls';

export interface ServiceManifestOptions {
  namespace?: string;
  replicas?: number;
  image?: string;
  /** Add a Redis Deployment + Service and run the replicas on it (store and BullMQ queue). */
  redis?: boolean;
  /** The tokens file (YAML, digests only) put in the Secret. */
  tokensYaml?: string;
  policyYaml?: string;
  /**
   * The `kubernetes.io/tls` Secret (keys `tls.crt`, `tls.key`) mounted for `--tls-cert/--tls-key`; default
   * DEFAULT_TLS_SECRET. `false`: no Secret, the service serves a temporary self-signed certificate.
   */
  tlsSecret?: string | false;
}

/**
 * The objects that run the scan service: Namespace, ServiceAccount with RBAC to list pods (runtime scans),
 * tokens Secret, policy ConfigMap, the Deployment (N replicas), its Service and, when asked, Redis. Plain YAML
 * documents: no anchors or aliases (`kubectl apply` and every reviewer read them as written). The serving
 * certificate comes from a TLS Secret the operator (or cert-manager) creates for `portcullis-scan.NS.svc`: the
 * manifests name it, never carry a private key.
 */
export function renderServiceManifests(o: ServiceManifestOptions = {}): string {
  const ns = o.namespace ?? 'portcullis';
  // one replica without Redis: each replica would otherwise keep a SQLite store of its own
  const replicas = o.replicas ?? (o.redis ? 2 : 1);
  const labels = { 'app.kubernetes.io/name': NAME };
  const meta = (name: string) => ({ name, namespace: ns, labels: { ...labels } });
  const redisUrl = `redis://${NAME}-redis.${ns}.svc:6379`;
  const tlsSecret = o.tlsSecret === undefined ? DEFAULT_TLS_SECRET : o.tlsSecret;
  // a Secret name is a DNS subdomain: anything else would only fail at `kubectl apply`
  if (tlsSecret !== false && !/^(?=.{1,253}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(tlsSecret))
    throw new PortcullisError(
      'USAGE_INVALID',
      `--tls-secret must be a Kubernetes Secret name (lower-case DNS subdomain), got "${tlsSecret}"`,
    );
  const args = [
    'serve',
    '--port',
    '8444',
    '--policy',
    '/etc/portcullis/policy/policy.yaml',
    '--tokens',
    '/etc/portcullis/tokens/tokens.yaml',
    ...(tlsSecret ? ['--tls-cert', `${TLS_DIR}/tls.crt`, '--tls-key', `${TLS_DIR}/tls.key`] : []),
    ...(o.redis ? ['--queue', redisUrl, '--store', redisUrl] : []),
  ];
  const docs: object[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(NAME) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: NAME, labels: { ...labels } },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: NAME, labels: { ...labels } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NAME },
      subjects: [{ kind: 'ServiceAccount', name: NAME, namespace: ns }],
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(`${NAME}-tokens`),
      type: 'Opaque',
      // digests only: the tokens themselves are never in the cluster
      stringData: { 'tokens.yaml': o.tokensYaml ?? 'tokens: []\n' },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(`${NAME}-policy`),
      data: { 'policy.yaml': o.policyYaml ?? 'apiVersion: portcullis/v1\n' },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(NAME),
      spec: {
        replicas,
        selector: { matchLabels: { ...labels } },
        template: {
          metadata: { labels: { ...labels } },
          spec: {
            serviceAccountName: NAME,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65532,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'scan',
                image: o.image ?? 'ghcr.io/portcullis/portcullis:latest',
                args,
                ports: [{ name: 'https', containerPort: 8444 }],
                readinessProbe: { httpGet: { path: '/healthz', port: 'https', scheme: 'HTTPS' } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMounts: [
                  { name: 'policy', mountPath: '/etc/portcullis/policy', readOnly: true },
                  { name: 'tokens', mountPath: '/etc/portcullis/tokens', readOnly: true },
                  ...(tlsSecret ? [{ name: 'tls', mountPath: TLS_DIR, readOnly: true }] : []),
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'policy', configMap: { name: `${NAME}-policy` } },
              { name: 'tokens', secret: { secretName: `${NAME}-tokens` } },
              ...(tlsSecret ? [{ name: 'tls', secret: { secretName: tlsSecret } }] : []),
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(NAME),
      spec: { selector: { ...labels }, ports: [{ name: 'https', port: 443, targetPort: 'https' }] },
    },
  ];
  if (o.redis) {
    const rl = { 'app.kubernetes.io/name': `${NAME}-redis` };
    docs.push(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: `${NAME}-redis`, namespace: ns, labels: { ...rl } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { ...rl } },
          template: {
            metadata: { labels: { ...rl } },
            spec: {
              containers: [
                {
                  name: 'redis',
                  image: 'redis:7-alpine',
                  // BullMQ needs keys never evicted
                  args: ['--maxmemory-policy', 'noeviction'],
                  ports: [{ name: 'redis', containerPort: 6379 }],
                },
              ],
            },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `${NAME}-redis`, namespace: ns, labels: { ...rl } },
        spec: { selector: { ...rl }, ports: [{ name: 'redis', port: 6379, targetPort: 'redis' }] },
      },
    );
  }
  return docs.map((d) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}
