import type { Problem } from '../errors.js';

/** Kind-specific settings each registry kind cannot do without (the schema checks shapes, not these). */
const REQUIRED_BY_KIND: Record<string, string[]> = {
  quay: ['namespaces'],
  acr: ['instanceId', 'regionId', 'accessKeyIdEnv', 'accessKeySecretEnv'],
};

/** Settings that mean something for one kind only: a typo'd kind should not silently ignore them. */
const ONLY_FOR_KIND: Record<string, string[]> = {
  groups: ['gitlab'],
  tokenKind: ['gitlab'],
  projects: ['harbor', 'gitlab'],
  namespaces: ['quay', 'acr'],
  instanceId: ['acr'],
  regionId: ['acr'],
  accessKeyIdEnv: ['acr'],
  accessKeySecretEnv: ['acr'],
  securityTokenEnv: ['acr'],
  endpoint: ['acr'],
};

/** Checks of `registries:` the schema cannot express: unique names, each kind's required and allowed settings. */
export function registryProblems(doc: unknown): Problem[] {
  const out: Problem[] = [];
  const list = (doc as { registries?: unknown } | null)?.registries;
  if (!Array.isArray(list)) return out;
  const seen = new Map<string, number>();
  list.forEach((r: unknown, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return;
    const entry = r as Record<string, unknown>;
    if (typeof entry.name === 'string') {
      const first = seen.get(entry.name);
      if (first !== undefined)
        out.push({
          path: `/registries/${i}/name`,
          message: `duplicates /registries/${first}/name ("${entry.name}")`,
        });
      else seen.set(entry.name, i);
    }
    if (typeof entry.kind !== 'string') return;
    for (const key of REQUIRED_BY_KIND[entry.kind] ?? [])
      if (!(key in entry))
        out.push({ path: `/registries/${i}/${key}`, message: `is required for kind ${entry.kind}` });
    for (const [key, kinds] of Object.entries(ONLY_FOR_KIND))
      if (key in entry && !kinds.includes(entry.kind))
        out.push({ path: `/registries/${i}/${key}`, message: `applies only to kind ${kinds.join(' or ')}` });
  });
  return out;
}
