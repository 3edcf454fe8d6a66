import { BASELINE_CHECKS } from '../analyzers/baseline/checks.js';
import { readDefaultSecretRules } from '../analyzers/secret/redactor.js';
import { toSecretItemNames, type SecretRuleSet } from '../analyzers/secret/rules.js';
import { describeUnknownChoice } from '../choices.js';
import { PortcullisError, type Problem } from '../errors.js';
import type { Policy, ResolvedPolicy } from '../policy/index.js';
import { resolvePolicy } from '../policy/index.js';

/**
 * The policy's rule and check names checked against the analyzers' (the policy itself may not import them):
 * a typo in `scanners.secret.items` would otherwise switch every secret rule off, one in
 * `scanners.baseline.checks` every baseline check. Returns every problem with its path.
 */
export function checkPolicyNames(policy: Policy | ResolvedPolicy, secretRules?: SecretRuleSet): Problem[] {
  const s = resolvePolicy(policy).scanners;
  const problems: Problem[] = [];
  const check = (
    names: readonly string[] | undefined,
    valid: readonly string[],
    listed: string[],
    at: string,
  ) =>
    (names ?? []).forEach((n, i) => {
      if (!valid.includes(n))
        problems.push({ path: `${at}/${i}`, message: describeUnknownChoice(n, valid, listed) });
    });
  // rules are read only when there are names to check
  const secretNames = s.secret.items?.length
    ? toSecretItemNames(secretRules ?? readDefaultSecretRules())
    : [];
  // the message lists the categories and says where the ids are; the hint searches every name
  check(
    s.secret.items,
    secretNames,
    [...secretNames.slice(0, 5), 'or a PCS-SECRET-… rule id (core/rules/secrets)'],
    '/scanners/secret/items',
  );
  const baselineNames = BASELINE_CHECKS.flatMap((c) => [c.name, ...c.rules.map((r) => r.id)]);
  check(
    s.baseline.checks,
    baselineNames,
    [...BASELINE_CHECKS.map((c): string => c.name), 'or a PCS-BASELINE-… rule id'],
    '/scanners/baseline/checks',
  );
  return problems;
}

/** Throws POLICY_INVALID listing every unknown name (see `checkPolicyNames`). */
export function assertPolicyNames(policy: Policy | ResolvedPolicy, source = 'policy'): void {
  const problems = checkPolicyNames(policy);
  if (problems.length === 0) return;
  throw new PortcullisError(
    'POLICY_INVALID',
    `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
    { problems },
  );
}
