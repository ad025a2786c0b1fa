/**
 * Runs the built server as a real child process (`node packages/server/dist/main.js server`) on a
 * free port and a temp data dir, for end-to-end tests of the SDK and CLI over real sockets.
 * Needs `npm run build` first (`npm test` does it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Path of the built entry point. */
export const SERVER_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

const LISTENING = /Slipway listening on (http:\/\/\S+)/;

/** A server process started for a test file. */
export interface ServerProcess {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  url: string;
  dataDir: string;
  /** Everything the process wrote to stderr so far (for failure messages). */
  stderr(): string;
  /** Stops the process (SIGTERM, then SIGKILL) and deletes its data dir. */
  stop(): Promise<void>;
}

/** Spawns the server and resolves once it prints its listening URL. */
export async function startServerProcess(
  options: { startupTimeoutMs?: number } = {},
): Promise<ServerProcess> {
  if (!existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: run \`npm run build\` first.`);
  const dataDir = await mkdtemp(join(tmpdir(), 'slipway-proc-'));
  const child = spawn(process.execPath, [SERVER_MAIN, 'server', '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SLIPWAY_LOG_LEVEL: 'off' },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  try {
    const url = await waitForUrl(child, () => stderr, options.startupTimeoutMs ?? 20_000);
    return { url, dataDir, stderr: () => stderr, stop: () => stop(child, dataDir) };
  } catch (err) {
    await stop(child, dataDir);
    throw err;
  }
}

function waitForUrl(child: ChildProcess, stderr: () => string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    const fail = (why: string): void => {
      clearTimeout(timer);
      reject(new Error(`server process ${why}\nstdout: ${stdout}\nstderr: ${stderr()}`));
    };
    const timer = setTimeout(() => fail(`printed no URL within ${timeoutMs}ms`), timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = LISTENING.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    child.once('error', (err) => fail(`failed to start: ${err.message}`));
  });
}

async function stop(child: ChildProcess, dataDir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  }
  await rm(dataDir, { recursive: true, force: true });
}
