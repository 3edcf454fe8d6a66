import { minimatch } from 'minimatch';

/** One effective sshd setting and where it was set. */
export interface SshdSetting {
  /** Keyword as sshd knows it, lower-cased (`permitrootlogin`). */
  keyword: string;
  value: string;
  path: string;
  line: number;
  /** The `Match` criteria when the setting only applies inside a Match block. */
  match?: string;
}

/** Reads a buffered file by absolute path (undefined when absent or not buffered). */
export type ReadConfig = (path: string) => string | undefined;

/** Paths sshd reads (`Include` targets are found among these). */
export type ListConfigs = () => readonly string[];

const MAX_INCLUDE_DEPTH = 16;

/**
 * Effective settings of `sshd_config` as sshd resolves them: the first value of a keyword wins,
 * `Include` files are read in place (globs sorted, relative to /etc/ssh), and settings inside `Match`
 * blocks are kept separately (first per keyword and block) since they apply only to some connections.
 */
export function evaluateSshdConfig(
  mainPath: string,
  read: ReadConfig,
  list: ListConfigs,
): { global: Map<string, SshdSetting>; matched: SshdSetting[] } {
  const global = new Map<string, SshdSetting>();
  const matched: SshdSetting[] = [];
  const seenInMatch = new Set<string>();
  const state = { match: undefined as string | undefined };

  const visit = (path: string, depth: number): void => {
    const text = read(path);
    if (text === undefined || depth > MAX_INCLUDE_DEPTH) return;
    text.split('\n').forEach((raw, i) => {
      const line = raw
        .replace(/\r$/, '')
        .replace(/(^|\s)#.*$/, '')
        .trim();
      if (line === '') return;
      const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
      if (m === null) return;
      const keyword = (m[1] as string).toLowerCase();
      const value = (m[2] as string).trim().replace(/^"(.*)"$/, '$1');
      if (keyword === 'match') {
        state.match = /^all$/i.test(value) ? undefined : value;
        return;
      }
      if (keyword === 'include') {
        // A Match block opened inside an included file ends with that file.
        const outer = state.match;
        for (const target of expandInclude(value, list)) {
          visit(target, depth + 1);
          state.match = outer;
        }
        return;
      }
      const setting: SshdSetting = { keyword, value, path, line: i + 1 };
      if (state.match === undefined) {
        if (!global.has(keyword)) global.set(keyword, setting);
      } else {
        const key = `${state.match}\0${keyword}`;
        if (!seenInMatch.has(key)) {
          seenInMatch.add(key);
          matched.push({ ...setting, match: state.match });
        }
      }
    });
  };
  visit(mainPath, 0);
  return { global, matched };
}

function expandInclude(value: string, list: ListConfigs): string[] {
  const out: string[] = [];
  for (const pattern of value.split(/\s+/).filter((p) => p !== '')) {
    const abs = pattern.startsWith('/') ? pattern : `/etc/ssh/${pattern}`;
    out.push(
      ...list()
        .filter((p) => minimatch(p, abs, { dot: false }))
        .sort(),
    );
  }
  return out;
}
