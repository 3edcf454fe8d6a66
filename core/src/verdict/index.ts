export { signVerdict, verifyVerdict, VERDICT_JWS_TYPE } from './sign.js';
export { readKeyFile, parseKey, toVerdictKey, toVerdictAlg } from './keys.js';
export type { VerdictAlg, VerdictJwk, VerdictKey } from './keys.js';
