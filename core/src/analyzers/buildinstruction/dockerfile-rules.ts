import type { DockerfileAst, Instruction, Stage } from '../../dockerfile/index.js';
import { commandNames, evaluateCommandRules } from './command-rules.js';
import { isLiteralSecretValue, isSecretName, REDACTED } from './redact.js';
import type { BuildRuleKey } from './rules.js';
import { runScript } from './run-script.js';
import { checkCopyFrom, checkPipefail, checkWgetAndCurl, finalChain } from './stage-rules.js';

/** One rule hit on a Dockerfile, before it becomes a Finding. */
export interface DockerfileHit {
  rule: BuildRuleKey;
  message: string;
  /** The instruction it is about (file-level hits use the final stage's FROM). */
  instruction: Instruction;
  /** Redacted evidence; defaults to the instruction text. */
  evidence?: string;
  /** Other rule ids this hit also stands for (`DS031` on a literal credential ENV). */
  aliases?: string[];
  /** Peer ids (hadolint, dockle) of this hit when they differ from the rule's `peers`. */
  peers?: string[];
}

/**
 * Rules about what ends up in the image — what a RUN leaves in its layer (package caches and lists) and
 * how the container starts: they matter only in stages the final image is built on, so a builder stage
 * that is only copied from does not count.
 */
const LAYER_RULES: ReadonlySet<BuildRuleKey> = new Set([
  'APT_LISTS',
  'DS015',
  'DS019',
  'DS020',
  'DS025',
  'DS027',
  'PIP_CACHE',
  'SHELL_FORM_CMD',
]);

const SYS_DIRS = ['/proc', '/boot', '/dev', '/initrd', '/lost+found'];
/** DS031: well-known credential variables (trivy-checks `leaked_secrets.rego`). */
const CREDENTIAL_ENVS = new Set([
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AZURE_CLIENT_ID',
  'AZURE_CLIENT_SECRET',
  'GITHUB_TOKEN',
  'OPENAI_API_KEY',
  'HF_TOKEN',
]);
const SECRET_FILE_ENVS = new Set(['AWS_CONFIG_FILE', 'HF_TOKEN_PATH', 'GOOGLE_APPLICATION_CREDENTIALS']);
const CREDENTIAL_COMMANDS = [
  'aws configure set aws_access_key_id',
  'aws configure set aws_secret_access_key',
  'gcloud auth activate-service-account',
  'az login',
];

/** Whether a credential variable name is one DS031 knows (also behind `VITE_` / `REACT_APP_`). */
export function isCredentialEnv(name: string): boolean {
  return CREDENTIAL_ENVS.has(name.replace(/^(VITE_|REACT_APP_)/, ''));
}

/** Evaluates every Dockerfile rule. */
export function evaluateDockerfileRules(ast: DockerfileAst): DockerfileHit[] {
  const hits: DockerfileHit[] = [];
  const final = finalChain(ast);
  const add: Add = (rule, instruction, message, evidence, aliases, peers) => {
    // ONBUILD triggers run in whatever image builds on this one, so they count wherever they are written
    const inImage = instruction.keyword === 'ONBUILD' || instruction.stageIndex < 0;
    if (LAYER_RULES.has(rule) && !inImage && !final.has(instruction.stageIndex)) return;
    hits.push({
      rule,
      instruction,
      message,
      ...(evidence === undefined ? {} : { evidence }),
      ...(aliases === undefined ? {} : { aliases }),
      ...(peers === undefined ? {} : { peers }),
    });
  };
  const names = new Set(ast.stages.map((s) => s.name).filter((n): n is string => n !== undefined));
  const seenNames = new Map<string, number>();
  // the environment a RUN sees: ENV and ARG values of its stage and the stages it is built FROM
  const envs: Map<string, string | undefined>[] = [];
  for (const stage of ast.stages) {
    const env = new Map(stage.baseStage === undefined ? [] : envs[stage.baseStage]);
    envs[stage.index] = env;
    if (stage.implicit) {
      const first = stage.instructions[0];
      if (first !== undefined) add('NO_FROM', first, `${first.keyword} before the first FROM`);
    } else checkFrom(stage, names, add);
    if (stage.name !== undefined) {
      if (seenNames.has(stage.name)) add('DS012', stage.from, `stage name '${stage.name}' used twice`);
      seenNames.set(stage.name, stage.index);
    }
    const counts = { CMD: 0, ENTRYPOINT: 0, HEALTHCHECK: 0 };
    for (const ins of stage.instructions) {
      if (ins.keyword === 'CMD' || ins.keyword === 'ENTRYPOINT' || ins.keyword === 'HEALTHCHECK') {
        if (++counts[ins.keyword] > 1) {
          const rule = ({ CMD: 'DS016', ENTRYPOINT: 'DS007', HEALTHCHECK: 'DS023' } as const)[ins.keyword];
          add(rule, ins, `more than one ${ins.keyword} in stage ${stage.index}`);
        }
      }
      if (ins.keyword === 'ENV' || ins.keyword === 'ARG')
        for (const p of ins.pairs ?? []) env.set(p.key, p.value);
      checkInstruction(ins, stage, add, env);
      if (ins.keyword === 'COPY') checkCopyFrom(ins, stage, ast, add);
    }
    checkWgetAndCurl(stage, add);
    checkPipefail(stage, ast, add);
  }
  checkFinalStage(ast, add);
  for (const ins of ast.globalArgs) checkSecretPairs(ins, add);
  return mergePipefail(hits);
}

/**
 * One risk, one finding: a RUN that pipes a download into a shell is reported as that (high), and its
 * missing `pipefail` rides along as the `DL4006` alias instead of a second, low finding on the same line.
 */
function mergePipefail(hits: DockerfileHit[]): DockerfileHit[] {
  const piped = new Map(hits.filter((h) => h.rule === 'PIPE_TO_SHELL').map((h) => [h.instruction, h]));
  return hits.filter((h) => {
    const into = h.rule === 'PIPEFAIL' ? piped.get(h.instruction) : undefined;
    if (into === undefined) return true;
    into.peers = [...new Set([...(into.peers ?? []), 'DL4006'])];
    return false;
  });
}

export type Add = (
  rule: BuildRuleKey,
  instruction: Instruction,
  message: string,
  evidence?: string,
  aliases?: string[],
  peers?: string[],
) => void;

function checkFrom(stage: Stage, names: ReadonlySet<string>, add: Add): void {
  if (stage.baseStage !== undefined) return;
  const ref = stage.baseImage;
  if (ref.toLowerCase() === 'scratch' || names.has(ref.toLowerCase())) return;
  if (ref.includes('@')) return;
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const tag = colon > slash ? ref.slice(colon + 1) : undefined;
  // A tag that comes from a build arg without a default is decided at build time.
  if (stage.baseUnresolved && (tag === undefined || tag === '')) return;
  if (tag === undefined || tag === '')
    add('DS001', stage.from, `base image '${ref}' has no tag (means :latest)`, undefined, undefined, [
      'DL3006',
    ]);
  else if (tag === 'latest')
    add('DS001', stage.from, `base image '${ref}' uses :latest`, undefined, undefined, ['DL3007']);
}

function checkInstruction(
  ins: Instruction,
  stage: Stage,
  add: Add,
  env?: ReadonlyMap<string, string | undefined>,
): void {
  switch (ins.keyword) {
    case 'RUN': {
      const cacheMounts = ins.flags
        .filter((f) => f.name === 'mount' && /(^|,)type=(cache|tmpfs)(,|$)/.test(f.expanded ?? ''))
        .map((f) => /(?:^|,)(?:target|dst|destination)=([^,]+)/.exec(f.expanded ?? '')?.[1] ?? '');
      const script = runScript(ins);
      for (const h of evaluateCommandRules(script, { cacheMounts, ...(env === undefined ? {} : { env }) }))
        add(h.rule, ins, h.message, undefined, undefined, h.peers);
      if (commandNames(script).some((c) => c.name === 'cd')) add('DS013', ins, "'cd' used in RUN");
      break;
    }
    case 'ADD':
    case 'COPY':
      checkCopy(ins, stage, add);
      break;
    case 'EXPOSE':
      for (const p of ins.expanded) {
        const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
        if (m === null) continue;
        const lo = Number(m[1]);
        const hi = m[2] === undefined ? lo : Number(m[2]);
        if (hi > 65535 || lo > 65535) add('DS008', ins, `port ${p} is out of range`);
        if (lo <= 22 && 22 <= hi && (m[3] ?? 'tcp').toLowerCase() === 'tcp')
          add('DS004', ins, `port ${p} exposed`);
      }
      break;
    case 'WORKDIR': {
      const raw = (ins.args[0] ?? '').replace(/^["']|["']$/g, '');
      if (!/^(\/|[A-Za-z]:[\\/]|\$)/.test(raw)) add('DS009', ins, `WORKDIR '${raw}' is not absolute`);
      const path = (ins.expanded[0] ?? '').replace(/^["']|["']$/g, '').replace(/\/+$/, '');
      if (SYS_DIRS.some((d) => path === d || path.startsWith(`${d}/`))) {
        add('DS030', ins, `WORKDIR '${path}' is a system directory`);
      }
      break;
    }
    case 'VOLUME':
      for (const dir of sensitiveVolumes(ins.expanded)) add('SENSITIVE_VOLUME', ins, `VOLUME ${dir}`);
      break;
    case 'CMD':
    case 'ENTRYPOINT':
      if (!ins.json) add('SHELL_FORM_CMD', ins, `${ins.keyword} in shell form runs under /bin/sh -c`);
      break;
    case 'MAINTAINER':
      add('DS022', ins, 'MAINTAINER is deprecated');
      break;
    case 'ONBUILD':
      // the carried instruction runs in every child build: check it as if written there, reported here
      if (ins.onbuild !== undefined) {
        const onbuild = ins.onbuild;
        checkInstruction(onbuild, stage, (rule, _i, message, evidence, aliases, peers) =>
          add(rule, ins, message, evidence, aliases, peers),
        );
      }
      break;
    case 'ENV':
    case 'ARG':
      checkSecretPairs(ins, add);
      break;
    default:
      break;
  }
}

function checkCopy(ins: Instruction, stage: Stage, add: Add): void {
  const from = ins.flags.find((f) => f.name === 'from')?.expanded?.toLowerCase();
  if (ins.keyword === 'COPY' && from !== undefined && stage.name !== undefined && from === stage.name) {
    add('DS006', ins, `COPY --from=${from} refers to the current stage`);
  }
  const args = ins.expanded;
  if (args.length > 2 && !(args[args.length - 1] ?? '').endsWith('/')) {
    add('DS011', ins, `${ins.keyword} with ${args.length - 1} sources: destination must end with '/'`);
  }
  if (ins.keyword !== 'ADD') return;
  const sources = args.slice(0, -1);
  const hashed =
    /^(file|multi|dir):/.test(args[0] ?? '') &&
    (args.length === 2 || (args.length === 3 && args[1] === 'in'));
  // ADD is how local archives are meant to be extracted, and remote sources are ADD_REMOTE_URL's
  if (!hashed && sources.some((s) => !isLocalArchive(s) && !isRemoteSource(s))) {
    add('DS005', ins, 'ADD of a local file: use COPY');
  }
  const hasChecksum = ins.flags.some((f) => f.name === 'checksum');
  for (const src of sources) {
    const remote = isRemoteSource(src);
    if (remote && !(hasChecksum && /^https?:/i.test(src)))
      add('ADD_REMOTE_URL', ins, 'ADD fetches a remote URL');
  }
}

const SENSITIVE_DIRS = new Set(['/sys', '/dev', '/proc']);

/** The host-sensitive directories among VOLUME operands (`/proc`, `"/dev/"`, history's `[/sys]`). */
export function sensitiveVolumes(operands: readonly string[]): string[] {
  return operands
    .map((v) =>
      v
        .replace(/^\[|\]$/g, '')
        .replace(/^["']|["']$/g, '')
        .replace(/\/+$/, ''),
    )
    .filter((v) => SENSITIVE_DIRS.has(v));
}

/** A source ADD downloads rather than copies: a URL or a git repository. */
export function isRemoteSource(src: string): boolean {
  return /^(https?|ftp):\/\//i.test(src) || /^git@|^git:\/\/|\.git(#|$)/.test(src);
}

/** A local tar archive ADD extracts (plain or compressed, as Docker and hadolint recognise them). */
export function isLocalArchive(src: string): boolean {
  return /\.(tar|tar\.(gz|bz2|xz|zst|lz|lzma|Z)|tgz|tbz2?|tb2|txz|tlz|tpz|tZ|gz|bz2|xz|zst|lz|lzma|Z)$/.test(
    src.replace(/["']/g, ''),
  );
}

function checkSecretPairs(ins: Instruction, add: Add): void {
  for (const p of ins.pairs ?? []) {
    const literal = p.raw !== undefined && isLiteralSecretValue(p.raw);
    if (isSecretName(p.key) && literal) {
      const rule = ins.keyword === 'ENV' ? 'SECRET_ENV' : 'SECRET_ARG';
      // one secret, one finding: DS031 (trivy's id for the same variable) becomes an alias, not a second finding
      const aliases = isCredentialEnv(p.key) ? ['DS031'] : undefined;
      add(
        rule,
        ins,
        `${ins.keyword} ${p.key} has a literal value`,
        `${ins.keyword} ${p.key}=${REDACTED}`,
        aliases,
      );
    }
  }
}

/** Rules about the image the final stage produces: USER, HEALTHCHECK, DS031. */
function checkFinalStage(ast: DockerfileAst, add: Add): void {
  const final = ast.stages[ast.stages.length - 1];
  if (final === undefined) return;
  const chain: Stage[] = [];
  for (let s: Stage | undefined = final; s !== undefined && chain.length <= ast.stages.length;) {
    chain.unshift(s);
    s = s.baseStage === undefined ? undefined : ast.stages[s.baseStage];
  }
  const inherited = chain.flatMap((s) => s.instructions);
  const users = inherited.filter((i) => i.keyword === 'USER');
  const lastUser = users[users.length - 1];
  // hadolint's DL3002 judges only an explicit root USER; dockle's CIS-DI-0001 also a missing one
  // a fragment (no FROM) says nothing about what it leaves out: no USER or HEALTHCHECK is no finding there
  const whole = final.implicit !== true;
  if (lastUser === undefined) {
    if (whole)
      add('DS002', final.from, 'no USER: the image runs as root', undefined, undefined, ['CIS-DI-0001']);
  } else if (/^(root|0)(:.*)?$/.test((lastUser.expanded[0] ?? '').trim())) {
    add('DS002', lastUser, `last USER is '${lastUser.expanded[0]}'`);
  }
  if (whole && !inherited.some((i) => i.keyword === 'HEALTHCHECK'))
    add('DS026', final.from, 'no HEALTHCHECK in the final stage');

  const copied = final.instructions
    .filter((i) => i.keyword === 'COPY')
    .map((i) => i.expanded[i.expanded.length - 1] ?? '');
  for (const ins of final.instructions) {
    if (ins.keyword === 'ENV' || ins.keyword === 'ARG') {
      for (const p of ins.pairs ?? []) {
        const evidence = `${ins.keyword} ${p.key}${p.raw === undefined ? '' : `=${REDACTED}`}`;
        const reported = isSecretName(p.key) && p.raw !== undefined && isLiteralSecretValue(p.raw);
        if (isCredentialEnv(p.key)) {
          if (!reported) add('DS031', ins, `possible exposure of secret env ${p.key}`, evidence);
        } else if (
          SECRET_FILE_ENVS.has(p.key) &&
          p.value &&
          copied.some((d) => isSubPath(p.value as string, d))
        ) {
          add('DS031', ins, `possible exposure of the copied secret file ${p.key}`, evidence);
        }
      }
    } else if (ins.keyword === 'COPY' && ins.expanded.length === 2) {
      const dest = (ins.args[1] ?? '').replace(/^\$\{?|\}$/g, '');
      if (SECRET_FILE_ENVS.has(dest)) add('DS031', ins, `possible exposure of secret file ${dest}`);
    } else if (ins.keyword === 'RUN') {
      const secretMount = ins.flags.some(
        (f) => f.name === 'mount' && (f.expanded ?? '').startsWith('type=secret'),
      );
      const text = ins.args.join(' ');
      if (!secretMount && CREDENTIAL_COMMANDS.some((c) => text.includes(c)))
        add('DS031', ins, 'possible exposure of secret in RUN');
    }
  }
}

function isSubPath(p: string, dir: string): boolean {
  const norm = (s: string): string => s.replace(/^\.\//, '').replace(/^\//, '').replace(/\/+$/, '');
  const d = norm(dir);
  const f = norm(p);
  return d === '' || f === d || f.startsWith(`${d}/`);
}
