import { DEFAULT_REGISTRY_CONCURRENCY, type Policy } from '../../core/src/index.js';

/**
 * `/api/v1/settings`: the effective scan settings. Registries are listed with what a console shows (name, kind,
 * url, scope, throttle, effective concurrency); credentials appear only as the names of the variables/files they come from.
 */
export function toSettingsView(
  policy: Policy,
  schedule: { scan?: string; dbUpdate?: string; timezone?: string } = {},
) {
  return {
    registries: (policy.registries ?? []).map((r) => ({
      name: r.name,
      kind: r.kind,
      url: r.url,
      ...(r.registryHost ? { registryHost: r.registryHost } : {}),
      ...(r.repositories ? { repositories: r.repositories } : {}),
      ...(r.tags ? { tags: r.tags } : {}),
      ...(r.throttle ? { throttle: r.throttle } : {}),
      concurrency: r.concurrency ?? DEFAULT_REGISTRY_CONCURRENCY,
      autoAddNew: r.autoAddNew ?? true,
      ...(r.credentials ? { credentials: Object.keys(r.credentials) } : {}),
    })),
    scan: {
      ...(policy.scan ?? {}),
      ...(schedule.scan ? { schedule: schedule.scan } : {}),
      ...(schedule.dbUpdate ? { dbUpdate: schedule.dbUpdate } : {}),
      ...(schedule.timezone ? { timezone: schedule.timezone } : {}),
    },
  };
}
