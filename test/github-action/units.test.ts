import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeDockerfile } from '../../core/src/index.js';
import { isPortcullisError } from '../../core/src/errors.js';
import {
  readBaselineFingerprints,
  splitByBaseline,
  toFingerprints,
} from '../../github-action/src/baseline.js';
import { upsertComment, type CommentApi } from '../../github-action/src/comment.js';
import { readInputs } from '../../github-action/src/inputs.js';

const work = mkdtempSync(join(tmpdir(), 'portcullis-action-units-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const RISKY = 'FROM debian:12\nRUN curl -s https://example.com/i.sh | sh\nUSER app\n';

describe('baseline fingerprints', () => {
  it('do not depend on line numbers, and count identical findings separately', () => {
    const before = analyzeDockerfile(RISKY, 'Dockerfile');
    const moved = analyzeDockerfile(`# a comment\n\n${RISKY}`, 'Dockerfile');
    expect(moved.map((f) => f.location.line)).not.toEqual(before.map((f) => f.location.line));
    expect(toFingerprints(moved).sort()).toEqual(toFingerprints(before).sort());
    const baseline = new Set(toFingerprints(before));
    expect(splitByBaseline(moved, baseline).fresh).toEqual([]);

    // a second copy of the same line is a new finding; a changed line is too
    const doubled = analyzeDockerfile(`${RISKY}RUN curl -s https://example.com/i.sh | sh\n`, 'Dockerfile');
    expect(splitByBaseline(doubled, baseline).fresh.map((f) => [f.id, f.location.line])).toEqual([
      ['PCS-BUILD-PIPE-TO-SHELL', 4],
    ]);
    const changed = analyzeDockerfile(RISKY.replace('i.sh', 'j.sh'), 'Dockerfile');
    expect(splitByBaseline(changed, baseline).fresh.map((f) => f.id)).toEqual(['PCS-BUILD-PIPE-TO-SHELL']);
    // another file is another finding
    const other = analyzeDockerfile(RISKY, 'build/Dockerfile');
    expect(splitByBaseline(other, baseline).fresh.length).toBe(other.length);
  });

  it('reads a JSON report, and rejects what is not one with USAGE_INVALID', () => {
    const findings = analyzeDockerfile(RISKY, 'Dockerfile');
    const report = join(work, 'report.json');
    // the JSON report's finding shape (core/src/report/json.ts): location without `source`
    writeFileSync(
      report,
      JSON.stringify({
        findings: findings.map((f) => ({
          type: f.type,
          id: f.id,
          severity: f.severity,
          location: { path: f.location.path, line: f.location.line },
          evidence: f.evidence,
        })),
      }),
    );
    expect(readBaselineFingerprints(report)).toEqual(new Set(toFingerprints(findings)));
    for (const text of ['not json', '{"findings": [{"id": 1}]}', '[]']) {
      writeFileSync(report, text);
      try {
        readBaselineFingerprints(report);
        expect.unreachable();
      } catch (err) {
        expect(isPortcullisError(err) && err.code).toBe('USAGE_INVALID');
      }
    }
  });
});

function fakeApi(
  existing: { id: number; body: string }[],
  fail?: { status: number },
): CommentApi & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    listComments(page) {
      log.push(`list ${page}`);
      return Promise.resolve(existing.slice((page - 1) * 100, page * 100));
    },
    createComment(body) {
      log.push('create');
      if (fail)
        return Promise.reject(Object.assign(new Error('Resource not accessible by integration'), fail));
      existing.push({ id: 9999, body });
      return Promise.resolve({ id: 9999 });
    },
    updateComment(id, body) {
      log.push(`update ${id}`);
      const c = existing.find((x) => x.id === id);
      if (c) c.body = body;
      return Promise.resolve();
    },
  };
}

describe('sticky comment', () => {
  const MARKER = '<!-- portcullis-action:0123456789abcdef -->';

  it('finds its comment on a later page and edits it', async () => {
    const comments = Array.from({ length: 230 }, (_, i) => ({ id: i + 1, body: `comment ${i}` }));
    (comments[150] as { body: string }).body = `${MARKER}\nold`;
    const api = fakeApi(comments);
    expect(await upsertComment(api, MARKER, `${MARKER}\nnew`)).toEqual({ action: 'updated', id: 151 });
    expect(api.log).toEqual(['list 1', 'list 2', 'update 151']);
    expect(comments[150]?.body).toBe(`${MARKER}\nnew`);
  });

  it('creates one when none carries the marker (another marker does not count)', async () => {
    const comments = [{ id: 1, body: '<!-- portcullis-action:ffffffffffffffff -->' }];
    const api = fakeApi(comments);
    expect(await upsertComment(api, MARKER, `${MARKER}\nx`)).toEqual({ action: 'created', id: 9999 });
    expect(api.log).toEqual(['list 1', 'create']);
  });

  it('turns 403 into "forbidden" and other failures into "failed", never throwing', async () => {
    expect((await upsertComment(fakeApi([], { status: 403 }), MARKER, 'x')).action).toBe('forbidden');
    expect((await upsertComment(fakeApi([], { status: 502 }), MARKER, 'x')).action).toBe('failed');
  });
});

describe('inputs', () => {
  const read = (values: Record<string, string>, event = 'pull_request'): ReturnType<typeof readInputs> =>
    readInputs({ getInput: (n) => values[n] ?? '' }, { GITHUB_WORKSPACE: work }, event);
  const codeOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (err) {
      return isPortcullisError(err) ? `${err.code}: ${err.message}` : String(err);
    }
    return undefined;
  };

  it('fills the defaults the contract names, relative to the workspace', () => {
    const i = read({ image: 'registry:example.com/app:1' });
    expect(i.sarif).toBe(join(work, 'portcullis.sarif'));
    expect(i.report).toBe(join(work, 'portcullis-report.json'));
    expect(i.comment).toBe(true);
    expect(i.fail).toBe(true);
    expect(read({ image: 'x' }, 'push').comment).toBe(false);
    expect(read({ image: 'x', comment: 'true' }, 'push').comment).toBe(true);
    expect(i.policy).toBeUndefined();
    writeFileSync(join(work, 'portcullis.yaml'), 'apiVersion: portcullis/v1\n');
    expect(read({ image: 'x' }).policy).toBe(join(work, 'portcullis.yaml'));
    rmSync(join(work, 'portcullis.yaml'));
    expect(read({ image: 'x', scanners: 'secret, vuln' }).scanners).toEqual(['secret', 'vuln']);
  });

  it('rejects bad input with USAGE_INVALID and says what is wrong', () => {
    expect(codeOf(() => read({}))).toMatch(/^USAGE_INVALID: give `image`, `dockerfile` or both/);
    expect(codeOf(() => read({ image: 'x', scanners: 'vuln,virus' }))).toMatch(
      /^USAGE_INVALID: .*unknown virus/,
    );
    expect(codeOf(() => read({ image: 'x', severity: 'severe' }))).toMatch(/^USAGE_INVALID: input severity/);
    expect(codeOf(() => read({ image: 'x', fail: 'maybe' }))).toMatch(/^USAGE_INVALID: input fail/);
    expect(codeOf(() => read({ image: 'x', 'push-url': 'https://w' }))).toMatch(/needs push-audience/);
    expect(codeOf(() => read({ image: 'x', 'registry-username': 'u' }))).toMatch(/both registry-username/);
    expect(codeOf(() => read({ dockerfile: 'Missing.Dockerfile' }))).toMatch(/not found in the workspace/);
  });
});
