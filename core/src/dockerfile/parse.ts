import { parseFailed, splitLogicalLines } from './lines.js';
import { parseInstruction } from './instruction.js';
import type { DockerfileAst, Instruction, ParseDockerfileOptions, Stage } from './types.js';
import { expandWord } from './words.js';
import type { VarScope } from './words.js';

/** Instructions whose arguments the builder itself expands (the rest are left to the shell). */
const EXPANDED = new Set([
  'ADD',
  'COPY',
  'ENV',
  'EXPOSE',
  'FROM',
  'LABEL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);

interface StageScope {
  env: Map<string, string | undefined>;
  args: Map<string, string | undefined>;
}

/**
 * Parses a Dockerfile into instructions and stages with exact 1-based line numbers, expanding `ARG`/`ENV`
 * variables with BuildKit's scoping: `ARG`s before the first `FROM` are visible to `FROM` lines only
 * (a stage re-declares them with `ARG NAME`); `ENV` and `ARG` inside a stage apply to later lines of it.
 * Instructions before any FROM form an `implicit` stage (see `Stage.implicit`) instead of an error.
 * Throws `DOCKERFILE_PARSE_FAILED` (with the line) on invalid input.
 */
export function parseDockerfile(text: string, options: ParseDockerfileOptions = {}): DockerfileAst {
  const buildArgs = options.buildArgs ?? {};
  const { directives, escapeChar, lines } = splitLogicalLines(text);
  const instructions = lines.map((l) => parseInstruction(l, escapeChar));
  const globalScope = new Map<string, string | undefined>();
  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  const scopes: StageScope[] = [];
  let scope: StageScope | undefined;

  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const stage = startStage(ins, stages, scopes, globalScope, escapeChar);
      stages.push(stage);
      scope = scopes[stage.index] as StageScope;
      continue;
    }
    if (scope === undefined && ins.keyword === 'ARG') {
      declareArgs(ins, globalScope, globalScope, undefined, buildArgs, escapeChar);
      globalArgs.push(ins);
      continue;
    }
    if (scope === undefined) {
      // a fragment: linted as if `FROM scratch` stood above it, and the rules report the missing FROM
      stages.push(startImplicitStage(ins, scopes));
      scope = scopes[0] as StageScope;
    }
    const stage = stages[stages.length - 1] as Stage;
    ins.stageIndex = stage.index;
    stage.instructions.push(ins);
    const visible = visibleScope(scope);
    if (ins.keyword === 'ARG') {
      declareArgs(ins, scope.args, visible, globalScope, buildArgs, escapeChar);
    } else if (ins.keyword === 'ENV') {
      // Every value of one ENV sees the environment from before that instruction.
      for (const p of ins.pairs ?? []) {
        const e = expandWord(p.raw ?? '', visible, escapeChar);
        p.value = e.value;
        if (e.unresolved) ins.unresolved = true;
      }
      for (const p of ins.pairs ?? []) scope.env.set(p.key, p.value ?? '');
      ins.expanded = (ins.pairs ?? []).map((p) => `${p.key}=${p.value ?? ''}`);
    } else if (EXPANDED.has(ins.keyword)) {
      expandInstruction(ins, visible, escapeChar);
    } else {
      expandFlags(ins, visible, escapeChar);
    }
  }
  if (stages.length === 0 && instructions.length > 0) {
    throw parseFailed('no FROM instruction', instructions[instructions.length - 1]?.startLine);
  }
  return { directives, escapeChar, instructions, globalArgs, stages };
}

function visibleScope(scope: StageScope): VarScope {
  // ENV overrides an ARG of the same name.
  const merged = new Map(scope.args);
  for (const [k, v] of scope.env) merged.set(k, v);
  return merged;
}

function startImplicitStage(first: Instruction, scopes: StageScope[]): Stage {
  const from: Instruction = {
    keyword: 'FROM',
    startLine: first.startLine,
    endLine: first.startLine,
    original: '',
    flags: [],
    args: ['scratch'],
    expanded: ['scratch'],
    json: false,
    heredocs: [],
    stageIndex: 0,
  };
  scopes.push({ env: new Map(), args: new Map() });
  return {
    index: 0,
    baseImage: 'scratch',
    baseRaw: 'scratch',
    baseUnresolved: false,
    from,
    instructions: [],
    implicit: true,
  };
}

function startStage(
  ins: Instruction,
  stages: Stage[],
  scopes: StageScope[],
  globalScope: VarScope,
  escapeChar: string,
): Stage {
  expandFlags(ins, globalScope, escapeChar);
  const words = ins.args;
  if (words.length !== 1 && !(words.length === 3 && words[1]?.toLowerCase() === 'as')) {
    throw parseFailed('FROM requires either one or three arguments (FROM image [AS name])', ins.startLine);
  }
  const baseRaw = words[0] as string;
  const base = expandWord(baseRaw, globalScope, escapeChar);
  const index = stages.length;
  ins.stageIndex = index;
  ins.expanded = [base.value, ...words.slice(1)];
  if (base.unresolved) ins.unresolved = true;
  const name = words[2]?.toLowerCase();
  const baseLower = base.value.toLowerCase();
  const baseStage = stages.findIndex((s) => s.name !== undefined && s.name === baseLower);
  const platform = ins.flags.find((f) => f.name === 'platform');
  const parentEnv = baseStage >= 0 ? (scopes[baseStage] as StageScope).env : undefined;
  scopes.push({ env: new Map(parentEnv), args: new Map() });
  return {
    index,
    ...(name === undefined ? {} : { name }),
    baseImage: base.value,
    baseRaw,
    ...(baseStage >= 0 ? { baseStage } : {}),
    baseUnresolved: base.unresolved,
    ...(platform?.expanded === undefined ? {} : { platform: platform.expanded }),
    from: ins,
    instructions: [],
  };
}

function declareArgs(
  ins: Instruction,
  target: Map<string, string | undefined>,
  visible: VarScope,
  globalScope: VarScope | undefined,
  buildArgs: Readonly<Record<string, string>>,
  escapeChar: string,
): void {
  for (const p of ins.pairs ?? []) {
    if (p.raw !== undefined) {
      const e = expandWord(p.raw, visible, escapeChar);
      p.value = e.value;
      if (e.unresolved) ins.unresolved = true;
    }
    const fromGlobal = globalScope?.get(p.key);
    const value = Object.hasOwn(buildArgs, p.key) ? buildArgs[p.key] : (p.value ?? fromGlobal);
    target.set(p.key, value);
  }
  ins.expanded = (ins.pairs ?? []).map((p) => (p.value === undefined ? p.key : `${p.key}=${p.value}`));
}

function expandInstruction(ins: Instruction, scope: VarScope, escapeChar: string): void {
  expandFlags(ins, scope, escapeChar);
  if (ins.pairs !== undefined) {
    for (const p of ins.pairs) {
      const e = expandWord(p.raw ?? '', scope, escapeChar);
      p.value = e.value;
      if (e.unresolved) ins.unresolved = true;
    }
    ins.expanded = ins.pairs.map((p) => `${p.key}=${p.value ?? ''}`);
    return;
  }
  ins.expanded = ins.args.map((a) => {
    // Exec-form items are plain strings: only variables are expanded, not quotes.
    const e = expandWord(a, scope, escapeChar, { quotes: !ins.json });
    if (e.unresolved) ins.unresolved = true;
    return e.value;
  });
}

function expandFlags(ins: Instruction, scope: VarScope, escapeChar: string): void {
  for (const f of ins.flags) {
    if (f.value !== undefined) f.expanded = expandWord(f.value, scope, escapeChar).value;
  }
}
