/** A parser directive from the top of the file (`# syntax=…`, `# escape=…`, `# check=…`). */
export interface ParserDirective {
  name: string;
  value: string;
  line: number;
}

/** `--name=value` (or bare `--name`) written before an instruction's arguments. */
export interface InstructionFlag {
  name: string;
  /** Value as written (undefined for a bare flag); `expanded` has variables substituted where Docker does. */
  value?: string;
  expanded?: string;
}

/** A here-document attached to `RUN`, `COPY` or `ADD` (`<<EOF` … `EOF`). */
export interface Heredoc {
  /** Terminator word, quotes removed. */
  name: string;
  /** Body, lines joined with `\n` (ends with `\n` unless empty); leading tabs kept as written. */
  content: string;
  /** `<<-`: leading tabs are stripped from the body and terminator. */
  chomp: boolean;
  /** False when the terminator was quoted (`<<'EOF'`): the body is not variable-expanded. */
  expand: boolean;
  /** Line of the first body line and of the terminator (1-based). */
  startLine: number;
  endLine: number;
}

/** A `key=value` pair of `ENV`, `ARG` or `LABEL`, after quote removal and expansion. */
export interface KeyValue {
  key: string;
  /** Undefined for `ARG NAME` without a default. */
  value?: string;
  /** The value as written (quotes kept), for evidence and secret checks. */
  raw?: string;
}

/** One logical instruction: continuation lines joined, comments inside it dropped. */
export interface Instruction {
  /** Upper-case keyword: `FROM`, `RUN`, `COPY`, … */
  keyword: string;
  /** 1-based first and last physical line (the heredoc terminator line, when there is one). */
  startLine: number;
  endLine: number;
  /** The joined logical line as written (without heredoc bodies). */
  original: string;
  flags: InstructionFlag[];
  /**
   * Arguments: JSON (exec) form items; the command text for shell-form `RUN`/`CMD`/`ENTRYPOINT`/`HEALTHCHECK`
   * (a single item); whitespace-separated words for the rest.
   */
  args: string[];
  /** `args` with variables expanded, for the instructions Docker expands (FROM, COPY, ADD, ENV, EXPOSE, …). */
  expanded: string[];
  /** Exec (JSON array) form. */
  json: boolean;
  heredocs: Heredoc[];
  /** Pairs of `ENV`, `ARG` and `LABEL`. */
  pairs?: KeyValue[];
  /** The wrapped instruction of `ONBUILD`. */
  onbuild?: Instruction;
  /** Index into `DockerfileAst.stages`; -1 for global `ARG`s before the first `FROM`. */
  stageIndex: number;
  /** True when an expansion used a variable with no known value (build arg without default). */
  unresolved?: boolean;
}

/** One build stage (`FROM … [AS name]` up to the next `FROM`). */
export interface Stage {
  index: number;
  /** `AS` name, lower-cased as BuildKit does. */
  name?: string;
  /** Base image reference after expanding global `ARG`s. */
  baseImage: string;
  /** Base as written. */
  baseRaw: string;
  /** Index of the earlier stage this one builds on (`FROM builder`), when it does. */
  baseStage?: number;
  /** True when the base reference used a variable with no known value. */
  baseUnresolved: boolean;
  platform?: string;
  from: Instruction;
  instructions: Instruction[];
  /**
   * True for the stage of instructions written before any FROM (a fragment, as linters' own cases are
   * written): Docker refuses to build it, so the rules lint its instructions as if `FROM scratch` stood above
   * them and report the missing FROM itself (`PCS-BUILD-INSTRUCTION-BEFORE-FROM`, hadolint's DL3061).
   */
  implicit?: boolean;
}

/** Parsed Dockerfile with exact 1-based line numbers. */
export interface DockerfileAst {
  directives: ParserDirective[];
  /** The escape character in force (`\` or `` ` ``). */
  escapeChar: string;
  /** Every instruction in file order (global `ARG`s included). */
  instructions: Instruction[];
  /** `ARG`s before the first `FROM`: visible to `FROM` lines only (unless re-declared in a stage). */
  globalArgs: Instruction[];
  stages: Stage[];
}

/** Options for `parseDockerfile`. */
export interface ParseDockerfileOptions {
  /** `--build-arg` values: override `ARG` defaults. */
  buildArgs?: Readonly<Record<string, string>>;
}
