import {
  DEFAULT_POLICY,
  assertPolicyNames,
  createRegistryClient,
  evaluatePolicy,
  loadPolicy,
  policyDigest,
  resolvePolicy,
  type Policy,
  type ResolvedPolicy,
  type SourceOptions,
} from '../../core/src/index.js';
import type { Logger } from './logger.js';
import { createPolicyEngine, type MutablePolicyEngine, type PolicyFunctions } from './policy-engine.js';
import { createFilePolicyEngine, type FilePolicyEngine } from './policy-file.js';
import type { DigestResolver } from './resolver.js';

/** Core's policy evaluation, as the webhook's policy engines take it. */
export const CORE_POLICY_FUNCTIONS: PolicyFunctions<ResolvedPolicy> = {
  evaluatePolicy: (scan, policy, ctx) => evaluatePolicy(scan, policy, ctx),
  policyDigest: (policy) => policyDigest(policy),
};

/** A policy engine on core's policy code; the embedded default policy when none is given. */
export function createCorePolicyEngine(
  policy: Policy | ResolvedPolicy = DEFAULT_POLICY,
): MutablePolicyEngine<ResolvedPolicy> {
  return createPolicyEngine(resolvePolicy(policy), CORE_POLICY_FUNCTIONS);
}

/** A policy engine reading `path` with core's loadPolicy, reloaded when the file (ConfigMap mount) changes. */
export function loadCorePolicyEngine(path: string, logger: Logger): Promise<FilePolicyEngine> {
  return createFilePolicyEngine({
    path,
    load: async (p) => {
      const policy = await loadPolicy(p);
      assertPolicyNames(policy, p); // a typo in a rule list must not switch rules off at admission either
      return resolvePolicy(policy);
    },
    fns: CORE_POLICY_FUNCTIONS,
    logger,
  });
}

/** Tag → digest through core's registry client (auth, redirects, Accept headers, loopback/insecure rules). */
export function createRegistryDigestResolver(opts: SourceOptions = {}): DigestResolver {
  const client = createRegistryClient(opts);
  return { resolveDigest: (ref) => client.resolveDigest(ref) };
}
