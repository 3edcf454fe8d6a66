export { signVerdict, verifyVerdict, signJsonPayload, VERDICT_JWS_TYPE } from './sign.js';
export { readKeyFile, parseKey, toVerdictKey, toVerdictAlg } from './keys.js';
export type { VerdictAlg, VerdictJwk, VerdictKey } from './keys.js';
export { SCAN_JWS_TYPE, signScanResult, pushScanResult, toPushUrl } from './push.js';
export type { PushOptions, PushResult } from './push.js';
