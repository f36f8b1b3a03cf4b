import { useEffect, useState } from 'react';
import { failureLines, type ChainVerdict, type ConsoleApi, type Diff, type HistoryEntry, type HostRouting, type RollbackAnswer, type ValueChange } from './api.js';
import { Refusal } from './Refusal.js';
import { RouteTable } from './TopologyView.js';

const value = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));
const fieldLines = (fields: readonly ValueChange[]) =>
  fields.map((f, i) => (
    <div key={i} className="field">
      {f.path}: {value(f.before)} → {value(f.after)}
    </div>
  ));

function DiffPanel({ api, from, to }: { api: ConsoleApi; from: number; to: number }) {
  const [diff, setDiff] = useState<Diff>();
  const [problem, setProblem] = useState<readonly string[]>();
  useEffect(() => {
    setProblem(undefined);
    api
      .diff(from, to)
      .then(setDiff)
      .catch((e: unknown) => setProblem(failureLines(e)));
  }, [api, from, to]);
  if (problem !== undefined) return <Refusal lines={problem} />;
  if (diff === undefined) return <p>loading diff…</p>;
  return (
    <div className="diff" data-testid="diff">
      <h3>
        Diff #{from} → #{to}
      </h3>
      <h4>Configuration ({diff.config.length})</h4>
      {diff.config.map((d) => (
        <div key={`${d.ref.kind}/${d.ref.namespace}/${d.ref.name}`} className={`change ${d.change}`}>
          {d.change} {d.ref.kind} {d.ref.namespace}/{d.ref.name}
          {d.change === 'changed' && fieldLines(d.fields)}
        </div>
      ))}
      <h4>Routing ({diff.routing.length})</h4>
      {diff.routing.map((d) => (
        <div key={d.host} className={`change ${d.change}`}>
          {d.change} {d.host}
          {d.change === 'changed' && fieldLines(d.fields)}
        </div>
      ))}
      {diff.config.length === 0 && diff.routing.length === 0 && <p>No differences.</p>}
    </div>
  );
}

/** "Roll back to here": a dry-run preview first, then the real change with a reason. Refusals show the refuser's reasons. */
function RollbackPanel({ api, target, onDone, onClose }: { api: ConsoleApi; target: number; onDone: () => void; onClose: () => void }) {
  const [reason, setReason] = useState('');
  const [preview, setPreview] = useState<RollbackAnswer>();
  const [recorded, setRecorded] = useState<RollbackAnswer>();
  const [problem, setProblem] = useState<readonly string[]>();
  useEffect(() => {
    setProblem(undefined);
    api
      .rollback(target, 'preview from the console', true)
      .then(setPreview)
      .catch((e: unknown) => setProblem(failureLines(e)));
  }, [api, target]);
  const ref = (c: RollbackAnswer['changes'][number]) => (c.ref === null ? '?' : `${c.ref.kind} ${c.ref.namespace}/${c.ref.name}`);
  return (
    <div className="rollback" data-testid="rollback">
      <h3>Roll back to #{target}</h3>
      {problem !== undefined && <Refusal lines={problem} />}
      {preview !== undefined && recorded === undefined && (
        <>
          <p>Preview (dry run): {preview.changes.length === 0 ? `nothing to roll back: the configuration already equals #${preview.targetSequence}` : 'this change would be recorded:'}</p>
          <ul>
            {preview.changes.map((c, i) => (
              <li key={i}>
                {c.action} {ref(c)}
              </li>
            ))}
          </ul>
          {preview.warnings.map((w, i) => (
            <div key={i} className="finding warning">
              Warning: {w}
            </div>
          ))}
          {preview.changes.length > 0 && (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                setProblem(undefined);
                api
                  .rollback(target, reason, false)
                  .then((r) => {
                    setRecorded(r);
                    onDone();
                  })
                  .catch((err: unknown) => setProblem(failureLines(err)));
              }}
            >
              <input aria-label="reason" placeholder="why (recorded with the change)" value={reason} onChange={(e) => setReason(e.target.value)} />
              <button type="submit">Confirm rollback</button>
            </form>
          )}
        </>
      )}
      {recorded !== undefined && (
        <p data-testid="rollback-recorded">
          recorded as change #{recorded.sequence} (rollback to #{recorded.targetSequence})
        </p>
      )}
      <button onClick={onClose}>close</button>
    </div>
  );
}

function AuditStatus({ api, lastSeq }: { api: ConsoleApi; lastSeq: number }) {
  const [verdict, setVerdict] = useState<ChainVerdict>();
  const [problem, setProblem] = useState<readonly string[]>();
  useEffect(() => {
    api
      .audit()
      .then(setVerdict)
      .catch((e: unknown) => setProblem(failureLines(e)));
  }, [api, lastSeq]);
  if (problem !== undefined) return <Refusal lines={problem} />;
  if (verdict === undefined) return <span>verifying the hash chain…</span>;
  return (
    <span data-testid="audit" className={verdict.intact ? 'audit intact' : 'audit broken'}>
      {verdict.intact
        ? `audit verify: chain intact (${verdict.changes} changes), head #${verdict.headSeq ?? 0} ${verdict.headHash?.slice(0, 12) ?? ''}`
        : `audit verify: chain broken at #${verdict.firstBreak?.seq ?? '?'} (${verdict.firstBreak?.reason ?? ''})`}
    </span>
  );
}

export function TimelineView(props: { api: ConsoleApi; seq: number; lastSeq: number; history: readonly HistoryEntry[]; onSeq: (seq: number) => void; onChanged: () => Promise<void> }) {
  const { api, seq, lastSeq, history } = props;
  const [routes, setRoutes] = useState<HostRouting[]>([]);
  const [pick, setPick] = useState<{ a?: number; b?: number }>({});
  const [rollbackTo, setRollbackTo] = useState<number>();
  const [problem, setProblem] = useState<readonly string[]>();
  useEffect(() => {
    setProblem(undefined);
    api
      .routes(seq)
      .then((r) => setRoutes(r.routes))
      .catch((e: unknown) => setProblem(failureLines(e)));
  }, [api, seq]);
  return (
    <section className="timeline">
      <div className="slider">
        <label htmlFor="seq-slider">change</label>
        <input id="seq-slider" data-testid="seq-slider" type="range" min={0} max={lastSeq} step={1} value={seq} onChange={(e) => props.onSeq(Number(e.target.value))} />
        <output>
          #{seq} of {lastSeq}
        </output>
        <AuditStatus api={api} lastSeq={lastSeq} />
      </div>
      <table className="history" data-testid="history">
        <thead>
          <tr>
            <th>seq</th>
            <th>time</th>
            <th>actor</th>
            <th>action</th>
            <th>resources</th>
            <th>reason</th>
            <th>diff</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {history.map((e) => (
            <tr key={e.seq} data-testid={`change-${e.seq}`} className={e.seq === seq ? 'current' : e.seq > seq ? 'future' : ''} onClick={() => props.onSeq(e.seq)}>
              <td>#{e.seq}</td>
              <td>{e.at}</td>
              <td>{e.actor}</td>
              <td>{e.rollbackOf !== undefined ? `rollback to #${e.rollbackOf}` : e.action}</td>
              <td>{e.resources.map((r) => `${r.action} ${r.kind} ${r.namespace}/${r.name}`).join('; ')}</td>
              <td>{e.reason ?? ''}</td>
              <td onClick={(ev) => ev.stopPropagation()}>
                <button className={pick.a === e.seq ? 'active' : ''} onClick={() => setPick({ ...pick, a: e.seq })} aria-label={`diff from #${e.seq}`}>
                  A
                </button>
                <button className={pick.b === e.seq ? 'active' : ''} onClick={() => setPick({ ...pick, b: e.seq })} aria-label={`diff to #${e.seq}`}>
                  B
                </button>
              </td>
              <td onClick={(ev) => ev.stopPropagation()}>
                <button onClick={() => setRollbackTo(e.seq)}>roll back to here</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {rollbackTo !== undefined && <RollbackPanel key={rollbackTo} api={api} target={rollbackTo} onDone={() => void props.onChanged()} onClose={() => setRollbackTo(undefined)} />}
      {pick.a !== undefined && pick.b !== undefined && <DiffPanel api={api} from={pick.a} to={pick.b} />}
      <h3>Routes as of change #{seq}</h3>
      {problem !== undefined && <Refusal lines={problem} />}
      {routes.map((r) => (
        <RouteTable key={r.snapshot.host} routing={r} />
      ))}
    </section>
  );
}
