import type { Severity } from '../../types/finding.js';

/** Metadata of one build-instruction rule. */
export interface BuildRule {
  /** trivy-checks id (`DS002`) where one exists, else `PCS-BUILD-…`. */
  id: string;
  severity: Severity;
  title: string;
  remediation: string;
  /** The AVD id for trivy-checks rules (`AVD-DS-0002`). */
  avdId?: string;
  /** Also evaluated on image history `created_by` entries. */
  history: boolean;
}

const ds = (
  n: number,
  severity: Severity,
  title: string,
  remediation: string,
  history = false,
): BuildRule => {
  const id = `DS${String(n).padStart(3, '0')}`;
  return { id, avdId: `AVD-DS-${String(n).padStart(4, '0')}`, severity, title, remediation, history };
};

const pcs = (
  name: string,
  severity: Severity,
  title: string,
  remediation: string,
  history = true,
): BuildRule => ({
  id: `PCS-BUILD-${name}`,
  severity,
  title,
  remediation,
  history,
});

/** Every rule, keyed by id. Titles and severities of DS rules follow trivy-checks @80e53822. */
export const BUILD_RULES = {
  DS001: ds(
    1,
    'medium',
    "':latest' tag used",
    "Add a specific tag (or digest) to the image in the 'FROM' statement",
  ),
  DS002: ds(
    2,
    'high',
    "Image user should not be 'root'",
    "Add a 'USER <non-root user>' line to the final stage",
  ),
  DS004: ds(
    4,
    'medium',
    'Port 22 exposed',
    'Remove EXPOSE 22: do not run an SSH server in a container',
    true,
  ),
  DS005: ds(
    5,
    'low',
    'ADD instead of COPY',
    'Use COPY instead of ADD unless you need to extract a local tar file',
    true,
  ),
  DS006: ds(
    6,
    'critical',
    "COPY '--from' referring to the current image",
    "Point 'COPY --from' at another stage",
  ),
  DS007: ds(7, 'critical', 'Multiple ENTRYPOINT instructions listed', 'Keep only one ENTRYPOINT per stage'),
  DS008: ds(8, 'critical', 'Exposed port out of range', 'Use a port between 0 and 65535'),
  DS009: ds(9, 'high', 'WORKDIR path not absolute', 'Use an absolute path in WORKDIR'),
  DS010: ds(
    10,
    'critical',
    "RUN using 'sudo'",
    "Don't use sudo: switch USER when another user is needed",
    true,
  ),
  DS011: ds(
    11,
    'critical',
    'COPY with more than two arguments not ending with slash',
    "End the destination with '/'",
  ),
  DS012: ds(12, 'critical', 'Duplicate aliases defined in different FROMs', 'Give every stage a unique name'),
  DS013: ds(13, 'medium', "'RUN cd ...' to change directory", "Use WORKDIR instead of 'RUN cd …'"),
  DS014: ds(14, 'low', "RUN using 'wget' and 'curl'", "Pick one download tool, either 'wget' or 'curl'"),
  DS015: ds(15, 'high', "'yum clean all' missing", "Add 'yum clean all' after 'yum install'", true),
  DS016: ds(16, 'high', 'Multiple CMD instructions listed', 'Keep only one CMD per stage'),
  DS017: ds(
    17,
    'high',
    "'RUN <package-manager> update' instruction alone",
    "Combine '<package-manager> update' and '<package-manager> install' in one RUN",
    true,
  ),
  DS019: ds(19, 'high', "'dnf clean all' missing", "Add 'dnf clean all' after 'dnf install'", true),
  DS020: ds(20, 'high', "'zypper clean' missing", "Add 'zypper clean' after 'zypper install'", true),
  DS021: ds(
    21,
    'high',
    "'apt-get' missing '-y' to avoid manual input",
    "Add '-y' to 'apt-get install'",
    true,
  ),
  DS022: ds(22, 'high', 'Deprecated MAINTAINER used', "Use 'LABEL maintainer=…' instead of MAINTAINER"),
  DS023: ds(23, 'medium', 'Multiple HEALTHCHECK defined', 'Keep only one HEALTHCHECK per stage'),
  DS024: ds(24, 'high', "'apt-get dist-upgrade' used", "Don't use 'apt-get dist-upgrade' in images", true),
  DS025: ds(25, 'high', "'apk add' is missing '--no-cache'", "Add '--no-cache' to 'apk add'", true),
  DS026: ds(26, 'low', 'No HEALTHCHECK defined', 'Add a HEALTHCHECK instruction to the final stage'),
  DS027: ds(
    27,
    'high',
    "'microdnf clean all' missing",
    "Add 'microdnf clean all' after 'microdnf install'",
    true,
  ),
  DS029: ds(
    29,
    'high',
    "'apt-get' missing '--no-install-recommends'",
    "Add '--no-install-recommends' to 'apt-get install'",
    true,
  ),
  DS030: ds(
    30,
    'high',
    'WORKDIR should not be mounted on system dirs',
    'Use a WORKDIR outside /proc, /boot, /dev',
  ),
  DS031: ds(
    31,
    'critical',
    'Secrets passed via `build-args` or envs or copied secret files',
    'Use a secret mount (RUN --mount=type=secret) for build-time secrets; mount secret files at run time',
    true,
  ),
  PIPE_TO_SHELL: pcs(
    'PIPE-TO-SHELL',
    'high',
    'Downloaded script piped into a shell',
    'Download to a file, verify its checksum or signature, then run it',
  ),
  ADD_REMOTE_URL: pcs(
    'ADD-REMOTE-URL',
    'medium',
    'ADD fetches a remote URL',
    'Download with a verified checksum (ADD --checksum=sha256:…, or curl + sha256sum) or COPY a vendored file',
  ),
  SECRET_ENV: pcs(
    'SECRET-ENV',
    'critical',
    'Secret value set with ENV',
    'Never bake secrets into images: use a secret mount at build time and inject secrets at run time',
  ),
  SECRET_ARG: pcs(
    'SECRET-ARG',
    'high',
    'Secret value passed with ARG',
    'Build args are recorded in the image history: use RUN --mount=type=secret instead',
  ),
  CHMOD_WORLD_WRITABLE: pcs(
    'CHMOD-WORLD-WRITABLE',
    'medium',
    "'chmod' makes files world-writable (e.g. 777)",
    'Grant only the permissions needed (e.g. 755 / 644) and chown to the runtime user',
  ),
  CHMOD_SETUID: pcs(
    'CHMOD-SETUID',
    'medium',
    "'chmod' sets the setuid/setgid bit",
    'Avoid setuid/setgid binaries in images; use capabilities or run as the needed user',
  ),
  APT_LISTS: pcs(
    'APT-LISTS-NOT-REMOVED',
    'low',
    "'apt-get install' without removing /var/lib/apt/lists",
    "End the same RUN with 'rm -rf /var/lib/apt/lists/*' (or use a cache mount)",
  ),
  PKG_UNPINNED: pcs(
    'PKG-UNPINNED',
    'low',
    'Packages installed without pinned versions',
    "Pin versions ('apt-get install pkg=1.2-3', 'apk add pkg=1.2.3-r0') for reproducible builds",
  ),
  PKG_UPGRADE: pcs(
    'PKG-UPGRADE',
    'low',
    "Whole-system package upgrade ('apt-get upgrade', 'apk upgrade', 'yum update')",
    'Rebuild on a newer, pinned base image instead of upgrading every package in a layer',
  ),
} as const satisfies Record<string, BuildRule>;

export type BuildRuleKey = keyof typeof BUILD_RULES;
