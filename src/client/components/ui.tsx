/** Small shared pieces: status badge, progress bar, loading and error states. */
import type { ReactNode } from 'react';
import type { JobStatus } from '../../shared/jobs.js';
import type { ParamIssue } from '../../shared/errors.js';
import { errorMessage, issuesOf } from '../lib/errors.js';
import { formatPercent, formatValue } from '../lib/format.js';
import { formatParamName } from '../../shared/capabilities.js';
import { Loading } from './Loading.js';

export { Loading };

export function StatusBadge({ status }: { status: JobStatus }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}

export function ProgressBar({ value, label }: { value: number; label?: string }) {
  const pct = Math.round(Math.min(1, Math.max(0, value)) * 100);
  return (
    <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={label ?? 'Progress'}>
      <div className="progress-fill" style={{ width: `${pct}%` }} />
      <span className="progress-text">{formatPercent(value)}</span>
    </div>
  );
}


/** A server error as sentences: the message, or the issues no control on screen has claimed. */
export function ErrorBox({ error, issues, onRetry }: { error: unknown; issues?: ParamIssue[]; onRetry?: () => void }) {
  if (!error) return null;
  const all = issuesOf(error);
  const shown = issues ?? all;
  // With issues, the message is just the first issue again; the controls show the claimed ones.
  if (all.length > 0 && shown.length === 0) return null;
  return (
    <div className="error-box" role="alert">
      {all.length === 0 && <p>{errorMessage(error)}</p>}
      {shown.length > 0 && (
        <ul>
          {shown.map((i) => (
            <li key={`${i.param}:${i.message}`}>{i.message}</li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button type="button" className="secondary" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** Renders loading / error / content for one query result. */
export function QueryView<T>(props: {
  query: { data: T | undefined; error: unknown; isPending: boolean; refetch: () => unknown };
  what?: string;
  children: (data: T) => ReactNode;
}) {
  const { query } = props;
  if (query.data !== undefined) return <>{props.children(query.data)}</>;
  if (query.error) return <ErrorBox error={query.error} onRetry={() => void query.refetch()} />;
  return <Loading what={props.what} />;
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** A job's effective config as a definition list, labelled like the form controls. */
export function ConfigList({ config }: { config: Record<string, unknown> }) {
  return (
    <dl className="config">
      {Object.entries(config).map(([k, v]) => (
        <div key={k}>
          <dt>{formatParamName(k)}</dt>
          <dd>{formatValue(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A labelled filter select with an "all" choice (value ''). */
export function FilterSelect<T extends string>(props: { id: string; label: string; all: string; options: readonly T[]; value: T | ''; onChange: (v: T | '') => void }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.target.value as T | '')}>
        <option value="">{props.all}</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </div>
  );
}
