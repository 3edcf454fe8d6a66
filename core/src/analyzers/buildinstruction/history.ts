import { parseDockerfile } from '../../dockerfile/index.js';
import type { Instruction } from '../../dockerfile/index.js';
import type { Finding } from '../../types/finding.js';
import type { HistoryEntry, LayerInfo } from '../../types/image.js';
import { evaluateCommandRules } from './command-rules.js';
import { isCredentialEnv, isLocalArchive, isRemoteSource, sensitiveVolumes } from './dockerfile-rules.js';
import { isLiteralSecretValue, isSecretName, REDACTED, toEvidence } from './redact.js';
import { BUILD_RULES } from './rules.js';
import type { BuildRuleKey } from './rules.js';

/** What one `created_by` string says was done. */
export type HistoryStep =
  | { kind: 'run'; script: string; buildArgs: { key: string; value: string }[] }
  | { kind: 'instruction'; text: string }
  | { kind: 'unknown'; text: string };

const SHELL_PREFIX = /^(?:\/bin\/(?:ba)?sh|sh|bash)\s+-c\s+/;
const NOP = /^(?:\/bin\/(?:ba)?sh|sh)\s+-c\s+#\(nop\)\s*/;
const INSTRUCTION =
  /^(ADD|ARG|CMD|COPY|ENTRYPOINT|ENV|EXPOSE|HEALTHCHECK|LABEL|MAINTAINER|ONBUILD|SHELL|STOPSIGNAL|USER|VOLUME|WORKDIR)\b/i;

/**
 * Reads a history `created_by` in the forms builders write: Docker's `/bin/sh -c #(nop)  ENV …` and
 * `/bin/sh -c apt-get …`, BuildKit's `RUN |2 A=1 B=2 /bin/sh -c … # buildkit` and `ENV A=b`, and free
 * text such as umoci's `RUN curl … | sh`.
 */
export function parseCreatedBy(createdBy: string): HistoryStep {
  let text = createdBy.trim().replace(/\s+#\s*buildkit$/, '');
  const nop = NOP.exec(text);
  if (nop !== null) return { kind: 'instruction', text: text.slice(nop[0].length).trim() };
  const shell = SHELL_PREFIX.exec(text);
  if (shell !== null) return { kind: 'run', script: text.slice(shell[0].length), buildArgs: [] };
  // BuildKit writes `RUN |N A=1 … /bin/sh -c …`, the classic builder the same without `RUN`
  const run = /^RUN\s+|^(?=\|\d+\s)/i.exec(text);
  if (run !== null) {
    text = text.slice(run[0].length);
    const buildArgs: { key: string; value: string }[] = [];
    const argc = /^\|(\d+)\s+/.exec(text);
    if (argc !== null) {
      text = text.slice(argc[0].length);
      for (let n = Number(argc[1]); n > 0; n--) {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S*)\s*/.exec(text);
        if (m === null) break;
        buildArgs.push({ key: m[1] as string, value: (m[2] as string).replace(/^["']|["']$/g, '') });
        text = text.slice(m[0].length);
      }
    }
    const inner = SHELL_PREFIX.exec(text);
    return { kind: 'run', script: inner === null ? text : text.slice(inner[0].length), buildArgs };
  }
  if (INSTRUCTION.test(text)) return { kind: 'instruction', text };
  return { kind: 'unknown', text };
}

/**
 * Applies the command-level build rules to image history: RUN scripts (pipe-to-shell, sudo, chmod,
 * package managers), secrets in ENV and in recorded build args, ADD of URLs, EXPOSE 22.
 * Locations are `history[i].created_by` with the digest of the layer the entry made.
 */
export function analyzeHistory(
  history: readonly HistoryEntry[] | undefined,
  layers: readonly LayerInfo[] = [],
): Finding[] {
  const findings: Finding[] = [];
  let layerIndex = 0;
  // The first ADD of a history that writes `/` is the base image's root file system, not a build step
  // (dockle's CIS-DI-0009 passes over it the same way); every later ADD is judged.
  const rootfsAdd = (history ?? []).findIndex((e) => isAddStep(e.created_by));
  const rootfs = rootfsAdd >= 0 && addsToRoot(history?.[rootfsAdd]?.created_by ?? '') ? rootfsAdd : -1;
  // ENV entries stay in force for later RUN entries (PIP_NO_CACHE_DIR)
  const env = new Map<string, string | undefined>();
  (history ?? []).forEach((entry, i) => {
    const layer = entry.empty_layer === true ? undefined : layers[layerIndex++];
    const createdBy = entry.created_by;
    if (createdBy === undefined || createdBy.trim() === '') return;
    const emit = (rule: BuildRuleKey, message: string, evidence?: string, peers?: string[]): void => {
      const r = BUILD_RULES[rule];
      if (!r.history) return;
      const aliases = [...(r.avdId === undefined ? [] : [r.avdId]), ...(peers ?? r.peers ?? [])];
      if (findings.some((f) => f.id === r.id && f.location.source === `history[${i}].created_by`)) return;
      findings.push({
        type: 'build-instruction',
        id: r.id,
        ruleId: r.id,
        severity: r.severity,
        title: r.title,
        description: message,
        remediation: r.remediation,
        location: {
          source: `history[${i}].created_by`,
          ...(layer?.digest === undefined ? {} : { layerDigest: layer.digest }),
        },
        evidence: evidence ?? toEvidence(createdBy),
        ...(aliases.length === 0 ? {} : { aliases }),
      });
    };
    const step = parseCreatedBy(createdBy);
    if (step.kind === 'run') {
      for (const a of step.buildArgs) {
        if (isSecretName(a.key) && isLiteralSecretValue(a.value)) {
          emit('SECRET_ARG', `build arg ${a.key} recorded in history`, `${a.key}=${REDACTED}`);
        }
      }
      const runEnv = new Map(env);
      for (const a of step.buildArgs) runEnv.set(a.key, a.value);
      for (const h of evaluateCommandRules(step.script, { env: runEnv }))
        emit(h.rule, h.message, undefined, h.peers);
    } else if (step.kind === 'instruction') {
      const parsed = parseInstructionText(step.text);
      for (const ins of parsed) evaluateHistoryInstruction(ins, emit, i === rootfs);
      // what the Dockerfile parser could not read (unquoted values with spaces) is still checked
      const keyword = /^(ENV|ARG)\b/i.exec(step.text)?.[1]?.toUpperCase();
      if (keyword === 'ENV' || keyword === 'ARG') {
        for (const p of toHistoryPairs(step.text)) {
          if (keyword === 'ENV') env.set(p.key, p.raw.replace(/^["']|["']$/g, ''));
          if (isSecretName(p.key) && isLiteralSecretValue(p.raw)) {
            emit(
              keyword === 'ENV' ? 'SECRET_ENV' : 'SECRET_ARG',
              `${keyword} ${p.key} has a literal value`,
              `${keyword} ${p.key}=${REDACTED}`,
            );
          }
        }
      }
    }
  });
  return findings;
}

/** Parses one instruction written in a history entry; nothing when it is not valid Dockerfile syntax. */
function parseInstructionText(text: string): Instruction[] {
  // BuildKit writes EXPOSE as a Go map: `EXPOSE map[22/tcp:{} 80/tcp:{}]`.
  const normalized = text.replace(
    /^EXPOSE\s+map\[(.*)\]$/i,
    (_m, body: string) => `EXPOSE ${body.replace(/:\{\}/g, '')}`,
  );
  if (normalized.includes('\n')) return [];
  try {
    return parseDockerfile(`FROM scratch\n${normalized}`).stages[0]?.instructions ?? [];
  } catch {
    return [];
  }
}

/**
 * The `NAME=value` pairs of an ENV/ARG as history records them, which is not always valid Dockerfile:
 * Docker drops the quotes (`ENV SECRET=two words`), keeps the legacy `ENV NAME value` form, and may put
 * several assignments on one line. Values keep their quotes when they had them.
 */
export function toHistoryPairs(text: string): { key: string; raw: string }[] {
  const m = /^(ENV|ARG)\s+(.*)$/is.exec(text.trim());
  if (m === null) return [];
  const rest = m[2] as string;
  const legacy = /^([^\s=]+)\s+(.+)$/s.exec(rest);
  if (legacy !== null && !(legacy[1] as string).includes('='))
    return [{ key: legacy[1] as string, raw: legacy[2] as string }];
  const out: { key: string; raw: string }[] = [];
  for (const p of rest.matchAll(/(?:^|\s)(["']?[A-Za-z_][A-Za-z0-9_.-]*["']?)=("[^"]*"|'[^']*'|\S*)/g)) {
    out.push({ key: (p[1] as string).replace(/["']/g, ''), raw: p[2] as string });
  }
  return out;
}

/** Whether a `created_by` records an ADD (`#(nop) ADD file:… in /`, BuildKit `ADD src dst # buildkit`). */
function isAddStep(createdBy: string | undefined): boolean {
  if (createdBy === undefined) return false;
  const step = parseCreatedBy(createdBy);
  return step.kind === 'instruction' && /^ADD\s/i.test(step.text);
}

function addsToRoot(createdBy: string): boolean {
  const step = parseCreatedBy(createdBy);
  return step.kind === 'instruction' && /\s\/\s*$/.test(step.text);
}

function evaluateHistoryInstruction(
  ins: Instruction,
  emit: (rule: BuildRuleKey, message: string, evidence?: string) => void,
  rootfs: boolean,
): void {
  if (ins.keyword === 'ADD' && !rootfs) {
    const sources = ins.args.filter((a) => a !== 'in').slice(0, -1);
    // the classic builder records local sources as `file:<hash>` / `dir:<hash>`: the name is gone, so
    // only a named archive (BuildKit keeps names) is known to be an extraction
    const local = sources.filter((s) => !isRemoteSource(s) && !isLocalArchive(s));
    if (local.length > 0) emit('DS005', 'ADD used where COPY would do');
  }
  if (ins.keyword === 'ENV' || ins.keyword === 'ARG') {
    for (const p of ins.pairs ?? []) {
      if (p.raw !== undefined && isSecretName(p.key) && isLiteralSecretValue(p.raw)) {
        emit(
          ins.keyword === 'ENV' ? 'SECRET_ENV' : 'SECRET_ARG',
          `${ins.keyword} ${p.key} has a literal value`,
          `${ins.keyword} ${p.key}=${REDACTED}`,
        );
      } else if (ins.keyword === 'ENV' && isCredentialEnv(p.key)) {
        emit('DS031', `secret env ${p.key} set in the image`, `ENV ${p.key}=${REDACTED}`);
      }
    }
  } else if (ins.keyword === 'ADD') {
    const sources = ins.args.filter((a) => a !== 'in').slice(0, -1);
    if (sources.some((s) => /^(https?|ftp):\/\//i.test(s) || /^git@|^git:\/\//.test(s))) {
      emit('ADD_REMOTE_URL', 'ADD fetched a remote URL');
    }
  } else if (ins.keyword === 'VOLUME') {
    // history writes `VOLUME [/data /proc]`
    for (const dir of sensitiveVolumes(ins.args.flatMap((a) => a.split(/\s+/))))
      emit('SENSITIVE_VOLUME', `VOLUME ${dir}`);
  } else if (ins.keyword === 'EXPOSE') {
    if (ins.args.some((p) => /^22(\/tcp)?$/i.test(p))) emit('DS004', 'port 22 exposed');
  }
}
