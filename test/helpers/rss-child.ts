/**
 * Runs `portcullis ARGS…` (the public `runCli`) in this process and prints one JSON line to stdout:
 * `{ code, stderr, maxRssBytes }`. Tests start it as a child with a small heap to prove that hostile input
 * ends with its limit error in bounded memory: `maxRssBytes` is the peak resident set of the whole process
 * (`process.resourceUsage().maxRSS`), buffers outside the V8 heap included.
 */
import { Writable } from 'node:stream';
import { runCli } from '../../core/src/cli/program.js';

function sink(): { stream: Writable & { isTTY: boolean }; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        // keep only the start: a report is not what these runs are about
        if (chunks.length < 64) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
        cb();
      },
    }),
    { isTTY: false },
  );
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

const args = JSON.parse(process.argv[2] ?? '[]') as string[];
const out = sink();
const err = sink();
const code = await runCli(args, {
  stdout: out.stream,
  stderr: err.stream,
  env: { HOME: process.env.HOME ?? '/nonexistent', TMPDIR: process.env.TMPDIR ?? '/tmp' },
  now: () => new Date(),
});
process.stdout.write(
  `${JSON.stringify({ code, stderr: err.text(), maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`,
);
