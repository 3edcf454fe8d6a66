import type { RiskType, Severity } from '../types/finding.js';
import type { RegistrySettings } from '../types/registry.js';

/** A gate threshold: a severity, or `none` to switch the gate off. */
export type GateSeverity = Severity | 'none';

/** One gate (deny or warn) as written in the policy file. */
export interface GateRule {
  severity?: GateSeverity;
  /** Risk types the gate applies to; omitted = every type. */
  types?: RiskType[];
  /** Per-type threshold overriding `severity`. */
  severityByType?: Partial<Record<RiskType, GateSeverity>>;
}

/** Package selector of an exception: name or purl, optionally pinned to a version. */
export type PackageSelector = string | { name?: string; purl?: string; version?: string };

/**
 * One exception (whitelist) entry. Applies to a finding when every selector present matches; at least one
 * selector is required. Scope selectors (images, repositories, registries, digest, namespaces) that cannot be
 * checked (no image reference, no namespace) do not match.
 */
export interface PolicyException {
  id?: string | string[];
  package?: PackageSelector;
  path?: string | string[];
  type?: RiskType | RiskType[];
  images?: string[];
  repositories?: string[];
  registries?: string[];
  digest?: string | string[];
  namespaces?: string[];
  reason: string;
  owner?: string;
  ticket?: string;
  /** `YYYY-MM-DD` (stops applying at 00:00 UTC that day) or an RFC 3339 time. */
  expires?: string;
}

export type AdmissionMode = 'enforce' | 'warn' | 'audit';
export type UnknownImageAction = 'deny' | 'allow-and-scan' | 'scan';

/** The policy file as written (`portcullis.yaml`), after schema validation. */
export interface Policy {
  $schema?: string;
  apiVersion: 'portcullis/v1';
  scanners?: {
    vuln?: boolean;
    secret?:
      boolean | { enabled?: boolean; accessKeyLeak?: boolean; passwordLeak?: boolean; items?: string[] };
    malware?: boolean | { enabled?: boolean; hashDbFiles?: string[] };
    baseline?: boolean | { enabled?: boolean; checks?: string[] };
    buildinstruction?: boolean;
  };
  gates?: {
    deny?: GateRule;
    warn?: GateRule;
    fixableOnly?: boolean;
    maxDbAge?: string;
    staleDb?: 'warn' | 'deny';
    /** Decision when vulnerabilities could not be checked at all (no usable DB). Default deny. */
    missingDb?: 'warn' | 'deny';
    expiryWarning?: string;
  };
  exceptions?: PolicyException[];
  admission?: {
    mode?: AdmissionMode;
    unknown?: UnknownImageAction;
    exemptNamespaces?: string[];
    maxVerdictAge?: string;
  };
  /** Registries a registry scan lists (the catalog lister's RegistrySettings, as written). */
  registries?: PolicyRegistry[];
  scan?: ScanPolicy;
}

/**
 * One `registries:` entry (see the schema for each field; kind-specific fields are kept as written): the
 * catalog lister's settings, as written.
 */
export type PolicyRegistry = RegistrySettings;

/** `scan:` settings of registry-scan tasks; durations as written (`7d`, `4h`). */
export interface ScanPolicy {
  timeRange?: string;
  timeout?: string;
  scanners?: ('vuln' | 'secret' | 'malware' | 'baseline' | 'buildinstruction')[];
  retention?: { tasks?: string; vulnerabilities?: string };
  /** `portcullis serve`: cron expression of scheduled registry scans. */
  schedule?: string;
  /** IANA time zone of `schedule` and `dbUpdate` (default UTC). */
  timezone?: string;
  /** `portcullis serve`: cron expression of `db update` followed by re-matching stored inventories. */
  dbUpdate?: string;
}

/** A fully resolved gate: a threshold for every risk type (`none` = off). */
export interface ResolvedGate {
  byType: Record<RiskType, GateSeverity>;
}

/** Every option present; produced once by `resolvePolicy`, consumed by evaluation and the webhook. */
export interface ResolvedPolicy {
  apiVersion: 'portcullis/v1';
  scanners: {
    vuln: boolean;
    secret: { enabled: boolean; accessKeyLeak: boolean; passwordLeak: boolean; items?: string[] };
    malware: { enabled: boolean; hashDbFiles?: string[] };
    baseline: { enabled: boolean; checks?: string[] };
    buildinstruction: boolean;
  };
  gates: {
    deny: ResolvedGate;
    warn: ResolvedGate;
    fixableOnly: boolean;
    maxDbAge: string;
    staleDb: 'warn' | 'deny';
    missingDb: 'warn' | 'deny';
    expiryWarning: string;
  };
  exceptions: PolicyException[];
  admission: {
    mode: AdmissionMode;
    unknown: UnknownImageAction;
    exemptNamespaces: string[];
    maxVerdictAge: string;
  };
}
