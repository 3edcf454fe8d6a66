import { stringify } from 'yaml';
import { PortcullisError, toDurationMs } from '../../core/src/index.js';
import { generateServingCert, type ServingCert } from './certs.js';
import { DEFAULT_WEBHOOK_CONFIG, type AdmissionMode, type UnknownImageMode } from './config.js';

/** Options of `portcullis webhook manifests`. */
export interface ManifestOptions {
  namespace?: string;
  replicas?: number;
  /** Container image of Portcullis. */
  image?: string;
  /** Redis URL shared by the replicas; without it each replica keeps its own SQLite store on an emptyDir. */
  redis?: string;
  /** `generated`: a CA + serving cert in a Secret and its caBundle; `cert-manager`: Issuer/Certificate + CA injection. */
  certMode?: 'generated' | 'cert-manager';
  /** The policy file (portcullis.yaml) put in the ConfigMap. */
  policyYaml?: string;
  timeoutSeconds?: number;
  failurePolicy?: 'Fail' | 'Ignore';
  exemptNamespaces?: string[];
  mode?: AdmissionMode;
  unknown?: UnknownImageMode;
  /** Mirror of the osv.dev bucket the DB init container and refresh sidecar download from (air-gapped clusters). */
  dbMirror?: string;
  /** How often the sidecar refreshes the DB (a duration, default 6h). */
  dbRefresh?: string;
  /** A serving cert to use instead of generating one (certMode generated). */
  servingCert?: ServingCert;
  now?: Date;
}

/** Defaults of the rendered install. */
export const DEFAULT_MANIFEST_OPTIONS = {
  namespace: 'portcullis',
  replicas: 3,
  image: 'ghcr.io/portcullis/portcullis:0.1.0',
  certMode: 'generated',
  policyYaml: 'apiVersion: portcullis/v1\n',
  timeoutSeconds: 10,
  failurePolicy: 'Fail',
  dbRefresh: '6h',
} as const;

const NAME = 'portcullis-webhook';
const LABELS = { 'app.kubernetes.io/name': 'portcullis', 'app.kubernetes.io/component': 'admission-webhook' };
const MOUNT = { config: '/etc/portcullis/config', tls: '/etc/portcullis/tls', data: '/var/lib/portcullis' };
/** The DB the init container writes, the sidecar refreshes and the webhook reads (on the shared `data` volume). */
const DB_FILE = `${MOUNT.data}/db.sqlite`;
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** Plain YAML: a shared object (the labels, the security context) is written out each time, never as `&a1`/`*a1`. */
const YAML_OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false } as const;

/** Admission rules: pods (and their ephemeralcontainers subresource) and every workload kind carrying a pod template. */
export const WEBHOOK_RULES = [
  {
    operations: ['CREATE', 'UPDATE'],
    apiGroups: [''],
    apiVersions: ['v1'],
    resources: ['pods', 'replicationcontrollers', 'podtemplates'],
    scope: 'Namespaced',
  },
  // `'*'` never matches subresources: ephemeral containers arrive through this one, as UPDATE.
  {
    operations: ['UPDATE'],
    apiGroups: [''],
    apiVersions: ['v1'],
    resources: ['pods/ephemeralcontainers'],
    scope: 'Namespaced',
  },
  {
    operations: ['CREATE', 'UPDATE'],
    apiGroups: ['apps'],
    apiVersions: ['v1'],
    resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'],
    scope: 'Namespaced',
  },
  {
    operations: ['CREATE', 'UPDATE'],
    apiGroups: ['batch'],
    apiVersions: ['v1'],
    resources: ['jobs', 'cronjobs'],
    scope: 'Namespaced',
  },
];

/**
 * Renders the install as multi-document YAML, `linkerd install` style: Namespace, ServiceAccount, ConfigMap
 * (policy + webhook config), serving-cert Secret or cert-manager Issuer/Certificate, Deployment,
 * PodDisruptionBudget, Service and the ValidatingWebhookConfiguration. Async because it may generate a cert.
 */
export async function renderManifests(options: ManifestOptions = {}): Promise<string> {
  const o = { ...DEFAULT_MANIFEST_OPTIONS, ...options };
  const ns = o.namespace;
  const problems: string[] = [];
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns)) problems.push(`namespace "${ns}" is not a DNS label`);
  if (!Number.isInteger(o.replicas) || o.replicas < 1) problems.push('replicas must be a positive integer');
  if (!Number.isInteger(o.timeoutSeconds) || o.timeoutSeconds < 1 || o.timeoutSeconds > 30)
    problems.push('timeoutSeconds must be 1–30');
  if (o.redis !== undefined && !/^rediss?:\/\//.test(o.redis)) problems.push('redis must be a redis:// URL');
  if (o.dbMirror !== undefined && !/^https?:\/\/\S+$/.test(o.dbMirror))
    problems.push('dbMirror must be an http(s):// URL');
  if (toDurationMs(o.dbRefresh) === undefined) problems.push('dbRefresh must be a duration such as 6h');
  if (problems.length > 0)
    throw new PortcullisError('WEBHOOK_CONFIG_INVALID', `invalid manifest options: ${problems.join('; ')}`, {
      problems: problems.map((message) => ({ path: '', message })),
    });
  const exempt = [...new Set([...(o.exemptNamespaces ?? DEFAULT_WEBHOOK_CONFIG.exemptNamespaces), ns])];
  const timeout = o.timeoutSeconds;

  const webhookConfig = {
    port: 8443,
    namespace: ns,
    serviceName: NAME,
    webhookName: DEFAULT_WEBHOOK_CONFIG.webhookName,
    tls: { certFile: `${MOUNT.tls}/tls.crt`, keyFile: `${MOUNT.tls}/tls.key` },
    policyFile: `${MOUNT.config}/policy.yaml`,
    dbFile: DB_FILE,
    store: o.redis ?? `sqlite:${MOUNT.data}/verdicts.sqlite`,
    exemptNamespaces: exempt,
    timeoutSeconds: timeout,
    // Answer well before the apiserver gives up, and leave the answer time after an admission-time scan.
    deadlineMs: Math.max(100, timeout * 1000 - 1500),
    scanBudgetMs: Math.max(50, timeout * 1000 - 3000),
    storeTimeoutMs: Math.min(1000, Math.max(20, timeout * 1000 - 2000)),
    ...(o.mode ? { mode: o.mode } : {}),
    ...(o.unknown ? { unknown: o.unknown } : {}),
  };

  const docs: Record<string, unknown>[] = [];
  const meta = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    name,
    namespace: ns,
    labels: LABELS,
    ...extra,
  });
  docs.push({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns, labels: { ...LABELS, 'portcullis.dev/exempt': 'true' } },
  });
  docs.push({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(NAME),
    automountServiceAccountToken: false,
  });
  docs.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta('portcullis-config'),
    data: { 'policy.yaml': o.policyYaml, 'webhook.yaml': stringify(webhookConfig, YAML_OPTIONS) },
  });

  let caBundle: string | undefined;
  const secretName = `${NAME}-tls`;
  if (o.certMode === 'generated') {
    const cert =
      o.servingCert ??
      (await generateServingCert({ service: NAME, namespace: ns, ...(o.now ? { now: o.now } : {}) }));
    caBundle = b64(cert.caCert);
    docs.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(secretName),
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(cert.cert), 'tls.key': b64(cert.key), 'ca.crt': caBundle },
    });
  } else {
    docs.push({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Issuer',
      metadata: meta(`${NAME}-selfsigned`),
      spec: { selfSigned: {} },
    });
    docs.push({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: meta(NAME),
      spec: {
        secretName,
        commonName: `${NAME}.${ns}.svc`,
        dnsNames: [`${NAME}.${ns}.svc`, `${NAME}.${ns}.svc.cluster.local`],
        duration: '2160h',
        renewBefore: '360h',
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        usages: ['server auth', 'digital signature'],
        issuerRef: { name: `${NAME}-selfsigned`, kind: 'Issuer' },
      },
    });
  }

  // The DB lives on the pod's `data` emptyDir: an init container fills it before the webhook starts (so
  // /readyz can pass and scans check vulnerabilities), a sidecar refreshes it; updates replace the file by
  // rename, so a reader never sees half a DB.
  const dbArgs = ['db', 'update', '--db', DB_FILE, ...(o.dbMirror ? ['--mirror', o.dbMirror] : [])];
  const containerSecurity = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
  };
  const dbMounts = [
    { name: 'data', mountPath: MOUNT.data },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  const probe = (path: string, period: number): Record<string, unknown> => ({
    httpGet: { path, port: 'https', scheme: 'HTTPS' },
    periodSeconds: period,
    timeoutSeconds: 2,
    failureThreshold: 3,
  });
  docs.push({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(NAME),
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: LABELS },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: LABELS },
        spec: {
          serviceAccountName: NAME,
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: LABELS },
            },
          ],
          initContainers: [
            {
              name: 'db-init',
              image: o.image,
              imagePullPolicy: 'IfNotPresent',
              args: dbArgs,
              resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
              securityContext: containerSecurity,
              volumeMounts: dbMounts,
            },
          ],
          containers: [
            {
              name: 'webhook',
              image: o.image,
              imagePullPolicy: 'IfNotPresent',
              args: ['webhook', 'serve', '--config', `${MOUNT.config}/webhook.yaml`],
              ports: [{ name: 'https', containerPort: 8443, protocol: 'TCP' }],
              readinessProbe: probe('/readyz', 5),
              livenessProbe: probe('/healthz', 10),
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
              securityContext: containerSecurity,
              volumeMounts: [
                { name: 'config', mountPath: MOUNT.config, readOnly: true },
                { name: 'tls', mountPath: MOUNT.tls, readOnly: true },
                { name: 'data', mountPath: MOUNT.data },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
            {
              name: 'db-refresh',
              image: o.image,
              imagePullPolicy: 'IfNotPresent',
              args: [...dbArgs, '--every', o.dbRefresh],
              resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '1Gi' } },
              securityContext: containerSecurity,
              volumeMounts: dbMounts,
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: 'portcullis-config' } },
            { name: 'tls', secret: { secretName } },
            { name: 'data', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  });
  docs.push({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(NAME),
    spec: {
      ...(o.replicas > 1 ? { minAvailable: o.replicas - 1 } : { maxUnavailable: 1 }),
      selector: { matchLabels: LABELS },
    },
  });
  docs.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(NAME),
    spec: { selector: LABELS, ports: [{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }] },
  });
  docs.push({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: NAME,
      labels: LABELS,
      ...(o.certMode === 'cert-manager'
        ? { annotations: { 'cert-manager.io/inject-ca-from': `${ns}/${NAME}` } }
        : {}),
    },
    webhooks: [
      {
        name: DEFAULT_WEBHOOK_CONFIG.webhookName,
        clientConfig: {
          service: { namespace: ns, name: NAME, path: '/validate', port: 443 },
          ...(caBundle !== undefined ? { caBundle } : {}),
        },
        rules: WEBHOOK_RULES,
        failurePolicy: o.failurePolicy,
        matchPolicy: 'Equivalent',
        sideEffects: 'None',
        timeoutSeconds: timeout,
        admissionReviewVersions: ['v1'],
        namespaceSelector: {
          matchExpressions: [
            { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: exempt },
            { key: 'portcullis.dev/exempt', operator: 'NotIn', values: ['true'] },
          ],
        },
      },
    ],
  });
  return docs.map((d) => stringify(d, YAML_OPTIONS)).join('---\n');
}
