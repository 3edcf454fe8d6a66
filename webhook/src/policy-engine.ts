import type { Evaluation, ScanResult } from '../../core/src/index.js';
import type { AdmissionMode, UnknownImageMode } from './config.js';

/** Context of one evaluation: the admission time, the image as admitted, and the namespace (for scoped exceptions). */
export interface EvaluationContext {
  now: Date;
  image?: { ref?: string; digest?: string };
  namespace?: string;
}

/** The policy's `admission` section, resolved. */
export interface AdmissionSettings {
  mode: AdmissionMode;
  unknown: UnknownImageMode;
  exemptNamespaces: string[];
  maxVerdictAge: string;
}

/** One policy version: decisions within a request use one snapshot, so a reload never mixes two policies. */
export interface PolicySnapshot {
  /** sha256 of the canonical policy (goes into logs and audit annotations). */
  digest: string;
  admission: AdmissionSettings;
  /** Pure: stored findings + this policy → verdict. */
  evaluate(scan: ScanResult, ctx: EvaluationContext): Evaluation;
}

/** Gives the current policy. Read per request, so a policy change applies to the next admission, without a rescan. */
export interface PolicyEngine {
  current(): PolicySnapshot;
}

/** A resolved policy as far as the webhook reads it (core's ResolvedPolicy fits). */
export interface AdmissionPolicy {
  admission: AdmissionSettings;
}

/** Core's policy functions, injected so the webhook stays on core's public entry and tests can pin them. */
export interface PolicyFunctions<P extends AdmissionPolicy> {
  evaluatePolicy(scan: ScanResult, policy: P, ctx: EvaluationContext): Evaluation;
  policyDigest(policy: P): string;
}

/** A policy engine whose policy can be swapped at run time (file reload, tests). */
export interface MutablePolicyEngine<P extends AdmissionPolicy> extends PolicyEngine {
  setPolicy(policy: P): void;
}

export function createPolicyEngine<P extends AdmissionPolicy>(
  policy: P,
  fns: PolicyFunctions<P>,
): MutablePolicyEngine<P> {
  const snap = (p: P): PolicySnapshot => ({
    digest: fns.policyDigest(p),
    admission: p.admission,
    evaluate: (scan, ctx) => fns.evaluatePolicy(scan, p, ctx),
  });
  let current = snap(policy);
  return {
    current: () => current,
    setPolicy(p) {
      current = snap(p);
    },
  };
}
