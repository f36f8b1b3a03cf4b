import cytoscape from 'cytoscape';
import { useEffect, useRef, useState } from 'react';
import { failureLines, type ConsoleApi, type HostRouting, type TopologyEdge, type TopologyNode, type Traffic } from './api.js';
import { Refusal } from './Refusal.js';

type TopologyAnswer = Awaited<ReturnType<ConsoleApi['topology']>>;

const trafficText = (t: Traffic | undefined): string =>
  t === undefined ? '' : `${t.rps.toFixed(2)} rps · ${(t.errorRate * 100).toFixed(1)}% err · p99 ${Number.isFinite(t.p99Ms) ? `${t.p99Ms.toFixed(0)}ms` : '-'}`;

export const edgeLabel = (e: TopologyEdge): string =>
  [e.subset, e.weight !== undefined ? `${e.weight}%` : 'by match', e.tlsMode === 'ISTIO_MUTUAL' || e.inboundMtls === 'STRICT' ? 'mTLS' : undefined, trafficText(e.traffic) || undefined]
    .filter((x) => x !== undefined)
    .join(' · ');

const shortName = (n: TopologyNode): string => (n.kind === 'service' ? n.label.split('.')[0]! : n.label.replace(/^\S+ /, ''));

function Graph({ topology, onSelect }: { topology: TopologyAnswer; onSelect: (id: string) => void }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (box.current === null) return;
    const cy = cytoscape({
      container: box.current,
      elements: [
        ...topology.nodes.map((n) => ({ data: { id: n.id, label: shortName(n), kind: n.kind } })),
        ...topology.edges.map((e) => ({ data: { id: e.id, source: e.source, target: e.target, label: edgeLabel(e), mtls: e.tlsMode === 'ISTIO_MUTUAL' ? 'yes' : 'no' } })),
      ],
      style: [
        { selector: 'node', style: { label: 'data(label)', 'text-valign': 'bottom', 'font-size': 11, 'background-color': '#4a7bd0' } },
        { selector: 'node[kind = "service"]', style: { shape: 'round-rectangle', width: 46, height: 30, 'background-color': '#2f6f4f' } },
        { selector: 'edge', style: { label: 'data(label)', 'font-size': 10, 'curve-style': 'bezier', 'target-arrow-shape': 'triangle', width: 2, 'line-color': '#999', 'target-arrow-color': '#999', 'text-background-color': '#fff', 'text-background-opacity': 1 } },
        { selector: 'edge[mtls = "yes"]', style: { 'line-color': '#2f6f4f', 'target-arrow-color': '#2f6f4f', 'line-style': 'solid' } },
        { selector: 'edge[mtls = "no"]', style: { 'line-style': 'dashed' } },
      ],
      layout: { name: 'breadthfirst', directed: true, padding: 30, spacingFactor: 1.4 },
    });
    cy.on('tap', 'node', (evt) => onSelect(evt.target.id() as string));
    return () => cy.destroy();
  }, [topology, onSelect]);
  return <div className="graph" ref={box} data-testid="topology-graph" />;
}

function NodeDetails({ node, routing }: { node: TopologyNode; routing: HostRouting | undefined }) {
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
        {topology.traffic === 'live' ? 'live traffic: the last minute, from telemetry' : topology.traffic === 'past' ? 'a past moment: no live traffic shown' : 'no telemetry answered: traffic not shown'}
      </p>
      <div className="topology-body">
        <Graph topology={topology} onSelect={setSelected} />
        {node !== undefined && <NodeDetails node={node} routing={routes.find((r) => `service:${r.snapshot.host}` === node.id)} />}
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
              <td>{e.weight !== undefined ? `${e.weight}%` : 'by match'}</td>
              <td>{[e.tlsMode, e.inboundMtls !== undefined ? `inbound ${e.inboundMtls}` : undefined].filter(Boolean).join(', ') || 'none'}</td>
              <td>{trafficText(e.traffic) || '-'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
