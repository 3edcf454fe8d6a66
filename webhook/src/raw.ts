/** A parsed JSON/YAML mapping (AdmissionReview, config file) before it is validated. */
export type Raw = Record<string, unknown>;

/** True for a mapping: an object that is neither null nor an array. */
export const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
