import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../core/src/dockerfile/index.js';
import type { DockerfileAst, Instruction } from '../../core/src/dockerfile/index.js';
import { FIXTURES } from '../helpers/env.js';

const BUILDKIT = join(FIXTURES, 'dockerfile', 'buildkit');

/** BuildKit's `Node.Dump()` format: `(cmd ["--flag=v"] "arg" …)`. */
function dump(ins: Instruction): string {
  const parts = [ins.keyword.toLowerCase()];
  if (ins.flags.length > 0) {
    const flags = ins.flags.map((f) =>
      JSON.stringify(`--${f.name}${f.value === undefined ? '' : `=${f.value}`}`),
    );
    parts.push(`[${flags.join(' ')}]`);
  }
  const values = ins.pairs?.flatMap((p) => [p.key, p.raw ?? '']) ?? ins.args;
  parts.push(...values.map((v) => JSON.stringify(v)));
  return `(${parts.join(' ')})`;
}

function lines(ast: DockerfileAst): number[][] {
  return ast.instructions.map((i) => [i.startLine, i.endLine]);
}

function parseError(text: string): { code?: string; message?: string } {
  try {
    parseDockerfile(text);
  } catch (err) {
    return err as { code?: string; message?: string };
  }
  throw new Error('expected a parse error');
}

describe('parseDockerfile', () => {
  describe('against BuildKit parser golden files', () => {
    for (const name of ['docker', 'health']) {
      it(`dumps testfiles/${name} as BuildKit does`, () => {
        const text = readFileSync(join(BUILDKIT, name, 'Dockerfile'), 'utf8');
        const expected = readFileSync(join(BUILDKIT, name, 'result'), 'utf8');
        const ast = parseDockerfile(text);
        expect(`${ast.instructions.map(dump).join('\n')}\n`).toBe(expected);
      });
    }

    it('gives the start/end lines BuildKit asserts for testfile-line (5-5, 11-12, 17-31)', () => {
      const ast = parseDockerfile(readFileSync(join(BUILDKIT, 'testfile-line', 'Dockerfile'), 'utf8'));
      expect(lines(ast)).toEqual([
        [5, 5],
        [11, 12],
        [17, 31],
      ]);
      expect(ast.directives).toEqual([{ name: 'escape', value: '\\', line: 1 }]);
    });
  });

  describe('continuation lines', () => {
    it('joins lines verbatim, skipping comment and empty lines inside, with exact lines', () => {
      const ast = parseDockerfile(
        [
          'FROM alpine:3.19',
          'RUN apk add \\',
          '  # a comment',
          '',
          '    curl \\  ',
          '\tgit',
          'USER app',
        ].join('\n'),
      );
      const run = ast.instructions[1] as Instruction;
      expect(run.args).toEqual(['apk add     curl \tgit']);
      expect([run.startLine, run.endLine]).toEqual([2, 6]);
      expect(ast.instructions[2]?.startLine).toBe(7);
    });

    it('uses the backtick as continuation after `# escape=`` and keeps backslashes literal', () => {
      const ast = parseDockerfile(
        [
          '# escape=`',
          '',
          'FROM mcr.microsoft.com/windows/servercore:ltsc2022',
          'COPY C:\\src\\app `',
          '  C:\\app\\',
          'RUN dir',
        ].join('\n'),
      );
      expect(ast.escapeChar).toBe('`');
      const copy = ast.instructions[1] as Instruction;
      expect(copy.expanded).toEqual(['C:\\src\\app', 'C:\\app\\']);
      expect([copy.startLine, copy.endLine]).toEqual([4, 5]);
    });

    it('takes a line ending in a backslash literally when the escape is a backtick', () => {
      const ast = parseDockerfile('# escape=`\nFROM alpine:3.19\nRUN echo a \\\nRUN echo b');
      expect(ast.instructions.map((i) => i.keyword)).toEqual(['FROM', 'RUN', 'RUN']);
    });

    it('ends the file inside a continuation without error', () => {
      const ast = parseDockerfile('FROM alpine:3.19\nRUN echo a \\');
      expect(ast.instructions[1]?.args).toEqual(['echo a']);
    });
  });

  describe('parser directives', () => {
    it('reads directives only before any other line', () => {
      const ast = parseDockerfile(
        '# syntax=docker/dockerfile:1\n# comment\n# escape=`\nFROM alpine:3.19\nRUN a \\\n b',
      );
      expect(ast.directives.map((d) => d.name)).toEqual(['syntax']);
      expect(ast.escapeChar).toBe('\\');
      expect(ast.instructions[1]?.args).toEqual(['a  b']);
    });

    it('rejects a repeated directive and an invalid escape token, naming the line', () => {
      const dup = parseError('# escape=`\n# escape=\\\nFROM a:1');
      expect(dup.code).toBe('DOCKERFILE_PARSE_FAILED');
      expect(dup.message).toContain('line 2');
      expect(parseError('# escape=x\nFROM a:1').message).toContain('invalid escape token');
    });
  });

  describe('heredocs', () => {
    const text = [
      'FROM alpine:3.19', // 1
      'RUN <<EOF', // 2
      'echo one', // 3
      'echo two', // 4
      'EOF', // 5
      "COPY --chmod=644 <<FILE1 <<-'FILE2' /dest/", // 6
      'content 1', // 7
      'FILE1', // 8
      '\tcontent $NOT', // 9
      '\tFILE2', // 10
      'RUN << EOF python3', // 11
      "print('x')", // 12
      'EOF', // 13
      'RUN ["<<EOF"]', // 14
      'RUN "<<NOHEREDOC"', // 15
      "RUN <<eo'f' <<eo\\'g", // 16
      'a', // 17
      'eof', // 18
      "eo'g", // 19
      'USER app', // 20
    ].join('\n');
    const ast = parseDockerfile(text);
    const [, run, copy, py, json, quoted, names, user] = ast.instructions as Instruction[];

    it('takes the body after the instruction and ends the instruction at the terminator', () => {
      expect(run?.heredocs).toEqual([
        {
          name: 'EOF',
          content: 'echo one\necho two\n',
          chomp: false,
          expand: true,
          startLine: 3,
          endLine: 5,
        },
      ]);
      expect([run?.startLine, run?.endLine]).toEqual([2, 5]);
      expect(user?.startLine).toBe(20);
    });

    it('reads several heredocs in order, with <<- and quoted terminators', () => {
      expect(copy?.heredocs.map((h) => [h.name, h.content, h.chomp, h.expand])).toEqual([
        ['FILE1', 'content 1\n', false, true],
        ['FILE2', '\tcontent $NOT\n', true, false],
      ]);
      expect([copy?.startLine, copy?.endLine]).toEqual([6, 10]);
      expect(copy?.flags).toEqual([{ name: 'chmod', value: '644', expanded: '644' }]);
    });

    it('accepts `<< EOF` with a space, and finds no heredoc in exec form or quotes', () => {
      expect(py?.heredocs.map((h) => h.name)).toEqual(['EOF']);
      expect(json?.json).toBe(true);
      expect(json?.heredocs).toEqual([]);
      expect(quoted?.heredocs).toEqual([]);
    });

    it("resolves quoted and escaped terminator names as BuildKit does (eo'f' → eof, eo\\'g → eo'g)", () => {
      expect(names?.heredocs.map((h) => [h.name, h.expand])).toEqual([
        ['eof', false],
        ["eo'g", true],
      ]);
    });

    it('fails on an unterminated heredoc with the instruction line', () => {
      const err = parseError('FROM alpine:3.19\nRUN true\nRUN <<EOF\necho never ends\n');
      expect(err.code).toBe('DOCKERFILE_PARSE_FAILED');
      expect(err.message).toContain('unterminated heredoc');
      expect(err.message).toContain('line 3');
    });
  });

  describe('exec and shell forms, flags', () => {
    it('tells JSON form from shell form and reads leading flags', () => {
      const ast = parseDockerfile(
        [
          'FROM --platform=$BUILDPLATFORM golang:1.22 AS build',
          'RUN --mount=type=cache,target=/root/.cache/go-build --network=none go build ./...',
          'CMD ["/app", "--port", "80"]',
          'ENTRYPOINT [not json',
          'COPY --from=build --chown=app:app /out /app',
        ].join('\n'),
      );
      const [from, run, cmd, ep, copy] = ast.instructions as Instruction[];
      expect(from?.flags).toEqual([{ name: 'platform', value: '$BUILDPLATFORM', expanded: '' }]);
      expect(run?.flags.map((f) => f.name)).toEqual(['mount', 'network']);
      expect(run?.args).toEqual(['go build ./...']);
      expect([cmd?.json, cmd?.args]).toEqual([true, ['/app', '--port', '80']]);
      expect([ep?.json, ep?.args]).toEqual([false, ['[not json']]);
      expect(copy?.flags.map((f) => [f.name, f.expanded])).toEqual([
        ['from', 'build'],
        ['chown', 'app:app'],
      ]);
    });
  });

  describe('ARG and ENV expansion', () => {
    it('expands $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:+x}, ${VAR+x}, quotes and escapes', () => {
      const ast = parseDockerfile(
        [
          'FROM alpine:3.19',
          'ENV A=a EMPTY=',
          'ENV B=$A C=${A}c D=${NOPE:-dflt} E=${EMPTY:-dflt} F=${EMPTY-dflt} G=${A:+set} H=${NOPE+set}',
          'ENV Q="two words" S=\'$A\' ESC=\\$A',
          'WORKDIR /srv/${A}',
          'USER ${UNDEFINED}',
        ].join('\n'),
      );
      const env = (n: number): Record<string, string | undefined> =>
        Object.fromEntries((ast.instructions[n]?.pairs ?? []).map((p) => [p.key, p.value]));
      expect(env(2)).toEqual({ B: 'a', C: 'ac', D: 'dflt', E: 'dflt', F: '', G: 'set', H: '' });
      expect(env(3)).toEqual({ Q: 'two words', S: '$A', ESC: '$A' });
      expect(ast.instructions[4]?.expanded).toEqual(['/srv/a']);
      expect(ast.instructions[5]?.expanded).toEqual(['']);
      expect(ast.instructions[5]?.unresolved).toBe(true);
    });

    it('lets every value of one ENV see the environment from before it', () => {
      const ast = parseDockerfile('FROM a:1\nENV X=old\nENV X=new Y=$X\nENV Z=$X');
      expect(ast.instructions[2]?.pairs?.map((p) => p.value)).toEqual(['new', 'old']);
      expect(ast.instructions[3]?.pairs?.[0]?.value).toBe('new');
    });

    it('keeps global ARGs for FROM lines only until a stage re-declares them', () => {
      const ast = parseDockerfile(
        [
          'ARG BASE=debian',
          'ARG TAG=12',
          'FROM ${BASE}:${TAG} AS one',
          'WORKDIR /w/$TAG',
          'ARG TAG',
          'WORKDIR /w/$TAG',
          'ARG TAG=13',
          'WORKDIR /w/$TAG',
          'FROM ${BASE}:${NOPE:-slim}',
          'WORKDIR /w/$TAG',
        ].join('\n'),
      );
      expect(ast.globalArgs.map((a) => a.startLine)).toEqual([1, 2]);
      expect(ast.stages.map((s) => s.baseImage)).toEqual(['debian:12', 'debian:slim']);
      expect(ast.instructions.filter((i) => i.keyword === 'WORKDIR').map((i) => i.expanded[0])).toEqual([
        '/w/',
        '/w/12',
        '/w/13',
        '/w/',
      ]);
    });

    it('applies build args over defaults, and ENV over ARG', () => {
      const ast = parseDockerfile('ARG V=1\nFROM app:$V\nARG V\nARG U=x\nENV U=env\nUSER $U:$V', {
        buildArgs: { V: '2' },
      });
      expect(ast.stages[0]?.baseImage).toBe('app:2');
      expect(ast.instructions[5]?.expanded).toEqual(['env:2']);
    });

    it('marks a base image built from an ARG without a value as unresolved', () => {
      const ast = parseDockerfile('ARG TAG\nFROM alpine:$TAG');
      expect(ast.stages[0]?.baseImage).toBe('alpine:');
      expect(ast.stages[0]?.baseUnresolved).toBe(true);
    });
  });

  describe('multi-stage builds', () => {
    it('names stages (lower-cased), links a stage built on an earlier one, and inherits its ENV', () => {
      const ast = parseDockerfile(
        'FROM golang:1.22 AS Build\nENV OUT=/out\nFROM build AS test\nWORKDIR $OUT\nFROM scratch\nCOPY --from=build /out /',
      );
      expect(ast.stages.map((s) => [s.index, s.name, s.baseImage, s.baseStage])).toEqual([
        [0, 'build', 'golang:1.22', undefined],
        [1, 'test', 'build', 0],
        [2, undefined, 'scratch', undefined],
      ]);
      expect(ast.stages[1]?.instructions[0]?.expanded).toEqual(['/out']);
      expect(ast.stages.map((s) => s.instructions.length)).toEqual([1, 1, 1]);
    });
  });

  describe('other instruction forms', () => {
    it('parses ONBUILD, SHELL, multi-name ARG, CRLF line endings and a BOM before the directives', () => {
      const ast = parseDockerfile(
        '\uFEFF# syntax=docker/dockerfile:1\r\nARG A=1 B\r\nFROM alpine:3.19\r\nONBUILD RUN echo hi\r\nSHELL ["/bin/ash", "-eo", "pipefail", "-c"]\r\nRUN <<EOF\r\necho x\r\nEOF\r\nUSER app\r\n',
      );
      expect(ast.directives).toEqual([{ name: 'syntax', value: 'docker/dockerfile:1', line: 1 }]);
      expect(ast.globalArgs[0]?.pairs).toEqual([{ key: 'A', raw: '1', value: '1' }, { key: 'B' }]);
      const [, , onbuild, shell, run, user] = ast.instructions;
      expect(onbuild?.onbuild?.keyword).toBe('RUN');
      expect(onbuild?.onbuild?.args).toEqual(['echo hi']);
      expect([shell?.json, shell?.args]).toEqual([true, ['/bin/ash', '-eo', 'pipefail', '-c']]);
      expect(run?.heredocs[0]?.content).toBe('echo x\n');
      expect([run?.startLine, run?.endLine, user?.startLine]).toEqual([6, 8, 9]);
    });
  });

  describe('errors', () => {
    it('names the line of an unknown instruction', () => {
      const err = parseError('FROM a:1\n\nRUNN echo');
      expect(err.code).toBe('DOCKERFILE_PARSE_FAILED');
      expect(err.message).toBe('unknown instruction: RUNN (line 3)');
    });

    it('rejects FROM with bad arity', () => {
      expect(parseError('FROM a b').code).toBe('DOCKERFILE_PARSE_FAILED');
    });

    it('puts instructions before the first FROM into an implicit stage (a fragment), and only those', () => {
      const ast = parseDockerfile('RUN x\nFROM a:1\nRUN y');
      expect(ast.stages.map((s) => [s.index, s.baseImage, s.implicit === true])).toEqual([
        [0, 'scratch', true],
        [1, 'a:1', false],
      ]);
      expect(ast.stages[0]?.instructions.map((i) => i.original)).toEqual(['RUN x']);
      expect(ast.stages[0]?.from.startLine).toBe(1);
      // ARG before FROM is not a fragment
      const args = parseDockerfile('ARG V=1\nFROM a:$V');
      expect(args.stages.map((s) => s.implicit === true)).toEqual([false]);
      expect(args.globalArgs).toHaveLength(1);
    });

    it('parses an empty or comment-only file to no instructions', () => {
      expect(parseDockerfile('').instructions).toEqual([]);
      expect(parseDockerfile('# just a comment\n\n').stages).toEqual([]);
    });
  });
});
