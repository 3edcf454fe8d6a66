import { defineConfig } from 'vitest/config';

/**
 * The suites Stryker runs against each mutant of the policy and admission-decision code (`npm run mutation`):
 * only the tests that exercise that code, so a mutant costs seconds, not the whole suite.
 * `MUTATION_SCOPE=policy` (`npm run mutation:policy`) runs the policy suites alone.
 */
const policyOnly = process.env.MUTATION_SCOPE === 'policy';
// `MUTATION_SCOPE=secret` (`npm run mutation:secret`): the keyword windows' proof and the decode skip
const secretOnly = process.env.MUTATION_SCOPE === 'secret';
// `MUTATION_SCOPE=pool` (`npm run mutation:pool`): the chunk pool's release rules, the keyword automaton and
// the gzip member reader
const poolOnly = process.env.MUTATION_SCOPE === 'pool';

export default defineConfig({
  test: {
    include: secretOnly
      ? ['test/analyzers/secret/keyword-window.test.ts', 'test/analyzers/literal-scanner.test.ts']
      : poolOnly
        ? [
            'test/layers/chunk-pool.test.ts',
            'test/analyzers/literal-scanner.test.ts',
            'test/layers/gzip-members.test.ts',
          ]
        : [
            'test/policy/**/*.test.ts',
            ...(policyOnly
              ? []
              : [
                  'test/webhook/decisions.test.ts',
                  'test/webhook/scope-negative.test.ts',
                  'test/webhook/protocol.test.ts',
                ]),
          ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
