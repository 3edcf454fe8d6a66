import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Repository root. */
export const ROOT = resolve(here, '..', '..');

/** Committed small fixtures. */
export const FIXTURES = join(ROOT, 'test', 'fixtures');

/** `../shared/data` beside the checkout, when present (CI always has it; a fresh clone may not). */
export const SHARED_DATA: string | undefined = (() => {
  const p = process.env.PORTCULLIS_SHARED_DATA ?? resolve(ROOT, '..', 'shared', 'data');
  return existsSync(p) ? p : undefined;
})();

/** Where `scripts/test-images.sh build` writes the real Debian test images. */
export const TEST_IMAGES: string =
  process.env.PORTCULLIS_TEST_IMAGES ?? process.env.WORK ?? '/tmp/portcullis-images';

export const haveTestImages: boolean = existsSync(join(TEST_IMAGES, 'oci', '.done'));

/** Loopback registry started by `scripts/test-images.sh registry-start`. */
export const TEST_REGISTRY = `127.0.0.1:${process.env.REG_PORT ?? '5000'}`;

/**
 * Prints why a suite is skipped, so a skip is never silent. Use as
 * `describe.skipIf(!haveTestImages && skipReason('…'))`.
 */
export function skipReason(reason: string, env: NodeJS.ProcessEnv = process.env): true {
  // CI has ../shared, the test images, the registry and redis (`.ci/run` provides them): a skip there means a
  // suite silently stopped testing, so it fails the run instead of being counted
  if (isCi(env) && env.PORTCULLIS_ALLOW_SKIPS !== '1')
    throw new Error(
      `a suite would be SKIPPED under CI=${env.CI}: ${reason} (CI must provide it; PORTCULLIS_ALLOW_SKIPS=1 overrides)`,
    );
  console.warn(`SKIPPED: ${reason}`);
  return true;
}

/** CI=true (GitHub Actions, GitLab CI) or CI=1. */
function isCi(env: NodeJS.ProcessEnv): boolean {
  return env.CI === 'true' || env.CI === '1';
}

export const NO_IMAGES_REASON = `test images not built in ${TEST_IMAGES}: run \`bash scripts/test-images.sh build\` (CI does)`;
export const NO_SHARED_REASON =
  'the large OSV sets live in ../shared/data, which is not beside this checkout';
