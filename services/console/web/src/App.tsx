import { useCallback, useEffect, useMemo, useState } from 'react';
import { createApi, failureLines, type HistoryEntry, type WhoAmI } from './api.js';
import { ConfigView } from './ConfigView.js';
import { Refusal } from './Refusal.js';
import { TimelineView } from './TimelineView.js';
import { forgetToken, saveToken, takeToken } from './token-store.js';
import { TopologyView } from './TopologyView.js';

type ViewName = 'topology' | 'config' | 'timeline';

function TokenForm({ onToken, problem }: { onToken: (t: string) => void; problem?: readonly string[] }) {
  const [text, setText] = useState('');
  return (
    <form
      className="token-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim() !== '') onToken(text.trim());
      }}
    >
      <h1>Jetmesh console</h1>
      <p>
        Paste a config token (<code>jetmesh token create --actor you --namespaces '*' --verbs read</code>; rollback needs apply and delete too).
      </p>
      <textarea aria-label="config token" value={text} onChange={(e) => setText(e.target.value)} rows={4} />
      <button type="submit">Open</button>
      {problem !== undefined && <Refusal lines={problem} />}
    </form>
  );
}

export function App() {
  const [token, setToken] = useState<string | undefined>(() => takeToken());
  const [who, setWho] = useState<WhoAmI>();
  const [tokenProblem, setTokenProblem] = useState<readonly string[]>();
  const [view, setView] = useState<ViewName>('topology');
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  const [lastSeq, setLastSeq] = useState(0);
  // undefined: follow the end of the log; a number: the moment the timeline slider points at.
  const [seq, setSeq] = useState<number>();
  const api = useMemo(() => (token === undefined ? undefined : createApi(token)), [token]);

  const reloadHistory = useCallback(async () => {
    if (api === undefined) return;
    const h = await api.history();
    setHistory(h.entries);
    setLastSeq(h.lastSeq);
  }, [api]);

  useEffect(() => {
    if (api === undefined) return;
    api
      .whoami()
      .then((w) => {
        setWho(w);
        return reloadHistory();
      })
      .catch((e: unknown) => {
        forgetToken();
        setToken(undefined);
        setTokenProblem(failureLines(e));
      });
  }, [api, reloadHistory]);

  if (api === undefined || who === undefined) {
    return (
      <TokenForm
        problem={tokenProblem}
        onToken={(t) => {
          saveToken(t);
          setTokenProblem(undefined);
          setToken(t);
        }}
      />
    );
  }
  const shown = seq ?? lastSeq;
  return (
    <div className="console">
      <header>
        <strong>Jetmesh</strong>
        <nav>
          {(['topology', 'config', 'timeline'] as const).map((v) => (
            <button key={v} className={v === view ? 'active' : ''} onClick={() => setView(v)}>
              {v[0]!.toUpperCase() + v.slice(1)}
            </button>
          ))}
        </nav>
        <span data-testid="position" className={seq === undefined ? 'position' : 'position past'}>
          {seq === undefined ? `now: change #${lastSeq}` : `as of change #${shown} of ${lastSeq}`}
        </span>
        {seq !== undefined && <button onClick={() => setSeq(undefined)}>back to now</button>}
        <span className="who">
          {who.actor} ({who.verbs.join(',')})
          <button
            onClick={() => {
              forgetToken();
              setWho(undefined);
              setToken(undefined);
            }}
          >
            sign out
          </button>
        </span>
      </header>
      <main>
        {view === 'topology' && <TopologyView api={api} seq={seq} />}
        {view === 'config' && <ConfigView api={api} seq={seq} />}
        {view === 'timeline' && <TimelineView api={api} seq={shown} lastSeq={lastSeq} history={history} onSeq={(s) => setSeq(s === lastSeq ? undefined : s)} onChanged={reloadHistory} />}
      </main>
    </div>
  );
}
