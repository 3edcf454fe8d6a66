import type { DockerfileAst, Instruction, Stage } from '../../dockerfile/index.js';
import { commandNames } from './command-rules.js';
import type { Add } from './dockerfile-rules.js';
import { runScript } from './run-script.js';
import { parseShell } from './shell.js';

/*
 * Rules that need the stage structure of a Dockerfile: which stages make up the final image, which
 * stages a `COPY --from` may name, and state that lives for one stage (the tools used, the SHELL).
 */

/** Indexes of the final stage and the stages it is built `FROM`, transitively. */
export function finalChain(ast: DockerfileAst): Set<number> {
  const chain = new Set<number>();
  for (let s = ast.stages[ast.stages.length - 1]; s !== undefined && !chain.has(s.index);) {
    chain.add(s.index);
    s = s.baseStage === undefined ? undefined : ast.stages[s.baseStage];
  }
  return chain;
}

/**
 * `COPY --from=NAME` must name a stage defined before it (or this stage, which DS006 reports); an
 * explicit image reference (`nginx:1.27`, `ghcr.io/x/y`, `…@sha256:…`) or an earlier stage's index is fine.
 * A bare unknown word is a typo or a stage defined later — Docker would pull it as `NAME:latest`.
 */
export function checkCopyFrom(ins: Instruction, stage: Stage, ast: DockerfileAst, add: Add): void {
  const flag = ins.flags.find((f) => f.name === 'from');
  const from = flag?.expanded?.toLowerCase();
  if (
    flag === undefined ||
    from === undefined ||
    from === '' ||
    /[$:/@]/.test(flag.value ?? '') ||
    /[:/@]/.test(from)
  )
    return;
  if (/^\d+$/.test(from)) {
    if (Number(from) >= stage.index)
      add('COPY_FROM_UNKNOWN', ins, `COPY --from=${from}: no earlier stage ${from}`);
    return;
  }
  const defined = ast.stages.some((s) => s.index <= stage.index && s.name === from);
  if (!defined) add('COPY_FROM_UNKNOWN', ins, `COPY --from=${from}: no stage named '${from}' above it`);
}

/**
 * DS014: both wget and curl download in one stage (installing them does not count). Each RUN that uses
 * one tool after the other was used earlier in the stage is reported, as hadolint's DL4001 does.
 */
export function checkWgetAndCurl(stage: Stage, add: Add): void {
  const seen = new Set<string>();
  for (const ins of stage.instructions) {
    if (ins.keyword !== 'RUN') continue;
    const names = new Set(commandNames(runScript(ins)).map((c) => c.name));
    const tools = ['wget', 'curl'].filter((t) => names.has(t));
    if (tools.some((t) => seen.has(t === 'wget' ? 'curl' : 'wget')) || tools.length === 2)
      add('DS014', ins, "both 'wget' and 'curl' used in this stage");
    for (const t of tools) seen.add(t);
  }
}

/** Shells that accept `-o pipefail` (plain `sh` may be dash, which does not). */
const PIPEFAIL_SHELLS = new Set(['bash', 'zsh', 'ash', 'ksh', 'mksh', 'busybox']);
/** Shells whose RUN lines are not POSIX scripts: pipes there are objects, not byte streams. */
const NON_POSIX = /^(pwsh|powershell|cmd)(\.exe)?$/i;

/**
 * A RUN whose pipeline fails in a middle command still succeeds unless `pipefail` is set
 * (`curl -f URL | tar x` builds an empty layer when the download fails). The SHELL in force must be one
 * that sets `-o pipefail`, or the script sets it itself (hadolint's DL4006). The SHELL is inherited from
 * a parent stage and reset for an image base.
 */
export function checkPipefail(stage: Stage, ast: DockerfileAst, add: Add): void {
  let shell = stage.baseStage === undefined ? undefined : lastShell(ast, stage.baseStage);
  for (const ins of stage.instructions) {
    if (ins.keyword === 'SHELL') shell = ins.json ? ins.args : undefined;
    if (ins.keyword !== 'RUN' || (ins.json && ins.heredocs.length === 0)) continue;
    const exe = (shell?.[0] ?? '/bin/sh').split(/[\\/]/).pop() ?? '';
    if (NON_POSIX.test(exe)) continue;
    if (shell !== undefined && PIPEFAIL_SHELLS.has(exe) && setsPipefail(shell.slice(1))) continue;
    const script = runScript(ins);
    if (/\bset\s+(-[a-zA-Z]*o\s+|-o\s+)pipefail\b|\bset\s+-[a-zA-Z]*\s+-o\s+pipefail\b/.test(script))
      continue;
    if (parseShell(script).some((p) => p.commands.length > 1)) {
      add('PIPEFAIL', ins, "RUN pipes commands without 'set -o pipefail': a failing command is masked");
    }
  }
}

function lastShell(ast: DockerfileAst, index: number): string[] | undefined {
  const stage = ast.stages[index];
  if (stage === undefined) return undefined;
  const shells = stage.instructions.filter((i) => i.keyword === 'SHELL');
  const last = shells[shells.length - 1];
  if (last !== undefined) return last.json ? last.args : undefined;
  return stage.baseStage === undefined || stage.baseStage >= index
    ? undefined
    : lastShell(ast, stage.baseStage);
}

function setsPipefail(args: readonly string[]): boolean {
  return args.some((a, i) => a === 'pipefail' && /^-[a-zA-Z]*o$/.test(args[i - 1] ?? ''));
}
