#!/usr/bin/env node
/**
 * Builds the large test image (issue 17) from files already on the machine, as a docker-save archive with
 * gzip-compressed layers, laid out as `docker save` writes it since Docker 25 with the containerd image
 * store (blobs under `blobs/sha256/<hex>`, each once, named by `manifest.json` and by an OCI `index.json`,
 * so the file opens as `docker-archive:` and as `oci-archive:`):
 *
 *   1. the Debian rootfs made by `bash scripts/test-images.sh build` (real dpkg database)
 *   2. copies of this repository's node_modules (/app/copyN/node_modules: thousands of package.json files)
 *   3. deterministic random binaries (/opt/blobs: incompressible, half of them executable)
 *   4. copies of the rootfs's /usr written again over the first one (every /usr file of the layers below
 *      becomes "overwritten": the history path at scale)
 *   5. the `multi` image's second layer (secrets, a miner config, a setuid shell, sshd and shadow risks)
 *   6. a layer that deletes one of those secrets (a whiteout: a hidden finding)
 *
 * usage: node scripts/make-large-image.mjs OUT.tar [--size large|medium] [--node-modules N]
 *        [--binary-mb N] [--usr-copies N] [--level 1-9]
 *
 * `large` (the bench image, ~1.7 GB expanded, ~0.8 GB compressed) takes minutes; `medium` (one node_modules
 * copy, 24 MB of binaries, one /usr copy, gzip level 1) is what the memory test scans and builds in well
 * under a minute. The output is the same bytes for the same inputs and options (fixed mtimes, owners, order
 * and random seed).
 */
import { spawn } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import tarStream from 'tar-stream';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const IMAGES = process.env.PORTCULLIS_TEST_IMAGES ?? '/tmp/portcullis-images';
const PRESETS = {
  large: { nodeModules: 4, binaryMb: 384, usrCopies: 3, level: 6 },
  medium: { nodeModules: 1, binaryMb: 24, usrCopies: 1, level: 1 },
};
const MTIME = new Date('2024-01-01T00:00:00Z');

function parseArgs(argv) {
  const out = argv[0];
  if (!out || out.startsWith('--')) usage('the output path is missing');
  const rest = argv.slice(1);
  const flags = {};
  for (let i = 0; i < rest.length; i += 2) {
    const key = rest[i];
    const value = rest[i + 1];
    if (!key?.startsWith('--') || value === undefined) usage(`bad argument ${key}`);
    flags[key.slice(2)] = value;
  }
  const size = flags.size ?? 'large';
  const preset = PRESETS[size];
  if (!preset) usage(`--size must be large or medium, not ${size}`);
  const num = (name, fallback, max) => {
    if (flags[name] === undefined) return fallback;
    const n = Number(flags[name]);
    if (!Number.isInteger(n) || n < 0 || n > max) usage(`--${name} must be an integer 0..${max}`);
    return n;
  };
  return {
    out: resolve(out),
    size,
    nodeModules: num('node-modules', preset.nodeModules, 16),
    binaryMb: num('binary-mb', preset.binaryMb, 8192),
    usrCopies: num('usr-copies', preset.usrCopies, 16),
    level: Math.max(1, num('level', preset.level, 9)),
  };
}

function usage(problem) {
  console.error(`make-large-image: ${problem}`);
  console.error(
    'usage: node scripts/make-large-image.mjs OUT.tar [--size large|medium] [--node-modules N] [--binary-mb N] [--usr-copies N] [--level 1-9]',
  );
  process.exit(2);
}

/** sha256 of the bytes passing through. */
function hashing() {
  const hash = createHash('sha256');
  let bytes = 0;
  const t = new Transform({
    transform(chunk, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  return { stream: t, digest: () => `sha256:${hash.digest('hex')}`, bytes: () => bytes };
}

/** `tar` of a directory (or parts of it) with fixed owners, order and mtimes, on stdout. */
function tarOf(cwd, paths, transform) {
  const args = ['-C', cwd, '--numeric-owner', '--owner=0', '--group=0', '--sort=name', '--mtime=@1704067200'];
  if (transform) args.push(`--transform=${transform}`);
  args.push('--exclude=./.done', '-cf', '-', ...paths);
  const child = spawn('tar', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const done = new Promise((res, rej) =>
    child.on('close', (code) =>
      code === 0 ? res() : rej(new Error(`tar ${args.join(' ')} exited ${code}`)),
    ),
  );
  return { stream: child.stdout, done };
}

/** Deterministic pseudo-random bytes (AES-256-CTR over zeros, a fixed key per file). */
function randomBytesFor(seed, size) {
  const key = createHash('sha256').update(`portcullis-large-${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(64 * 1024);
  const out = new PassThrough();
  let left = size;
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, zeros.length);
      left -= n;
      if (!out.write(cipher.update(zeros.subarray(0, n)))) {
        out.once('drain', pump);
        return;
      }
    }
    out.end();
  };
  pump();
  return out;
}

/** A tar stream of generated entries (binaries, whiteouts), through tar-stream's packer. */
function packOf(entries) {
  const pack = tarStream.pack();
  const done = (async () => {
    for (const e of entries) {
      if (e.random !== undefined) {
        const entry = pack.entry({ name: e.name, size: e.random, mode: e.mode ?? 0o644, mtime: MTIME });
        await pipeline(randomBytesFor(e.name, e.random), entry);
      } else {
        await new Promise((res, rej) =>
          pack.entry(
            { name: e.name, type: e.type ?? 'file', mode: e.mode ?? 0o644, mtime: MTIME },
            e.content ?? '',
            (err) => (err ? rej(err) : res()),
          ),
        );
      }
    }
    pack.finalize();
  })();
  return { stream: pack, done };
}

/** Writes one gzip layer blob; returns its file, diff_id (uncompressed digest) and sizes. */
async function writeLayer(dir, source, level) {
  const uncompressed = hashing();
  const compressed = hashing();
  const tmp = join(dir, `layer-${Date.now()}-${Math.random().toString(16).slice(2)}.tmp`);
  await Promise.all([
    pipeline(
      source.stream,
      uncompressed.stream,
      createGzip({ level }),
      compressed.stream,
      createWriteStream(tmp),
    ),
    source.done,
  ]);
  const digest = compressed.digest();
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  renameSync(tmp, join(dir, blobPath(digest)));
  return {
    digest,
    path: blobPath(digest),
    diffId: uncompressed.digest(),
    size: compressed.bytes(),
    raw: uncompressed.bytes(),
  };
}

/** Where a blob lives in the archive (Docker 25+ and OCI image layouts). */
function blobPath(digest) {
  return `blobs/sha256/${digest.slice('sha256:'.length)}`;
}

function layerSources(opts) {
  const rootfs = join(IMAGES, 'rootfs');
  const l2 = join(IMAGES, 'l2');
  for (const dir of [rootfs, l2]) {
    if (!existsSync(dir)) {
      console.error(`make-large-image: ${dir} is missing: run bash scripts/test-images.sh build first`);
      process.exit(1);
    }
  }
  const nodeModules = join(ROOT, 'node_modules');
  const sources = [{ what: 'Debian rootfs', createdBy: 'ADD rootfs /', make: () => tarOf(rootfs, ['.']) }];
  for (let i = 1; i <= opts.nodeModules; i++) {
    sources.push({
      what: `node_modules copy ${i}`,
      createdBy: `COPY node_modules /app/copy${i}/node_modules`,
      make: () => tarOf(ROOT, ['node_modules'], `s,^node_modules,app/copy${i}/node_modules,`),
    });
  }
  if (!existsSync(nodeModules) && opts.nodeModules > 0) {
    console.error(`make-large-image: ${nodeModules} is missing: run npm ci first`);
    process.exit(1);
  }
  if (opts.binaryMb > 0) {
    // files of 1-8 MiB until the total is reached; every other one executable
    const entries = [{ name: 'opt/blobs/', type: 'directory', mode: 0o755 }];
    let left = opts.binaryMb * 1024 * 1024;
    for (let n = 0; left > 0; n++) {
      const size = Math.min(left, (1 + (n % 8)) * 1024 * 1024);
      entries.push({
        name: `opt/blobs/blob-${String(n).padStart(4, '0')}`,
        random: size,
        mode: n % 2 ? 0o755 : 0o644,
      });
      left -= size;
    }
    sources.push({
      what: `${opts.binaryMb} MiB of binaries`,
      createdBy: 'ADD blobs /opt/blobs',
      make: () => packOf(entries),
    });
  }
  for (let i = 1; i <= opts.usrCopies; i++) {
    sources.push({
      what: `/usr copy ${i}`,
      createdBy: `COPY usr /usr # ${i}`,
      make: () => tarOf(rootfs, ['./usr']),
    });
  }
  sources.push({ what: 'multi layer 2 (risks)', createdBy: 'COPY app /', make: () => tarOf(l2, ['.']) });
  sources.push({
    what: 'whiteout layer',
    createdBy: 'RUN rm /app/config/oss.yaml',
    make: () => packOf([{ name: 'app/config/.wh.oss.yaml' }]),
  });
  return sources;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const work = `${opts.out}.d`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const layers = [];
  const history = [];
  for (const source of layerSources(opts)) {
    const started = Date.now();
    const layer = await writeLayer(work, source.make(), opts.level);
    layers.push(layer);
    history.push({ created: MTIME.toISOString(), created_by: source.createdBy });
    console.log(
      `${source.what}: ${(layer.raw / 1e6).toFixed(0)} MB → ${(layer.size / 1e6).toFixed(0)} MB gz (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
  }
  const config = {
    architecture: 'amd64',
    os: 'linux',
    created: MTIME.toISOString(),
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: ['/bin/bash'],
      WorkingDir: '/app',
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history,
  };
  const configText = JSON.stringify(config);
  const configDigest = `sha256:${createHash('sha256').update(configText).digest('hex')}`;
  const tag = `portcullis/${opts.size}:test`;
  const manifest = [{ Config: blobPath(configDigest), RepoTags: [tag], Layers: layers.map((l) => l.path) }];
  const ociManifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: configDigest,
      size: Buffer.byteLength(configText),
    },
    layers: layers.map((l) => ({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: l.digest,
      size: l.size,
    })),
  });
  const manifestDigest = `sha256:${createHash('sha256').update(ociManifest).digest('hex')}`;
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: manifestDigest,
        size: Buffer.byteLength(ociManifest),
        annotations: {
          'io.containerd.image.name': `docker.io/${tag}`,
          'org.opencontainers.image.ref.name': 'test',
        },
      },
    ],
  };
  // the outer archive is written by streaming each blob in, so the disk holds the layers once plus the tar
  const pack = tarStream.pack();
  const tmpOut = `${opts.out}.tmp`;
  const written = pipeline(pack, createWriteStream(tmpOut));
  const add = (name, content) =>
    new Promise((res, rej) => pack.entry({ name, mtime: MTIME }, content, (err) => (err ? rej(err) : res())));
  await add('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await add(blobPath(configDigest), configText);
  await add(blobPath(manifestDigest), ociManifest);
  // a layer used twice (the /usr copies are the same bytes) is one blob, as a registry or Docker stores it
  for (const path of new Set(layers.map((l) => l.path))) {
    const file = join(work, path);
    const entry = pack.entry({ name: path, size: statSync(file).size, mtime: MTIME });
    await pipeline(createReadStream(file), entry);
  }
  await add('index.json', JSON.stringify(index));
  await add('manifest.json', JSON.stringify(manifest));
  pack.finalize();
  await written;
  renameSync(tmpOut, opts.out);
  rmSync(work, { recursive: true, force: true });
  const raw = layers.reduce((s, l) => s + l.raw, 0);
  const gz = layers.reduce((s, l) => s + l.size, 0);
  console.log(
    `${opts.out}: ${layers.length} layers, ${(raw / 1e6).toFixed(0)} MB expanded, ${(gz / 1e6).toFixed(0)} MB gz`,
  );
}

await main();
