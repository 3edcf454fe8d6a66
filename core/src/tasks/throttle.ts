const HOUR_MS = 3_600_000;

/**
 * An exact rolling-window limit: no more than `perHour` starts in any hour. The k-th start may happen no
 * sooner than one hour after the (k − perHour)-th, so every half-open hour holds at most `perHour` starts
 * (a fixed bucket per clock hour would allow 2N around a boundary).
 */
export interface Throttle {
  /** The earliest time (ms) the next start may happen, given the clock reads `now`. */
  nextStart(now: number): number;
  /** Records a start at `at` (ms); call it only at or after `nextStart(at)`. */
  record(at: number): void;
  /** Holds every start until `until` (a registry's Retry-After). */
  pauseUntil(until: number): void;
}

export function createThrottle(perHour: number | undefined): Throttle {
  const starts: number[] = [];
  let pausedUntil = -Infinity;
  return {
    nextStart(now) {
      let at = Math.max(now, pausedUntil);
      if (perHour !== undefined && starts.length >= perHour) {
        const bound = (starts[starts.length - perHour] ?? -Infinity) + HOUR_MS;
        at = Math.max(at, bound);
      }
      return at;
    },
    record(at) {
      starts.push(at);
      // only the last `perHour` starts can bound the next one
      if (perHour !== undefined && starts.length > perHour) starts.splice(0, starts.length - perHour);
    },
    pauseUntil(until) {
      pausedUntil = Math.max(pausedUntil, until);
    },
  };
}
