/**
 * A banner under the top bar while the pod's readiness doctor finds a problem (warn or fail), with
 * each problem's fix. A fast-test studio has none, so it shows nothing.
 */
import { worstStatus } from '../../shared/readiness.js';
import { trpc } from '../lib/trpc.js';

export function ReadinessBanner() {
  const readiness = trpc.system.readiness.useQuery(undefined, { refetchInterval: 60_000, retry: false, staleTime: 30_000 });
  const items = readiness.data?.items ?? [];
  const problems = items.filter((i) => i.status !== 'ok');
  if (problems.length === 0) return null;
  const worst = worstStatus(problems);
  return (
    <section className={`readiness-banner ${worst}`} role="region" aria-label="Setup problems">
      <strong>{worst === 'fail' ? 'This pod is not ready' : 'This pod needs attention'}</strong>
      <span className="muted small"> · ./start.sh doctor prints this list</span>
      <ul>
        {problems.map((p) => (
          <li key={p.id}>
            <span className={`readiness-status ${p.status}`}>{p.status === 'fail' ? 'FAIL' : 'WARN'}</span> <span className="mono">{p.id}</span>: {p.message}
            {p.fix ? <div className="muted small">Fix: {p.fix}</div> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
