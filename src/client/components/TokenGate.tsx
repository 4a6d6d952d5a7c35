/**
 * When the server runs with ISENGARD_API_TOKEN, /api/* answers 401 until the browser holds the
 * session cookie. This asks for the token once, exchanges it at POST /api/session (the cookie is
 * HttpOnly, so scripts never see it again), then lets the app render.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { CORRELATION_HEADER, newCorrelationId } from '../lib/trpc.js';

type GateState = 'checking' | 'open' | 'locked';

async function probe(): Promise<GateState> {
  try {
    const res = await fetch('/api/info', { headers: { [CORRELATION_HEADER]: newCorrelationId() } });
    return res.status === 401 ? 'locked' : 'open';
  } catch {
    return 'open'; // unreachable: the app shows its own error states
  }
}

export function TokenGate({ children }: { children: ReactNode }) {
  const [state, setState] = useState<GateState>('checking');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void probe().then(setState);
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await fetch('/api/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json', [CORRELATION_HEADER]: newCorrelationId() },
        body: JSON.stringify({ token }),
      });
      if (res.ok) setState(await probe());
      else setError(((await res.json().catch(() => null)) as { error?: string } | null)?.error ?? `Refused (${res.status})`);
    } catch (err) {
      setError(`Server unreachable: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  }

  if (state === 'open') return <>{children}</>;
  if (state === 'checking') return <p className="loading">Connecting…</p>;
  return (
    <main>
      <form className="card form token-gate" onSubmit={(e) => void submit(e)}>
        <h1>Isengard is locked</h1>
        <p className="muted">This server needs its API token. It is kept in an HttpOnly cookie for this browser.</p>
        <div className="field">
          <label htmlFor="api-token">API token</label>
          <input id="api-token" type="password" autoComplete="current-password" value={token} onChange={(e) => setToken(e.target.value)} />
        </div>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="submit" disabled={busy || token.length === 0}>
            Unlock
          </button>
        </div>
      </form>
    </main>
  );
}
