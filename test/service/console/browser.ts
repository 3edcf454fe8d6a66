import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from '../../helpers/env.js';

/** Debian's `chromium` package (`.ci/run` installs it); no browser is downloaded. */
export const CHROMIUM = process.env.PORTCULLIS_CHROMIUM ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
export const NO_CHROMIUM_REASON = `no Chromium at ${CHROMIUM}: apt-get install chromium (CI does)`;

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: the tests run as root in CI containers, where Chromium's sandbox cannot start
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's violations of impact serious or critical on the page (WCAG 2.x A/AA rules and best practices). */
export async function readAxeViolations(
  page: Page,
): Promise<{ id: string; impact: string; nodes: string[] }[]> {
  // evaluated through the DevTools protocol, not a <script>: the page's CSP forbids inline scripts, rightly
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (o: object) => Promise<unknown> } }).axe;
    return (await axe.run({ resultTypes: ['violations'] })) as {
      violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
    };
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

/** Screenshots for docs/console/, written only with PORTCULLIS_SCREENSHOTS=1 (normal runs leave the tree clean). */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  if (process.env.PORTCULLIS_SCREENSHOTS !== '1') return;
  const dir = join(ROOT, 'docs', 'console');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: false });
}
