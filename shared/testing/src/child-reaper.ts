import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

// A failing or interrupted test must not leave nats-servers or services behind:
// everything we spawn is SIGKILLed when this process ends, temp dirs removed.
const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let installed = false;

function reapAll(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  liveChildren.clear();
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort at exit
    }
  }
  tempDirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  reapAll();
  // Keep the default behaviour (terminate) unless someone else handles the signal.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', reapAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, onSignal);
}

export function reapOnExit(child: ChildProcess): void {
  install();
  if (child.exitCode !== null || child.signalCode !== null) return;
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

export function removeOnExit(dir: string): void {
  install();
  tempDirs.add(dir);
}

export function forgetTempDir(dir: string): void {
  tempDirs.delete(dir);
}
