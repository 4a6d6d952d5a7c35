/** Shell: top bar with navigation and server health, then the page for the current route. */
import { Component, Suspense, useEffect, type ErrorInfo, type ReactNode } from 'react';
import { ReadinessBanner } from './components/ReadinessBanner.js';
import { Link, matchPath, useRouter } from './lib/router.js';
import { trpc } from './lib/trpc.js';
import { LogoutButton } from './components/TokenGate.js';
import { Loading } from './components/Loading.js';
import { CharactersPage, EvaluationPage, GeneratePage, JobsPage, TrainingJobPage, TrainingPage } from './lib/lazy-pages.js';

const NAV = [
  { to: '/characters', label: 'Characters' },
  { to: '/training', label: 'Training' },
  { to: '/generate', label: 'Generate' },
  { to: '/jobs', label: 'Jobs' },
];

function Health() {
  const health = trpc.system.health.useQuery(undefined, { refetchInterval: 15_000, retry: false });
  const info = trpc.system.info.useQuery(undefined, { staleTime: 5 * 60_000 });
  if (health.error) return <span className="health down">server unreachable</span>;
  if (!health.data) return <span className="health">…</span>;
  const ok = health.data.redis === 'ok' && health.data.workers > 0;
  return (
    <span className={`health ${ok ? 'up' : 'warn'}`} title={info.data ? `${info.data.mode} · v${info.data.version}` : undefined}>
      {health.data.redis === 'ok'
        ? `${health.data.workers} worker${health.data.workers === 1 ? '' : 's'}`
        : health.data.redis === 'refuses-writes'
          ? `redis refuses writes (${health.data.redis_reason ?? '?'})`
          : 'redis down'}
    </span>
  );
}

function Page({ path }: { path: string }) {
  let m: Record<string, string> | null;
  if (matchPath('/characters', path)) return <CharactersPage />;
  if (matchPath('/training', path)) return <TrainingPage />;
  if ((m = matchPath('/training/:jobId', path))) return <TrainingJobPage key={m.jobId} jobId={m.jobId!} />;
  if (matchPath('/generate', path)) return <GeneratePage />;
  if (matchPath('/jobs', path)) return <JobsPage />;
  if ((m = matchPath('/jobs/:jobId', path))) return <JobsPage jobId={m.jobId} />;
  if ((m = matchPath('/evaluations/:id', path))) return <EvaluationPage key={m.id} id={m.id!} />;
  return (
    <div className="page">
      <h1>Not found</h1>
      <p>
        Nothing lives at <span className="mono">{path}</span>. <Link to="/characters">Go to Characters</Link>.
      </p>
    </div>
  );
}

/** A render error in one page should not blank the whole app. */
class Boundary extends Component<{ children: ReactNode; resetKey: string }, { error: Error | null; key: string }> {
  override state = { error: null as Error | null, key: this.props.resetKey };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  static getDerivedStateFromProps(props: { resetKey: string }, state: { key: string }) {
    return props.resetKey !== state.key ? { error: null, key: props.resetKey } : null;
  }
  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error(error, info.componentStack);
  }
  override render() {
    if (this.state.error) {
      return (
        <div className="page error-box" role="alert">
          <p>This page failed to render: {this.state.error.message}</p>
        </div>
      );
    }
    return this.props.children;
  }
}

export function App() {
  const { path, navigate } = useRouter();
  const route = path === '/' ? '/characters' : path;
  useEffect(() => {
    if (path === '/') navigate('/characters', { replace: true });
  }, [path, navigate]);
  return (
    <>
      <header className="topbar">
        <Link to="/characters" className="brand">
          Isengard
        </Link>
        <nav aria-label="Main">
          {NAV.map((n) => (
            <Link key={n.to} to={n.to} className="nav-link" aria-current={route === n.to || route.startsWith(`${n.to}/`) ? 'page' : undefined}>
              {n.label}
            </Link>
          ))}
        </nav>
        <Health />
        <LogoutButton />
      </header>
      <ReadinessBanner />
      <main>
        <Boundary resetKey={route}>
          <Suspense fallback={<Loading what="page" />}>
            <Page path={route} />
          </Suspense>
        </Boundary>
      </main>
    </>
  );
}
