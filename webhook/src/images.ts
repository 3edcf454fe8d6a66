import type { AdmissionRequest } from './review.js';
import { isObj } from './raw.js';

/** Where in the pod spec an image was found. */
export type ImageField = 'containers' | 'initContainers' | 'ephemeralContainers' | 'volumes';

/** One image reference in an admitted object. */
export interface PodImage {
  image: string;
  field: ImageField;
  /** Container or volume name. */
  name: string;
}

const get = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((cur, k) => (isObj(cur) ? cur[k] : undefined), o);

/** Kinds that carry a pod spec, and where (FORMATS.md §1). Keyed by `group/kind`. */
const POD_SPEC_PATHS: Record<string, string[]> = {
  '/Pod': ['spec'],
  'apps/Deployment': ['spec', 'template', 'spec'],
  'apps/ReplicaSet': ['spec', 'template', 'spec'],
  'apps/StatefulSet': ['spec', 'template', 'spec'],
  'apps/DaemonSet': ['spec', 'template', 'spec'],
  'batch/Job': ['spec', 'template', 'spec'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  '/ReplicationController': ['spec', 'template', 'spec'],
  '/PodTemplate': ['template', 'spec'],
  // Alpha-era (≤1.20) pods/ephemeralcontainers requests carried this kind, with the list at the top level.
  '/EphemeralContainers': [],
};

/** True when the webhook knows where this kind keeps its pod spec. */
export function isPodCarrier(group: string, kind: string): boolean {
  return `${group}/${kind}` in POD_SPEC_PATHS;
}

/** Every image in an object of the given kind, in spec order: containers, initContainers, ephemeralContainers, volumes. */
export function extractImages(group: string, kind: string, obj: unknown): PodImage[] {
  const path = POD_SPEC_PATHS[`${group}/${kind}`];
  if (path === undefined || !isObj(obj)) return [];
  const spec = path.length === 0 ? obj : get(obj, ...path);
  if (!isObj(spec)) return [];
  const out: PodImage[] = [];
  for (const field of ['containers', 'initContainers', 'ephemeralContainers'] as const) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    for (const c of list)
      if (isObj(c) && typeof c.image === 'string' && c.image !== '')
        out.push({ image: c.image, field, name: typeof c.name === 'string' ? c.name : '' });
  }
  const vols = spec.volumes;
  if (Array.isArray(vols))
    for (const v of vols) {
      const ref = get(v, 'image', 'reference');
      if (typeof ref === 'string' && ref !== '')
        out.push({
          image: ref,
          field: 'volumes',
          name: isObj(v) && typeof v.name === 'string' ? v.name : '',
        });
    }
  return out;
}

/**
 * The images an admission request must be judged on: all of them on CREATE; on UPDATE only containers and
 * volumes that are new or whose image changed (an unchanged one was judged when it was admitted; a new
 * container is judged even when another container already runs that image, as a tag may have moved since);
 * none on DELETE/CONNECT.
 */
export function imagesToJudge(req: AdmissionRequest): PodImage[] {
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return [];
  const now = extractImages(req.kind.group, req.kind.kind, req.object);
  if (req.operation === 'CREATE' || !req.oldObject) return now;
  const key = (i: PodImage): string => `${i.field}/${i.name}\u0000${i.image}`;
  const before = new Set(extractImages(req.kind.group, req.kind.kind, req.oldObject).map(key));
  return now.filter((i) => !before.has(key(i)));
}

/** The pod template's metadata of a workload (Deployment…, CronJob), undefined for a Pod. */
const templateMetadata = (obj: unknown): unknown =>
  get(obj, 'spec', 'template', 'metadata') ?? get(obj, 'spec', 'jobTemplate', 'spec', 'template', 'metadata');

/**
 * One label or annotation of the admitted object, as `objectMetadata` gives it (the object's own over its pod
 * template's), without building the maps: the admission hot path reads one annotation.
 */
export function metadataValue(
  obj: unknown,
  field: 'labels' | 'annotations',
  key: string,
): string | undefined {
  const own = get(obj, 'metadata', field);
  if (isObj(own) && Object.hasOwn(own, key) && typeof own[key] === 'string') return own[key];
  const templ = get(templateMetadata(obj), field);
  if (isObj(templ) && Object.hasOwn(templ, key) && typeof templ[key] === 'string') return templ[key];
  return undefined;
}

/** Labels and annotations of the admitted object (for a workload, its pod template's are merged under its own). */
export function objectMetadata(obj: unknown): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const pick = (v: unknown): Record<string, string> =>
    isObj(v)
      ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'))
      : {};
  const templ = templateMetadata(obj);
  return {
    labels: { ...pick(get(templ, 'labels')), ...pick(get(obj, 'metadata', 'labels')) },
    annotations: { ...pick(get(templ, 'annotations')), ...pick(get(obj, 'metadata', 'annotations')) },
  };
}
