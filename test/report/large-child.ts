/**
 * Run as a child (`node --import tsx large-child.ts FORMAT OUT`): renders 200,000 synthetic findings in one format
 * the way the CLI writes it (piece by piece, to a file) and prints what it wrote and the peak heap it saw. A child,
 * so a 256 MB heap limit can be set, and a long synchronous render does not stall the test runner.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { DEFAULT_POLICY, evaluatePolicy } from '../../core/src/policy/index.js';
import { renderReportChunks, type ReportFormat } from '../../core/src/report/index.js';
import { largeScan } from './large-helpers.js';

const format = process.argv[2] as ReportFormat;
const out = process.argv[3] as string;
const scan = largeScan();
const now = new Date('2026-11-27T12:00:00Z');
const evaluation = evaluatePolicy(scan, DEFAULT_POLICY, { now });
let peakHeap = 0;
let chunks = 0;
let bytes = 0;
const fd = openSync(out, 'w');
for (const chunk of renderReportChunks(format, scan, evaluation, {
  now,
  newId: () => 'id',
  toolVersion: '0',
})) {
  bytes += writeSync(fd, chunk);
  if (++chunks % 1000 === 1) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
}
closeSync(fd);
process.stdout.write(JSON.stringify({ peakHeap, chunks, bytes }));
