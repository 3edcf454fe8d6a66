// Mutation testing of the code that decides what is suppressed and what is admitted (`npm run mutation`,
// not part of `npm test`: it takes tens of minutes). Score recorded in docs/MUTATION.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'core/src/policy/**/*.ts',
    '!core/src/policy/index.ts',
    '!core/src/policy/lazy.ts',
    'webhook/src/decide.ts',
    'webhook/src/judge-image.ts',
  ],
  coverageAnalysis: 'perTest',
  // the machine is shared: one test process at a time
  concurrency: 1,
  timeoutMS: 60000,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  htmlReporter: { fileName: '.tmp/mutation/mutation.html' },
  jsonReporter: { fileName: '.tmp/mutation/mutation.json' },
  tempDirName: '.tmp/stryker',
  thresholds: { high: 90, low: 80, break: null },
  ignoreStatic: true,
  ignorePatterns: ['dist', 'bench', 'examples', 'github-action/dist', '.tmp', 'coverage'],
};
