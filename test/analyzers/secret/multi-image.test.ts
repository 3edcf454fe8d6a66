import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../core/src/scan/index.js';
import { haveTestImages, NO_IMAGES_REASON, skipReason, TEST_IMAGES } from '../../helpers/env.js';

const PLANTED = [
  'LTAI5tQz8vRmXw3YbNc7KpLd',
  'Hn4Ks9TqWv2XyZ7bRm3PcLd8FgJ6Et',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'MIIEpAIBAAKCAQEAfakefake',
];

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
  'secret and malware analyzers on the multi image',
  () => {
    it('report the planted key, cloud keys, EICAR and miner config from layer 2, redacted', async () => {
      const result = await scan(`oci-archive:${join(TEST_IMAGES, 'oci-multi.tar')}`, {
        scanners: ['secret', 'malware'],
      });
      const risky = result.findings.filter(
        (f) => f.type === 'sensitive-file' || f.type === 'malicious-sample',
      );
      const byPath = risky.map((f) => `${f.id} ${f.location.path ?? f.location.source}`).sort();
      expect(byPath).toEqual(
        expect.arrayContaining([
          'PCS-SECRET-PRIVATE-KEY /root/.ssh/id_rsa',
          'PCS-SECRET-ALIBABA-ACCESS-KEY-PAIR /app/config/oss.yaml',
          'PCS-SECRET-DOTENV-FILE /app/.env',
          'PCS-MALWARE-EICAR-TEST-FILE /opt/miner/eicar.com',
          'PCS-MALWARE-XMRIG-CONFIG /opt/miner/config.json',
        ]),
      );
      const layer2 = result.image.layers[1]?.digest;
      for (const f of risky.filter((f) => f.location.path)) expect(f.location.layerDigest).toBe(layer2);
      // the AWS documentation example key in /app/.env is not a secret: only the .env file itself is reported
      expect(risky.find((f) => f.id === 'PCS-SECRET-AWS-SECRET-ACCESS-KEY')).toBeUndefined();
      const json = JSON.stringify(result);
      for (const value of PLANTED) expect(json).not.toContain(value);
    });
  },
);
