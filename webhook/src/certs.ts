import { generate } from 'selfsigned';

/** A CA and a serving certificate signed by it (PEM). */
export interface ServingCert {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

/**
 * Generates a CA and a serving certificate for `<service>.<namespace>.svc` (CN and SANs, also the short and
 * cluster.local forms), as the apiserver verifies the Service DNS name against the caBundle.
 */
export async function generateServingCert(opts: {
  service: string;
  namespace: string;
  validDays?: number;
  now?: Date;
}): Promise<ServingCert> {
  const notBeforeDate = opts.now ?? new Date();
  const notAfterDate = new Date(notBeforeDate.getTime() + (opts.validDays ?? 365) * 86_400_000);
  const ca = await generate([{ name: 'commonName', value: `${opts.service}-ca` }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const svc = `${opts.service}.${opts.namespace}.svc`;
  const leaf = await generate([{ name: 'commonName', value: svc }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: svc },
          { type: 2, value: `${svc}.cluster.local` },
          { type: 2, value: `${opts.service}.${opts.namespace}` },
          { type: 2, value: opts.service },
        ],
      },
    ],
  });
  return { caCert: ca.cert, caKey: ca.private, cert: leaf.cert, key: leaf.private };
}
