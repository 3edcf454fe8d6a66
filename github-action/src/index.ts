// The Action's entry (bundled into github-action/dist/index.js; runs on GitHub's node24).
import * as core from '@actions/core';
import { isPortcullisError } from '../../core/src/index.js';
import { run } from './run.js';

// The bundle can carry no native addon: node:sqlite (Node >= 22.13) reads the vulnerability DB.
process.env.PORTCULLIS_SQLITE ??= 'node:sqlite';

run().catch((err: unknown) => {
  // one line, with the CLI's error code; the CLI exits 2 for errors, and so does the step
  const code = isPortcullisError(err) ? err.code : 'INTERNAL';
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s*[\r\n]+\s*/g, ' ');
  core.setFailed(`${code}: ${message}`);
  process.exitCode = 2;
});
