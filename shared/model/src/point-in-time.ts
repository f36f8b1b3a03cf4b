import type { ChangeSet, LogEvent, RegistryEvent } from './events.js';
import { emptyMeshState, type MeshState } from './mesh-state.js';
import { configLogEvent, registryLogEvent, replay } from './reducer.js';
import { type TimePoint, instantOf, isAfterPoint } from './time-point.js';

/** The mesh as it was at a point of the log, and how sure we are of its registry part. */
export interface PointInTime {
  readonly state: MeshState;
  /**
   * The time registry events were cut at: the `at` of the last ChangeSet folded for a sequence
   * point, the point itself for a time point; undefined when every registry event counted.
   */
  readonly registryCutoff?: string;
  /**
   * Workloads (`namespace/name`) whose only retained registry event is after the cutoff.
   * MESH_REGISTRY keeps just the latest event per workload, so their state at the point is
   * unknown; they are left out of `state`.
   */
  readonly unknownWorkloads: readonly string[];
}

/** Folding in chunks: `replay` copies the state's maps once per call, never per event; small enough that a chunk of decoded events dies young. */
const CHUNK_EVENTS = 1024;

/**
 * Replays the log up to a point with the shared reducer: the one way the CLI's `at`, `diff`
 * and galley's rollback build past state. Feed MESH_CONFIG in order until `config` returns
 * false (the event is past the point: stop reading), then MESH_REGISTRY in order.
 * `point` undefined: the whole log (registry included in full).
 */
export class PointInTimeFold {
  private state: MeshState = emptyMeshState;
  private pending: LogEvent[] = [];
  private lastConfigAt: string | undefined;
  private configDone = false;
  private readonly unknown: string[] = [];

  constructor(private readonly point?: TimePoint) {}

  /** Folds a config event at or before the point; false (and nothing folded) once past it. */
  config(seq: number, event: ChangeSet): boolean {
    if (this.configDone) return false;
    if (this.point !== undefined && isAfterPoint(this.point, seq, event.at)) {
      this.configDone = true;
      return false;
    }
    this.lastConfigAt = event.at;
    this.push(configLogEvent(seq, event));
    return true;
  }

  /** The time registry events are cut at (see PointInTime.registryCutoff). */
  registryCutoff(): string | undefined {
    if (this.point === undefined) return undefined;
    if (this.point.kind === 'time') return this.point.at;
    // Before the first change nothing was registered that we can place in time.
    return this.lastConfigAt ?? new Date(0).toISOString();
  }

  registry(seq: number, event: RegistryEvent): void {
    this.configDone = true;
    const cutoff = this.registryCutoff();
    if (cutoff !== undefined && instantOf(event.at) > instantOf(cutoff)) {
      this.unknown.push(`${event.namespace}/${event.name}`);
      return;
    }
    this.push(registryLogEvent(seq, event));
  }

  result(): PointInTime {
    this.flush();
    const cutoff = this.registryCutoff();
    return { state: this.state, ...(cutoff !== undefined ? { registryCutoff: cutoff } : {}), unknownWorkloads: [...new Set(this.unknown)].sort() };
  }

  private push(e: LogEvent): void {
    this.pending.push(e);
    if (this.pending.length >= CHUNK_EVENTS) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.state = replay(this.state, this.pending);
    this.pending = [];
  }
}
