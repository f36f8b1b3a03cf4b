import { useEffect, useState } from 'react';
import { failureLines, type ConsoleApi, type ResourceView } from './api.js';
import { Refusal } from './Refusal.js';

/** Every resource at the moment shown, by kind and namespace, with its YAML and the analyzers' findings inline. */
export function ConfigView({ api, seq }: { api: ConsoleApi; seq: number | undefined }) {
  const [resources, setResources] = useState<ResourceView[]>();
  const [kind, setKind] = useState('');
  const [namespace, setNamespace] = useState('');
  const [open, setOpen] = useState<string>();
  const [problem, setProblem] = useState<readonly string[]>();
  useEffect(() => {
    setProblem(undefined);
    api
      .resources(seq)
      .then((r) => setResources(r.resources))
      .catch((e: unknown) => setProblem(failureLines(e)));
  }, [api, seq]);
  if (problem !== undefined) return <Refusal lines={problem} />;
  if (resources === undefined) return <p>loading…</p>;
  const kinds = [...new Set(resources.map((r) => r.kind))].sort();
  const namespaces = [...new Set(resources.map((r) => r.namespace))].sort();
  const shown = resources.filter((r) => (kind === '' || r.kind === kind) && (namespace === '' || r.namespace === namespace));
  const key = (r: ResourceView) => `${r.kind}/${r.namespace}/${r.name}`;
  return (
    <section className="config">
      <div className="filters">
        <label>
          kind{' '}
          <select value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="">all</option>
            {kinds.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        <label>
          namespace{' '}
          <select value={namespace} onChange={(e) => setNamespace(e.target.value)}>
            <option value="">all</option>
            {namespaces.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
      </div>
      {shown.length === 0 && <p>No resources.</p>}
      <ul className="resources" data-testid="resources">
        {shown.map((r) => (
          <li key={key(r)}>
            <button className="link" onClick={() => setOpen(open === key(r) ? undefined : key(r))}>
              {r.kind} {r.namespace}/{r.name}
            </button>{' '}
            <span className="version">resourceVersion {r.resourceVersion}</span>
            {r.findings.map((f, i) => (
              <div key={i} className={`finding ${f.level.toLowerCase()}`}>
                {f.level} [{f.code}] {f.path !== '' ? `${f.path}: ` : ''}
                {f.message}
              </div>
            ))}
            {open === key(r) && <pre className="yaml">{r.yaml}</pre>}
          </li>
        ))}
      </ul>
    </section>
  );
}
