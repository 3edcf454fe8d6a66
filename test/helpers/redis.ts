import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort } from './free-port.js';

export const haveRedis = spawnSync('redis-server', ['--version']).status === 0;

export interface RunningRedis {
  url: string;
  port: number;
  /** Ends that process only (SIGTERM), without waiting. */
  stop: () => void;
  /** Kills it (SIGKILL, an outage as a crash looks) and resolves once it has exited. */
  kill: () => Promise<void>;
}

/**
 * Starts a throwaway `redis-server` (no persistence) on a free loopback port, or on `port` (to restart one
 * after an outage at the address its clients know).
 */
export async function startRedis(port?: number): Promise<RunningRedis> {
  const at = port ?? (await freePort());
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(at), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  };
  return { url: `redis://127.0.0.1:${at}`, port: at, stop: () => child.kill(), kill };
}
