import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveTestImages, NO_IMAGES_REASON, skipReason, TEST_REGISTRY } from '../../helpers/env.js';
import { ADMIN_TOKEN, createDb, READ_TOKEN, TOKENS_YAML } from '../helpers.js';
import { callApi, startServe, waitFor, type ServeProcess } from '../processes.js';
import {
  haveChromium,
  launchChromium,
  NO_CHROMIUM_REASON,
  readAxeViolations,
  saveScreenshot,
} from './browser.js';

// the AWS documentation example key baked into fixtures/debian:multi: no page may ever contain it whole
const AWS_EXAMPLE_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const DAY = 86_400_000;
const toDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
/** An element's text with whitespace runs folded (templates indent their markup). */
const textOf = async (l: Locator): Promise<string> =>
  ((await l.textContent()) ?? '').replace(/\s+/g, ' ').trim();

/** One expired, one expiring soon (within the default 14d warning), one whose scope matches no image. */
const POLICY_YAML = `apiVersion: portcullis/v1
registries:
  - { name: loopback, kind: distribution, url: "http://${TEST_REGISTRY}" }
  - { name: slow, kind: distribution, url: "http://${TEST_REGISTRY}", throttle: { imagesPerHour: 1 } }
exceptions:
  - id: "*"
    type: baseline
    reason: root user accepted during the migration
    owner: platform-team
    ticket: SEC-101
    expires: "${toDay(Date.now() - 10 * DAY)}"
  - id: PCS-TEST-2026-0001
    reason: apt upgrade scheduled with the next base image
    owner: base-images
    ticket: SEC-202
    expires: "${toDay(Date.now() + 5 * DAY)}"
  - id: "*"
    type: sensitive-file
    repositories: ["elsewhere/not-these"]
    reason: test keys in another repository only
    owner: app-team
`;

const chromiumReady = haveChromium || skipReason(NO_CHROMIUM_REASON);
const imagesReady = haveTestImages || skipReason(NO_IMAGES_REASON);

describe.skipIf(chromiumReady !== true || imagesReady !== true)('operator console in Chromium', () => {
  let dir: string;
  let db: ReturnType<typeof createDb>;
  let serve: ServeProcess;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let origin: string;
  const requests: string[] = [];
  const cspErrors: string[] = [];

  const watch = (ctx: BrowserContext): void => {
    ctx.on('request', (r) => requests.push(r.url()));
    ctx.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) cspErrors.push(m.text());
    });
  };
  const signIn = async (ctx: BrowserContext, token: string): Promise<Page> => {
    const p = await ctx.newPage();
    await p.goto(`${origin}/`);
    await p.waitForURL(`${origin}/sign-in`);
    await p.getByLabel('API token').fill(token);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL(`${origin}/overview`);
    return p;
  };
  const expectAccessible = async (p: Page): Promise<void> => {
    expect(await readAxeViolations(p), `axe on ${p.url()}`).toEqual([]);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-console-'));
    db = createDb('v1');
    writeFileSync(join(dir, 'policy.yaml'), POLICY_YAML);
    writeFileSync(join(dir, 'tokens.yaml'), TOKENS_YAML);
    serve = await startServe(
      [
        ...['--policy', join(dir, 'policy.yaml'), '--tokens', join(dir, 'tokens.yaml')],
        ...['--db', db.dbPath, '--store', `sqlite:${join(dir, 'store.sqlite')}`],
      ],
      { HOME: dir },
    );
    origin = `https://127.0.0.1:${serve.port}`;
    // a real registry task over the loopback registry fills the store the pages read
    const started = await callApi(serve.port, ADMIN_TOKEN, 'POST', '/api/v1/tasks', {
      registries: ['loopback'],
      scanners: ['vuln', 'secret', 'baseline'],
    });
    expect(started.status).toBe(202);
    await waitFor('the filling task', async () => {
      const t = await callApi(serve.port, ADMIN_TOKEN, 'GET', `/api/v1/tasks/${started.body.id}`);
      return ['succeeded', 'partial', 'failed'].includes(t.body.status) ? t.body : undefined;
    });
    browser = await launchChromium();
    admin = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1366, height: 800 } });
    watch(admin);
    page = await signIn(admin, ADMIN_TOKEN);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    db?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('signs in with a token: the session cookie is HttpOnly, Secure, SameSite=Strict and is not the token', async () => {
    const cookies = await admin.cookies();
    expect(cookies).toHaveLength(1);
    const [c] = cookies;
    expect(c).toMatchObject({ name: 'portcullis_session', httpOnly: true, secure: true, sameSite: 'Strict' });
    expect(c?.value).not.toContain(ADMIN_TOKEN);
    expect(await page.content()).not.toContain(ADMIN_TOKEN);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Overview');
    // 4 images, the two multi images denied (their secrets), and the expiring exception's suppression counted
    const images = page.locator('section[aria-labelledby="ov-images"]');
    expect(await images.locator('.big').textContent()).toBe('4');
    const denied = page.locator('section[aria-labelledby="ov-denied"] tbody tr');
    expect(await denied.count()).toBe(2);
    // the multi images are the ones with secrets (sensitive-file findings), as the API says
    const multi = await callApi(serve.port, READ_TOKEN, 'GET', '/api/v1/images?riskType=sensitive-file');
    const multiDigests = (multi.body.items as { digest: string }[]).map((i) => i.digest).sort();
    expect(multiDigests).toHaveLength(2);
    const hrefs = await denied.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(hrefs.sort()).toEqual(multiDigests.map((d) => `/images/${d}`));
    expect(await page.locator('section[aria-labelledby="ov-db"]').textContent()).toMatch(/old/);
    await expectAccessible(page);
    await saveScreenshot(page, 'overview');
  });

  it('lists the images (filter, sort, paging) and shows the multi image denied with its findings by type', async () => {
    await page.getByRole('link', { name: 'Images', exact: true }).click();
    await page.waitForURL(`${origin}/images`);
    expect(await textOf(page.getByRole('status'))).toBe('Images 1–4 of 4');
    await page.getByLabel('Verdict').selectOption('deny');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/verdict=deny/);
    expect(await textOf(page.getByRole('status'))).toBe('Images 1–2 of 2');
    const rows = page.locator('tbody tr');
    expect(await rows.allTextContents()).toEqual([
      // the store keeps digests; the tag comes from the task log that scanned it
      expect.stringMatching(/as 127\.0\.0\.1:5000\/fixtures\/debian(-v2s2)?:multi[\s\S]*deny/),
      expect.stringMatching(/as 127\.0\.0\.1:5000\/fixtures\/debian(-v2s2)?:multi[\s\S]*deny/),
    ]);
    await page.getByRole('link', { name: 'Image', exact: true }).click();
    await page.waitForURL(/sort=reference/);
    const refs = await page.locator('tbody tr td:first-child').allTextContents();
    expect(refs).toEqual([...refs].sort());
    await expectAccessible(page);
    await saveScreenshot(page, 'images');

    await page.locator('tbody tr td:first-child a').first().click();
    await page.waitForURL(/\/images\/sha256:/);
    expect(await page.locator('dl').textContent()).toMatch(/deny/);
    const headings = await page.locator('section[aria-labelledby="findings"] h3').allTextContents();
    expect(headings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^System vulnerability \(\d+\)$/),
        expect.stringMatching(/^Sensitive file \(\d+\)$/),
        expect.stringMatching(/^Baseline \(\d+\)$/),
      ]),
    );
    // the apt advisory is suppressed by the expiring exception, which the table names
    const vulnTable = page.locator('table[aria-labelledby="type-system-vulnerability"]');
    expect(await vulnTable.textContent()).toContain('exception #1');
    expect(await vulnTable.textContent()).toContain('2.6.2');
    // open a secret finding's evidence: shown, redacted
    const secrets = page.locator('table[aria-labelledby="type-sensitive-file"]');
    const evidence = secrets.locator('details').first();
    await evidence.locator('summary').click();
    await expect.poll(() => evidence.getAttribute('open')).not.toBeNull();
    const shown = await evidence.locator('pre').innerText();
    expect(shown.length).toBeGreaterThan(0);
    expect(shown).not.toContain(AWS_EXAMPLE_SECRET);
    expect(await page.content()).not.toContain(AWS_EXAMPLE_SECRET);
    expect(await secrets.textContent()).toMatch(/layer sha256:/);
    await expectAccessible(page);
    await saveScreenshot(page, 'image-detail');
  });

  it('starts a Scan Now and the task log fills in live, without a reload; then cancels it', async () => {
    await page.getByRole('link', { name: 'Scan Now' }).click();
    await page.waitForURL(`${origin}/scan`);
    await expectAccessible(page);
    await saveScreenshot(page, 'scan-now');
    // "slow" lets one image an hour through: the task stays running after its first image
    await page.getByLabel('slow').check();
    for (const s of ['vuln', 'secret', 'baseline']) await page.getByLabel(s, { exact: true }).check();
    await page.getByRole('button', { name: 'Scan now' }).click();
    await page.waitForURL(/\/tasks\/[^/]+$/);
    const taskUrl = page.url();
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });
    expect(await page.locator('main').getAttribute('data-live')).toBe('running');
    await expect
      .poll(() => page.locator('#task-log tbody tr').count(), { timeout: 120_000 })
      .toBeGreaterThan(0);
    expect(navigations).toBe(0);
    expect(await page.locator('#task-log tbody tr').first().textContent()).toMatch(/scanned/);
    await expectAccessible(page);
    await saveScreenshot(page, 'task-detail');
    await page.getByRole('button', { name: 'Cancel task' }).click();
    await page.waitForURL(taskUrl);
    await expect
      .poll(() => page.locator('#task-status').textContent(), { timeout: 60_000 })
      .toBe('cancelled');
    await page.getByRole('link', { name: 'Tasks', exact: true }).click();
    expect(await page.locator('tbody tr').count()).toBe(2);
    await expectAccessible(page);
    await saveScreenshot(page, 'tasks');
  }, 200_000);

  it('finds the images that have an advisory through Affected (by its CVE alias)', async () => {
    await page.getByRole('link', { name: 'Affected' }).click();
    await page.getByLabel('Advisory or CVE id').fill('cve-2026-90001');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/affected\?id=/);
    expect(await textOf(page.getByRole('status'))).toBe('4 images in 2 repositories have cve-2026-90001.');
    const text = await page.locator('table').textContent();
    expect(text).toContain('127.0.0.1:5000/fixtures/debian@sha256:');
    expect(text).toContain('127.0.0.1:5000/fixtures/debian-v2s2@sha256:');
    expect(text).toContain('2.6.2');
    await expectAccessible(page);
    await saveScreenshot(page, 'affected');
  });

  it('shows each exception with its expiry (expired and expiring soon highlighted) and what it suppresses now', async () => {
    await page.getByRole('link', { name: 'Exceptions' }).click();
    const expired = page.locator('#exception-0');
    const expiring = page.locator('#exception-1');
    const scoped = page.locator('#exception-2');
    expect(await expired.getAttribute('class')).toBe('expired');
    expect(await expired.textContent()).toMatch(/expired.*ago/);
    expect(await expired.textContent()).toContain('0 findings in 0 images');
    expect(await expiring.getAttribute('class')).toBe('expiring');
    expect(await expiring.textContent()).toMatch(/expires soon, in 4d/);
    expect(await expiring.textContent()).toContain('SEC-202');
    expect(await expiring.textContent()).toContain('findings in 4 images');
    // scoped to another repository: suppresses nothing here (multi's secrets stay, multi stays denied)
    expect(await scoped.getAttribute('class')).toBe('permanent');
    expect(await scoped.textContent()).toContain('0 findings in 0 images');
    await expiring.locator('summary').click();
    expect(await expiring.locator('pre').innerText()).toContain('id: PCS-TEST-2026-0001');
    await expectAccessible(page);
    await saveScreenshot(page, 'exceptions');

    await page.getByRole('link', { name: 'Settings' }).click();
    expect(await page.locator('table').first().textContent()).toMatch(/slow[\s\S]*1 images\/hour/);
    await expectAccessible(page);
    await saveScreenshot(page, 'settings');
  });

  it('gives a read token no Scan Now and no cancel, and refuses a forged POST with 403', async () => {
    const reader = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 1366, height: 800 },
    });
    watch(reader);
    const p = await signIn(reader, READ_TOKEN);
    expect(await p.getByRole('link', { name: 'Scan Now' }).count()).toBe(0);
    await p.getByRole('link', { name: 'Tasks', exact: true }).click();
    expect(await p.getByText('Start a scan now').count()).toBe(0);
    const before = (await callApi(serve.port, ADMIN_TOKEN, 'GET', '/api/v1/tasks')).body.items.length;
    // the read session's own, valid CSRF token: still refused, because of the role
    const csrf = await p.locator('input[name="_csrf"]').first().getAttribute('value');
    const forged = await reader.request.post(`${origin}/scan`, {
      form: { _csrf: csrf ?? '', registries: 'loopback' },
    });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('has role read');
    const direct = await p.goto(`${origin}/scan`);
    expect(direct?.status()).toBe(403);
    const cancel = await reader.request.post(`${origin}/tasks/anything/cancel`, {
      form: { _csrf: csrf ?? '' },
    });
    expect(cancel.status()).toBe(403);
    // an admin session without its CSRF token is refused too
    const noCsrf = await admin.request.post(`${origin}/scan`, { form: { registries: 'loopback' } });
    expect(noCsrf.status()).toBe(403);
    expect((await callApi(serve.port, ADMIN_TOKEN, 'GET', '/api/v1/tasks')).body.items.length).toBe(before);
    // sign-out ends the session server-side: the old cookie no longer opens a page
    const cookie = (await reader.cookies())[0]?.value;
    await p.getByRole('button', { name: 'Sign out' }).click();
    await p.waitForURL(`${origin}/sign-in`);
    await expectAccessible(p);
    await saveScreenshot(p, 'sign-in');
    const replay = await admin.request.get(`${origin}/overview`, {
      headers: { cookie: `portcullis_session=${cookie}` },
      maxRedirects: 0,
    });
    expect(replay.status()).toBe(303);
    expect(replay.headers().location).toBe('/sign-in');
    await reader.close();
  });

  it('has an accessibility check that can fail: a page with an unlabelled input is reported', async () => {
    const p = await admin.newPage();
    await p.setContent(
      '<!doctype html><html lang="en"><title>t</title><main><input type="text"></main></html>',
    );
    expect((await readAxeViolations(p)).map((v) => v.id)).toContain('label');
    await p.close();
  });

  it('made no request outside the origin and broke no CSP rule on any page', () => {
    expect(requests.length).toBeGreaterThan(20);
    expect(requests.filter((u) => new URL(u).origin !== origin)).toEqual([]);
    expect(cspErrors).toEqual([]);
  });
});
