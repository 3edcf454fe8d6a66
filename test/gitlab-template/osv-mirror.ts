/**
 * A loopback osv.dev bucket for `portcullis db update --mirror`: `<dir>/all.zip` and `<dir>/modified_id.csv`
 * (newest first) and `<dir>/<ID>.json`, built from the committed records in test/fixtures/osv/records
 * (PyPI, crates.io, Go); every other ecosystem directory is served empty, as osv.dev serves a quiet one.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FIXTURES } from '../helpers/env.js';
import { makeZip } from '../vulndb/make-zip.js';

interface OsvRecord {
  id: string;
  modified: string;
}

const DIR_OF: [RegExp, string][] = [
  [/^PYSEC-/, 'PyPI'],
  [/^RUSTSEC-/, 'crates.io'],
  [/^GO-/, 'Go'],
];

function readRecords(): Map<string, { record: OsvRecord; text: string }[]> {
  const byDir = new Map<string, { record: OsvRecord; text: string }[]>();
  const dir = join(FIXTURES, 'osv', 'records');
  for (const f of readdirSync(dir)) {
    const text = readFileSync(join(dir, f), 'utf8');
    const record = JSON.parse(text) as OsvRecord;
    const d = DIR_OF.find(([re]) => re.test(record.id))?.[1];
    if (d === undefined) continue;
    byDir.set(d, [...(byDir.get(d) ?? []), { record, text }]);
  }
  return byDir;
}

export async function startOsvMirror(): Promise<{
  url: string;
  requests: string[];
  close: () => Promise<void>;
}> {
  const byDir = readRecords();
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    const m = /^\/([^/]+)\/([^/]+)$/.exec(path);
    if (!m) return void res.writeHead(404).end('not found');
    const records = byDir.get(decodeURIComponent(m[1] ?? '')) ?? [];
    const file = decodeURIComponent(m[2] ?? '');
    if (file === 'all.zip')
      return void res
        .writeHead(200)
        .end(makeZip(records.map((r) => ({ name: `${r.record.id}.json`, data: r.text }))));
    if (file === 'modified_id.csv') {
      const lines = [...records]
        .sort((a, b) => Date.parse(b.record.modified) - Date.parse(a.record.modified))
        .map((r) => `${new Date(Date.parse(r.record.modified)).toISOString()},${r.record.id}`);
      return void res.writeHead(200).end(lines.map((l) => `${l}\n`).join(''));
    }
    const one = records.find((r) => `${r.record.id}.json` === file);
    if (one) return void res.writeHead(200).end(one.text);
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
