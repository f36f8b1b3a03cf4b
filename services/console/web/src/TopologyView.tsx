import cytoscape from 'cytoscape';
import { useEffect, useRef, useState } from 'react';
import { failureLines, type ConsoleApi, type HostRouting, type ProxyStatusAnswer, type TopologyEdge, type TopologyNode, type Traffic } from './api.js';
import { Refusal } from './Refusal.js';

type TopologyAnswer = Awaited<ReturnType<ConsoleApi['topology']>>;

const trafficText = (t: Traffic | undefined): string =>
  t === undefined ? '' : `${t.rps.toFixed(2)} rps · ${(t.errorRate * 100).toFixed(1)}% err · p99 ${Number.isFinite(t.p99Ms) ? `${t.p99Ms.toFixed(0)}ms` : '-'}`;

// A call edge is mutual TLS when the server side saw every call so; a route edge when the DestinationRule or the receiver asks for it.
const isMtls = (e: TopologyEdge): boolean => (e.kind === 'call' ? e.observedMtls === 1 : e.tlsMode === 'ISTIO_MUTUAL' || e.inboundMtls === 'STRICT');

const tlsText = (e: TopologyEdge): string =>
  e.kind === 'call'
    ? [e.tlsMode, e.observedMtls !== undefined ? `mTLS on ${(e.observedMtls * 100).toFixed(0)}% (seen)` : undefined].filter(Boolean).join(', ') || 'not reported'
    : [e.tlsMode, e.inboundMtls !== undefined ? `inbound ${e.inboundMtls}` : undefined].filter(Boolean).join(', ') || 'none';

export const edgeLabel = (e: TopologyEdge): string =>
  (e.kind === 'call' ? [isMtls(e) ? 'mTLS' : undefined, trafficText(e.traffic)] : [e.subset, e.weight !== undefined ? `${e.weight}%` : 'by match', isMtls(e) ? 'mTLS' : undefined])
    .filter((x) => x !== undefined)
    .join(' · ');

/** `2h 5m left` / `expired 3m ago`. */
export const timeLeft = (notAfter: string, nowMs: number): string => {
  const ms = Date.parse(notAfter) - nowMs;
  const abs = Math.abs(ms);
  const h = Math.floor(abs / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const text = h >= 48 ? `${Math.floor(h / 24)}d ${h % 24}h` : h > 0 ? `${h}h ${m}m` : `${m}m`;
  return ms >= 0 ? `${text} left` : `expired ${text} ago`;
};

/** `registry ns/name` (a proxy's own entry) and `WorkloadEntry ns/name` name a workload a proxy may serve. */
const workloadName = (label: string): { namespace: string; name: string } | undefined => {
  const m = /^(?:registry|WorkloadEntry) ([^/\s]+)\/(\S+)$/.exec(label);
  return m === null ? undefined : { namespace: m[1]!, name: m[2]! };
};

/** The workload's proxies now: sidecars with their snapshots against KV and certificate, xDS clients per type. */
function ProxyStatus({ api, node }: { api: ConsoleApi; node: TopologyNode }) {
  const [answer, setAnswer] = useState<ProxyStatusAnswer & { at: string }>();
  const [problem, setProblem] = useState<readonly string[]>();
  const workload = workloadName(node.label);
  useEffect(() => {
    setAnswer(undefined);
    setProblem(undefined);
    if (workload === undefined) return;
    api
      .proxies(workload.namespace, workload.name)
      .then(setAnswer)
      .catch((e: unknown) => setProblem(failureLines(e)));
  }, [api, workload?.namespace, workload?.name]);
  if (workload === undefined) return null;
  if (problem !== undefined) return <Refusal lines={problem} />;
  if (answer === undefined) return <p>asking its proxies…</p>;
  const now = Date.parse(answer.at);
  return (
    <section data-testid="proxy-status">
      <h4>proxies (now, whatever the slider says)</h4>
      {answer.sidecars.length === 0 && answer.xds.length === 0 && <p className="note">no proxy answered for this workload: no sidecar runs beside it, or it is away</p>}
      {answer.sidecars.map((p) => (
        <table key={`${p.namespace}/${p.name}`} className="proxy" data-testid={`sidecar-${p.name}`}>
          <caption>
            {p.gateway ? 'gateway' : 'sidecar'} {p.name}.{p.namespace}: <span className={`sync ${p.sync}`}>{p.sync}</span>
          </caption>
          <tbody>
            <tr>
              <th>certificate expires</th>
              <td colSpan={2}>{p.certificateNotAfter === undefined ? 'no certificate yet' : `${p.certificateNotAfter} (${timeLeft(p.certificateNotAfter, now)})`}</td>
            </tr>
            {p.keys.map((k) => (
              <tr key={k.key}>
                <td>{k.key}</td>
                <td className={`sync ${k.sync}`}>{k.sync}</td>
                <td>
                  {k.sync === 'NACKED' ? `refused revision ${k.refusedRevision ?? '?'}: ${k.refusedReason ?? ''}` : `revision ${k.revision ?? 'none'}${k.kvRevision !== undefined && k.kvRevision !== k.revision ? ` (KV ${k.kvRevision})` : ''}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
      {answer.xds.map((s) => (
        <table key={`${s.replica}/${s.node}`} className="proxy" data-testid={`xds-${s.node}`}>
          <caption>
            xDS client {s.node} on {s.replica} ({s.protocol})
          </caption>
          <tbody>
            {s.types.map((t) => (
              <tr key={t.type}>
                <td>{t.type}</td>
                <td className={`sync ${t.status}`}>{t.status}</td>
                <td>{t.status === 'NACKED' ? `rejected ${t.rejected ?? ''}: ${t.error ?? ''}` : (t.acked ?? '')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </section>
  );
}

const shortName = (n: TopologyNode): string => (n.kind === 'service' ? n.label.split('.')[0]! : n.label.replace(/^\S+ /, ''));

function Graph({ topology, onSelect }: { topology: TopologyAnswer; onSelect: (id: string) => void }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (box.current === null) return;
    const cy = cytoscape({
      container: box.current,
      elements: [
        ...topology.nodes.map((n) => ({ data: { id: n.id, label: shortName(n), kind: n.kind } })),
        ...topology.edges.map((e) => ({ data: { id: e.id, source: e.source, target: e.target, label: edgeLabel(e), kind: e.kind, mtls: isMtls(e) ? 'yes' : 'no' } })),
      ],
      style: [
        { selector: 'node', style: { label: 'data(label)', 'text-valign': 'bottom', 'font-size': 11, 'background-color': '#4a7bd0' } },
        { selector: 'node[kind = "service"]', style: { shape: 'round-rectangle', width: 46, height: 30, 'background-color': '#2f6f4f' } },
        { selector: 'edge', style: { label: 'data(label)', 'font-size': 10, 'curve-style': 'bezier', 'target-arrow-shape': 'triangle', width: 2, 'line-color': '#999', 'target-arrow-color': '#999', 'text-background-color': '#fff', 'text-background-opacity': 1 } },
        { selector: 'edge[mtls = "yes"]', style: { 'line-color': '#2f6f4f', 'target-arrow-color': '#2f6f4f', 'line-style': 'solid' } },
        { selector: 'edge[mtls = "no"]', style: { 'line-style': 'dashed' } },
        { selector: 'edge[kind = "call"]', style: { width: 3, 'line-color': '#1f5fa0', 'target-arrow-color': '#1f5fa0', color: '#1f5fa0', 'font-weight': 'bold' } },
      ],
      layout: { name: 'breadthfirst', directed: true, padding: 30, spacingFactor: 1.4 },
      // A graph of a few nodes would otherwise be zoomed until its labels are huge.
      maxZoom: 1.5,
    });
    cy.on('tap', 'node', (evt) => onSelect(evt.target.id() as string));
    // The details panel narrows the graph when it opens: the canvas follows its box.
    const resized = new ResizeObserver(() => {
      cy.resize();
      cy.fit(undefined, 30);
    });
    resized.observe(box.current);
    return () => {
      resized.disconnect();
      cy.destroy();
    };
  }, [topology, onSelect]);
  return <div className="graph" ref={box} data-testid="topology-graph" />;
}

function NodeDetails({ api, node, routing }: { api: ConsoleApi; node: TopologyNode; routing: HostRouting | undefined }) {
  return (
    <aside className="details" data-testid="node-details">
      <h3>{node.label}</h3>
      <dl>
        <dt>kind</dt>
        <dd>{node.kind}</dd>
        {node.inboundMtls !== undefined && (
          <>
            <dt>inbound mTLS</dt>
            <dd>{node.inboundMtls}</dd>
          </>
        )}
        {node.traffic !== undefined && (
          <>
            <dt>traffic</dt>
            <dd>{trafficText(node.traffic)}</dd>
          </>
        )}
        {Object.entries(node.details).map(([k, v]) => (
          <span key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </span>
        ))}
      </dl>
      {node.kind === 'workload' && <ProxyStatus api={api} node={node} />}
      {routing !== undefined && <RouteTable routing={routing} />}
    </aside>
  );
}

/** One host's route table: each rule's destinations with weights, as `jetmesh routes` lists them. */
export function RouteTable({ routing }: { routing: HostRouting }) {
  return (
    <table className="routes" data-testid={`routes-${routing.snapshot.host}`}>
      <caption>{routing.snapshot.host}</caption>
      <thead>
        <tr>
          <th>rule</th>
          <th>match</th>
          <th>destination</th>
          <th>weight</th>
        </tr>
      </thead>
      <tbody>
        {routing.snapshot.routes.flatMap((r, i) =>
          r.destinations.map((d, j) => (
            <tr key={`${i}.${j}`}>
              <td>{j === 0 ? (r.name ?? `#${i}`) : ''}</td>
              <td>{j === 0 ? (r.match.length === 0 ? 'any' : JSON.stringify(r.match)) : ''}</td>
              <td>
                {d.host}
                {d.subset !== undefined ? ` (${d.subset})` : ''}
              </td>
              <td>{d.weight}%</td>
            </tr>
          )),
        )}
      </tbody>
    </table>
  );
}

export function TopologyView({ api, seq }: { api: ConsoleApi; seq: number | undefined }) {
  const [topology, setTopology] = useState<TopologyAnswer>();
  const [routes, setRoutes] = useState<HostRouting[]>([]);
  const [selected, setSelected] = useState<string>();
  const [problem, setProblem] = useState<readonly string[]>();
  useEffect(() => {
    setProblem(undefined);
    Promise.all([api.topology(seq), api.routes(seq)])
      .then(([t, r]) => {
        setTopology(t);
        setRoutes(r.routes);
      })
      .catch((e: unknown) => setProblem(failureLines(e)));
  }, [api, seq]);
  if (problem !== undefined) return <Refusal lines={problem} />;
  if (topology === undefined) return <p>loading…</p>;
  const node = topology.nodes.find((n) => n.id === selected);
  const label = (id: string) => topology.nodes.find((n) => n.id === id)?.label ?? id;
  return (
    <section className="topology">
      <p className="note" data-testid="traffic-note">
        {topology.traffic === 'live'
          ? 'live traffic: the last minute, from telemetry (blue edges: calls seen)'
          : topology.traffic === 'past'
            ? 'traffic: live only. The slider is at a past change, so no traffic is shown on its topology'
            : 'no telemetry answered: traffic not shown, routing edges only'}
      </p>
      <div className="topology-body">
        <Graph topology={topology} onSelect={setSelected} />
        {node !== undefined && <NodeDetails api={api} node={node} routing={routes.find((r) => `service:${r.snapshot.host}` === node.id)} />}
      </div>
      <table data-testid="edges">
        <caption>edges</caption>
        <thead>
          <tr>
            <th>from</th>
            <th>to</th>
            <th>subset</th>
            <th>weight</th>
            <th>TLS</th>
            <th>traffic</th>
          </tr>
        </thead>
        <tbody>
          {topology.edges.map((e) => (
            <tr key={e.id}>
              <td>{label(e.source)}</td>
              <td>
                <button className="link" onClick={() => setSelected(e.target)}>
                  {label(e.target)}
                </button>
              </td>
              <td>{e.subset ?? ''}</td>
              <td>{e.kind === 'call' ? 'call' : e.weight !== undefined ? `${e.weight}%` : 'by match'}</td>
              <td>{tlsText(e)}</td>
              <td>{trafficText(e.traffic) || '-'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
