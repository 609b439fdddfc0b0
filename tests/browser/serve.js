// Starts the notes demo in browser mode (`rpcview-notes serve --port 0`) with a temporary
// notes folder, and reads the URL it prints (with the run's token). The binary:
// RPCVIEW_NOTES_BIN, else $CARGO_TARGET_DIR/debug/rpcview-notes, else target/debug/
// rpcview-notes of this repository (built by `cargo test --workspace`).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Generous: the machine may be loaded (2 cores, builds running). */
export const TIMEOUT = 90_000;
export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function notesBinary() {
  const bin =
    process.env.RPCVIEW_NOTES_BIN ||
    join(process.env.CARGO_TARGET_DIR ? resolve(repo, process.env.CARGO_TARGET_DIR) : join(repo, 'target'), 'debug', 'rpcview-notes');
  assert.ok(existsSync(bin), `${bin} is missing: build it first (cargo build -p rpcview-notes), or set RPCVIEW_NOTES_BIN`);
  return bin;
}

/**
 * Starts `rpcview-notes serve --port 0 [args]`; resolves once it printed its URL, with the
 * URL, the port, the token, what it printed so far (`out()`, its log: `err()`), `waitFor(re,
 * ms, 'stdout' | 'stderr')` (polls the output), and `stop()`, which kills it and removes the notes folder.
 */
export async function serve(args = []) {
  const data = mkdtempSync(join(tmpdir(), 'rpcview-browser-'));
  const env = { ...process.env, NO_COLOR: '1' }; // plain log lines, to match
  const child = spawn(notesBinary(), ['serve', '--port', '0', '--data', data, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = () => {
    if (!exited) child.kill('SIGKILL');
    rmSync(data, { recursive: true, force: true });
  };
  const waitFor = async (pattern, ms = TIMEOUT, stream = 'stdout') => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const m = (stream === 'stderr' ? err : out).match(pattern);
      if (m) return m;
      if (exited) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`rpcview-notes serve: no ${pattern} within ${ms} ms${exited ? ' (it exited)' : ''}\nstdout:\n${out}\nstderr:\n${err}`);
  };
  try {
    const [, url, port, token] = await waitFor(/browser mode: open (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]+))/);
    return { url, port: Number(port), token, out: () => out, err: () => err, waitFor, stop };
  } catch (e) {
    stop();
    throw e;
  }
}
