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
  /**
   * The same check in the peers' catalogues — hadolint `DL…` rules and dockle `CIS-DI-…` / `DKL-…`
   * checkpoints — reported as finding aliases, so a policy exception may name them. A hit whose meaning
   * is narrower or wider than the peer's names its own (see `DockerfileHit.peers`).
   */
  peers?: readonly string[];
}

const ds = (
  n: number,
  severity: Severity,
  title: string,
  remediation: string,
  history = false,
  peers?: readonly string[],
): BuildRule => {
  const id = `DS${String(n).padStart(3, '0')}`;
  const avdId = `AVD-DS-${String(n).padStart(4, '0')}`;
  return { id, avdId, severity, title, remediation, history, ...(peers === undefined ? {} : { peers }) };
};

const pcs = (
  name: string,
  severity: Severity,
  title: string,
  remediation: string,
  history = true,
  peers?: readonly string[],
): BuildRule => ({
  id: `PCS-BUILD-${name}`,
  severity,
  title,
  remediation,
  history,
  ...(peers === undefined ? {} : { peers }),
});

/** Every rule, keyed by id. Titles and severities of DS rules follow trivy-checks @80e53822. */
export const BUILD_RULES = {
  DS001: ds(
    1,
    'medium',
    "':latest' tag used",
    "Add a specific tag (or digest) to the image in the 'FROM' statement",
    false,
    ['DL3006', 'DL3007'],
  ),
  DS002: ds(
    2,
    'high',
    "Image user should not be 'root'",
    "Add a 'USER <non-root user>' line to the final stage",
    false,
    ['DL3002', 'CIS-DI-0001'],
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
    ['DL3020', 'CIS-DI-0009'],
  ),
  DS006: ds(
    6,
    'critical',
    "COPY '--from' referring to the current image",
    "Point 'COPY --from' at another stage",
    false,
    ['DL3023'],
  ),
  DS007: ds(
    7,
    'critical',
    'Multiple ENTRYPOINT instructions listed',
    'Keep only one ENTRYPOINT per stage',
    false,
    ['DL4004'],
  ),
  DS008: ds(8, 'critical', 'Exposed port out of range', 'Use a port between 0 and 65535', false, ['DL3011']),
  DS009: ds(9, 'high', 'WORKDIR path not absolute', 'Use an absolute path in WORKDIR', false, ['DL3000']),
  DS010: ds(
    10,
    'critical',
    "RUN using 'sudo'",
    "Don't use sudo: switch USER when another user is needed",
    true,
    ['DL3004', 'DKL-DI-0001'],
  ),
  DS011: ds(
    11,
    'critical',
    'COPY with more than two arguments not ending with slash',
    "End the destination with '/'",
    false,
    ['DL3021'],
  ),
  DS012: ds(
    12,
    'critical',
    'Duplicate aliases defined in different FROMs',
    'Give every stage a unique name',
    false,
    ['DL3024'],
  ),
  DS013: ds(13, 'medium', "'RUN cd ...' to change directory", "Use WORKDIR instead of 'RUN cd …'", false, [
    'DL3003',
  ]),
  DS014: ds(
    14,
    'low',
    "RUN using 'wget' and 'curl'",
    "Pick one download tool, either 'wget' or 'curl'",
    false,
    ['DL4001'],
  ),
  DS015: ds(15, 'high', "'yum clean all' missing", "Add 'yum clean all' after 'yum install'", true, [
    'DL3032',
  ]),
  DS016: ds(16, 'high', 'Multiple CMD instructions listed', 'Keep only one CMD per stage', false, ['DL4003']),
  DS017: ds(
    17,
    'high',
    "'RUN <package-manager> update' instruction alone",
    "Combine '<package-manager> update' and '<package-manager> install' in one RUN",
    true,
    ['CIS-DI-0007'],
  ),
  DS019: ds(19, 'high', "'dnf clean all' missing", "Add 'dnf clean all' after 'dnf install'", true, [
    'DL3040',
  ]),
  DS020: ds(20, 'high', "'zypper clean' missing", "Add 'zypper clean' after 'zypper install'", true, [
    'DL3036',
  ]),
  DS021: ds(
    21,
    'high',
    "'apt-get' missing '-y' to avoid manual input",
    "Add '-y' to 'apt-get install'",
    true,
    ['DL3014'],
  ),
  DS022: ds(
    22,
    'high',
    'Deprecated MAINTAINER used',
    "Use 'LABEL maintainer=…' instead of MAINTAINER",
    false,
    ['DL4000'],
  ),
  DS023: ds(23, 'medium', 'Multiple HEALTHCHECK defined', 'Keep only one HEALTHCHECK per stage', false, [
    'DL3012',
  ]),
  DS024: ds(24, 'high', "'apt-get dist-upgrade' used", "Don't use 'apt-get dist-upgrade' in images", true, [
    'DL3005',
    'DKL-DI-0003',
  ]),
  DS025: ds(25, 'high', "'apk add' is missing '--no-cache'", "Add '--no-cache' to 'apk add'", true, [
    'DL3019',
    'DKL-DI-0004',
  ]),
  DS026: ds(26, 'low', 'No HEALTHCHECK defined', 'Add a HEALTHCHECK instruction to the final stage', false, [
    'DL3057',
    'CIS-DI-0006',
  ]),
  DS027: ds(
    27,
    'high',
    "'microdnf clean all' missing",
    "Add 'microdnf clean all' after 'microdnf install'",
    true,
    ['DL3040'],
  ),
  DS029: ds(
    29,
    'high',
    "'apt-get' missing '--no-install-recommends'",
    "Add '--no-install-recommends' to 'apt-get install'",
    true,
    ['DL3015'],
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
    'Secret value set in an environment variable (ENV or a RUN assignment)',
    'Never bake secrets into images: use a secret mount at build time and inject secrets at run time',
    true,
    ['CIS-DI-0010'],
  ),
  SECRET_ARG: pcs(
    'SECRET-ARG',
    'high',
    'Secret value passed with ARG',
    'Build args are recorded in the image history: use RUN --mount=type=secret instead',
    true,
    ['CIS-DI-0010'],
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
    "'apt-get update' or 'install' without removing /var/lib/apt/lists",
    "End the same RUN with 'rm -rf /var/lib/apt/lists/*' (or use a cache mount)",
    true,
    ['DL3009', 'DKL-DI-0005'],
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
  PIP_CACHE: pcs(
    'PIP-CACHE',
    'low',
    "'pip install' leaves its download cache in the layer",
    "Add '--no-cache-dir' (or ENV PIP_NO_CACHE_DIR=1, or a cache mount on /root/.cache/pip)",
    true,
    ['DL3042'],
  ),
  SENSITIVE_VOLUME: pcs(
    'SENSITIVE-VOLUME',
    'medium',
    'VOLUME on a host-sensitive directory (/sys, /dev, /proc)',
    'Do not declare /sys, /dev or /proc as volumes: a runtime mounting them exposes the host',
    true,
    ['DKL-DI-0002'],
  ),
  SHELL_FORM_CMD: pcs(
    'SHELL-FORM-CMD',
    'low',
    'CMD or ENTRYPOINT in shell form',
    'Use the JSON (exec) form, CMD ["app", "--flag"]: in shell form /bin/sh is PID 1 and the app never receives SIGTERM',
    false,
    ['DL3025'],
  ),
  PIPEFAIL: pcs(
    'PIPEFAIL',
    'low',
    "RUN with a pipe but without 'pipefail'",
    'SHELL ["/bin/bash", "-o", "pipefail", "-c"] before the RUN (or \'set -o pipefail\' in it)',
    false,
    ['DL4006'],
  ),
  COPY_FROM_UNKNOWN: pcs(
    'COPY-FROM-UNKNOWN-STAGE',
    'medium',
    "'COPY --from' names no earlier stage",
    "Point 'COPY --from' at a stage defined above it, or at an explicit image reference (name:tag or digest)",
    false,
    ['DL3022'],
  ),
  NO_FROM: pcs(
    'INSTRUCTION-BEFORE-FROM',
    'medium',
    'Instructions before the first FROM',
    'Start the Dockerfile with FROM: only ARG, comments and parser directives may come before it (Docker refuses to build it otherwise)',
    false,
    ['DL3061'],
  ),
} as const satisfies Record<string, BuildRule>;

export type BuildRuleKey = keyof typeof BUILD_RULES;
