export { parseDockerfile } from './parse.js';
export { DOCKERFILE_LIMITS } from './lines.js';
export { expandWord, splitWords } from './words.js';
export type { Expansion, VarScope } from './words.js';
export { KNOWN_INSTRUCTIONS } from './instruction.js';
export type {
  DockerfileAst,
  Heredoc,
  Instruction,
  InstructionFlag,
  KeyValue,
  ParseDockerfileOptions,
  ParserDirective,
  Stage,
} from './types.js';
