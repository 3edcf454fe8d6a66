/**
 * The floor for bench/webhook.ts: `node bench/bare-server.mjs CERT KEY` serves HTTPS on a free loopback port
 * (printed on stderr as one JSON line) and answers every request with `allowed: true` and the request's uid: TLS, HTTP
 * and JSON, nothing else. Plain JavaScript run by plain node, like the webhook it is compared with.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const [certFile, keyFile] = process.argv.slice(2);
process.once('SIGTERM', () => process.exit(0));
const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const { uid } = JSON.parse(Buffer.concat(chunks).toString()).request;
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: { uid, allowed: true },
      }),
    );
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => console.error(JSON.stringify({ port: server.address().port })));
