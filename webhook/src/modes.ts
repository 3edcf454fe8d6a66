// The webhook's mode names, apart from config.ts so the CLI can describe its flags without loading the
// config parser (and, through it, core and yaml): `portcullis --help` must not pay for the webhook.

/** How a deny is acted on: block (`enforce`), allow with warnings (`warn`), allow and only record (`audit`). */
export type AdmissionMode = 'enforce' | 'warn' | 'audit';
/** What to do with an image the store has no scan for. */
export type UnknownImageMode = 'deny' | 'allow-and-scan' | 'scan';
/** What to answer when the store, the registry or the deadline fails. */
export type FailureMode = 'closed' | 'open';

export const ADMISSION_MODES: readonly AdmissionMode[] = ['enforce', 'warn', 'audit'];
export const UNKNOWN_IMAGE_MODES: readonly UnknownImageMode[] = ['deny', 'allow-and-scan', 'scan'];
