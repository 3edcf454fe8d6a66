export {
  createSecretAnalyzer,
  secretAnalyzer,
  analyzeSecretFile,
  isSecretCandidate,
  isBinary,
  isDerSequence,
  SECRET_MAX_TEXT_SIZE,
  BINARY_SNIFF_BYTES,
  type SecretAnalyzerSettings,
} from './secret-analyzer.js';
export {
  readSecretRules,
  isSecretRuleEnabled,
  toSecretItemNames,
  parseSecretRules,
  DEFAULT_SECRET_RULES_DIR,
  SECRET_CATEGORIES,
  type SecretCategory,
  type SecretRule,
  type ContentRule,
  type PathRule,
  type PairSpec,
  type SecretRuleSet,
} from './rules.js';
export { analyzeImageConfig } from './image-config.js';
export { scanText, MAX_MATCHES_PER_RULE, type SecretMatch } from './scan-text.js';
export { checkPatternSafety, MAX_PATTERN_REPEAT } from './pattern-safety.js';
export { isPlaceholder, shannonEntropy, VALIDATOR_NAMES, type ValidatorName } from './validators.js';
