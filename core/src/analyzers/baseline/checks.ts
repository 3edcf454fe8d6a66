import type { Severity } from '../../types/finding.js';

/** One baseline rule: a finding id with its severity, title and remediation. */
export interface BaselineRule {
  id: string;
  severity: Severity;
  title: string;
  remediation: string;
  /** The same check's ids in peer tools (dockle's CIS-DI/DKL ids), reported as the finding's aliases. */
  peers?: readonly string[];
}

/** A selectable baseline check (policy `scanners.baseline.checks` takes its name or any of its rule ids). */
export interface BaselineCheck {
  name: BaselineCheckName;
  description: string;
  rules: readonly BaselineRule[];
}

export type BaselineCheckName =
  'root-user' | 'no-healthcheck' | 'setuid' | 'shadow' | 'sshd' | 'world-writable-path' | 'package-cache';

const rule = (
  id: string,
  severity: Severity,
  title: string,
  remediation: string,
  peers?: readonly string[],
): BaselineRule => ({
  id: `PCS-BASELINE-${id}`,
  severity,
  title,
  remediation,
  ...(peers === undefined ? {} : { peers }),
});

export const BASELINE_RULES = {
  // medium, so the default policy warns: most public base images run as root, and denying them all at
  // admission would block clusters on day one; a policy raises it with `severityByType` or a deny gate
  rootUser: rule(
    'ROOT-USER',
    'medium',
    'Image runs as root',
    'Set a non-root USER (numeric uid:gid) in the image config',
    ['CIS-DI-0001'],
  ),
  noHealthcheck: rule(
    'NO-HEALTHCHECK',
    'low',
    'No HEALTHCHECK in the image config',
    'Add a HEALTHCHECK instruction',
    ['CIS-DI-0006'],
  ),
  setuid: rule(
    'SETUID',
    'high',
    'setuid/setgid file outside the known-good list',
    'Remove the setuid/setgid bit (chmod u-s,g-s) or the file; grant capabilities instead',
    ['CIS-DI-0008'],
  ),
  emptyPassword: rule(
    'EMPTY-PASSWORD',
    'high',
    'Account with an empty password in /etc/shadow',
    "Lock the account ('passwd -l NAME' or '*' in the password field)",
    ['DKL-LI-0001'],
  ),
  weakHash: rule(
    'WEAK-PASSWORD-HASH',
    'high',
    'Weak password hash (DES or MD5) in /etc/shadow',
    'Remove the password or re-hash it with yescrypt or SHA-512; images should not carry passwords',
  ),
  sshdRootLogin: rule(
    'SSHD-ROOT-LOGIN',
    'high',
    "sshd allows root login ('PermitRootLogin yes')",
    "Set 'PermitRootLogin no' (or prohibit-password) and do not run sshd in containers",
  ),
  sshdPasswordAuth: rule(
    'SSHD-PASSWORD-AUTH',
    'medium',
    "sshd allows password authentication ('PasswordAuthentication yes')",
    "Set 'PasswordAuthentication no' and use keys",
  ),
  sshdEmptyPasswords: rule(
    'SSHD-EMPTY-PASSWORDS',
    'high',
    "sshd permits empty passwords ('PermitEmptyPasswords yes')",
    "Set 'PermitEmptyPasswords no'",
  ),
  worldWritablePath: rule(
    'WORLD-WRITABLE-PATH',
    'high',
    'World-writable file or directory in a PATH directory',
    'Remove write permission for others (chmod o-w); anyone in the container could replace the command',
  ),
  packageCache: rule(
    'PACKAGE-CACHE',
    'low',
    'Package manager cache left in the image',
    'Clean the cache in the same RUN (apt-get clean && rm -rf /var/lib/apt/lists/*, apk --no-cache, pip --no-cache-dir, npm cache clean)',
  ),
} as const satisfies Record<string, BaselineRule>;

/** Every check, in report order. */
export const BASELINE_CHECKS: readonly BaselineCheck[] = [
  { name: 'root-user', description: 'config.User empty, root, 0 or 0:…', rules: [BASELINE_RULES.rootUser] },
  {
    name: 'no-healthcheck',
    description: 'config.Healthcheck absent or NONE',
    rules: [BASELINE_RULES.noHealthcheck],
  },
  {
    name: 'setuid',
    description: 'setuid/setgid files outside the known-good list',
    rules: [BASELINE_RULES.setuid],
  },
  {
    name: 'shadow',
    description: 'empty or DES/MD5 password hashes in /etc/shadow',
    rules: [BASELINE_RULES.emptyPassword, BASELINE_RULES.weakHash],
  },
  {
    name: 'sshd',
    description: 'PermitRootLogin / PasswordAuthentication / PermitEmptyPasswords yes in sshd_config',
    rules: [BASELINE_RULES.sshdRootLogin, BASELINE_RULES.sshdPasswordAuth, BASELINE_RULES.sshdEmptyPasswords],
  },
  {
    name: 'world-writable-path',
    description: 'world-writable entries in PATH directories',
    rules: [BASELINE_RULES.worldWritablePath],
  },
  {
    name: 'package-cache',
    description: 'apt/apk/yum/dnf/pip/npm caches left in the image',
    rules: [BASELINE_RULES.packageCache],
  },
];

/**
 * Resolves the policy's check list (names or rule ids) to check names; empty or absent means all.
 * Unknown entries are returned so the caller can report them.
 */
export function resolveBaselineChecks(selected: readonly string[] | undefined): {
  checks: Set<BaselineCheckName>;
  unknown: string[];
} {
  if (selected === undefined || selected.length === 0) {
    return { checks: new Set(BASELINE_CHECKS.map((c) => c.name)), unknown: [] };
  }
  const checks = new Set<BaselineCheckName>();
  const unknown: string[] = [];
  for (const s of selected) {
    const check = BASELINE_CHECKS.find((c) => c.name === s || c.rules.some((r) => r.id === s));
    if (check === undefined) unknown.push(s);
    else checks.add(check.name);
  }
  return { checks, unknown };
}
