/**
 * When the server runs with ISENGARD_API_TOKEN, /api/* answers 401 until the browser holds a
 * session. This asks GET /api/session whether one is open; if not it asks for the token once,
 * exchanges it at POST /api/session for an HttpOnly session cookie (scripts never see the token
 * again), then lets the app render. A server without a token says so inside index.html, and the
 * gate then opens without asking. `useSession()` gives the app a Log out action.
 */
import { createContext, useCallback, useContext, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { servedBootData } from '../lib/boot-data.js';
import { CLIENT_HEADER, CORRELATION_HEADER, newCorrelationId } from '../lib/trpc.js';

type GateState = 'checking' | 'open' | 'locked';

interface SessionControl {
  /** True when the server needs a token, so there is a session to end. */
  auth: boolean;
  logout(): Promise<void>;
}

const SessionContext = createContext<SessionControl>({ auth: false, logout: async () => undefined });
export const useSession = () => useContext(SessionContext);

interface Verdict {
  state: GateState;
  auth: boolean;
}

const verdict = (body: { auth?: boolean; authenticated?: boolean }): Verdict => ({
  state: body.auth && !body.authenticated ? 'locked' : 'open',
  auth: body.auth === true,
});

async function probe(): Promise<Verdict> {
  try {
    const res = await fetch('/api/session', { headers: { [CORRELATION_HEADER]: newCorrelationId() } });
    return verdict((await res.json()) as { auth?: boolean; authenticated?: boolean });
  } catch {
    return { state: 'open', auth: false }; // unreachable: the app shows its own error states
  }
}

let early: Promise<Verdict> | null = null;
/** The session state index.html carried (lib/boot-data.ts): the gate starts from it, unasked. */
let served: Verdict | null = null;
/** Starts the session probe before React's first render (main.tsx); the gate's first check uses it. */
export function probeSessionEarly(): void {
  const session = servedBootData()?.session;
  if (session) served = verdict(session);
  else early ??= probe();
}

export function TokenGate({ children }: { children: ReactNode }) {
  // Known at once when index.html said so: the app renders in the first pass, no "Connecting…".
  const [first] = useState(() => served);
  const [state, setState] = useState<GateState>(first?.state ?? 'checking');
  const [auth, setAuth] = useState(first?.auth ?? false);
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const queryClient = useQueryClient();

  const check = useCallback(async () => {
    const pending = early ?? probe();
    early = null;
    const result = await pending;
    setAuth(result.auth);
    setState(result.state);
  }, []);

  useEffect(() => {
    if (!first) void check();
  }, [check, first]);

  const logout = useCallback(async () => {
    await fetch('/api/session', { method: 'DELETE', headers: { [CORRELATION_HEADER]: newCorrelationId(), [CLIENT_HEADER]: 'web' } }).catch(() => undefined);
    queryClient.clear(); // nothing fetched with the session stays on screen
    setToken('');
    await check();
  }, [check, queryClient]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await fetch('/api/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json', [CORRELATION_HEADER]: newCorrelationId(), [CLIENT_HEADER]: 'web' },
        body: JSON.stringify({ token }),
      });
      if (res.ok) {
        setToken('');
        await check();
      } else setError(((await res.json().catch(() => null)) as { error?: string } | null)?.error ?? `Refused (${res.status})`);
    } catch (err) {
      setError(`Server unreachable: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  }

  if (state === 'open') return <SessionContext.Provider value={{ auth, logout }}>{children}</SessionContext.Provider>;
  if (state === 'checking') return <p className="loading">Connecting…</p>;
  return (
    <main>
      <form className="card form token-gate" onSubmit={(e) => void submit(e)}>
        <h1>Isengard is locked</h1>
        <p className="muted">This server needs its API token. This browser then keeps a session (an HttpOnly cookie) until you log out or it sits unused.</p>
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

/** The top bar's Log out button; nothing when the server needs no token. */
export function LogoutButton() {
  const { auth, logout } = useSession();
  const [busy, setBusy] = useState(false);
  if (!auth) return null;
  return (
    <button
      type="button"
      className="secondary logout"
      disabled={busy}
      onClick={() => {
        setBusy(true);
        void logout().finally(() => setBusy(false));
      }}
    >
      Log out
    </button>
  );
}
