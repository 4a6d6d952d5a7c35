/** Live JSONL log: one row per record, coloured by level; sticks to the bottom while you are there. */
import { useEffect, useRef } from 'react';
import { useLogFollow } from '../hooks/use-log-follow.js';
import { isRawLogLine, type JobLogLine } from '../../shared/job-log.js';

function time(ts: string | undefined): string {
  if (!ts) return '';
  const t = ts.indexOf('T');
  return t >= 0 ? ts.slice(t + 1, t + 13) : ts;
}

function fieldsText(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  const text = JSON.stringify(fields);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

export function LogLines({ lines }: { lines: JobLogLine[] }) {
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return (
    <div
      className="log"
      ref={box}
      tabIndex={0}
      aria-label="Job log"
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
      }}
    >
      {lines.map((line, i) =>
        isRawLogLine(line) ? (
          <div key={i} className="log-line">
            {line.raw}
          </div>
        ) : (
          <div key={i} className={`log-line level-${line.level.toLowerCase()}`}>
            <span className="log-ts">{time(line.ts)}</span>
            <span className="log-level">{line.level}</span>
            <span className="log-service">{line.service}</span>
            <span className="log-event">{line.event}</span>
            <span className="log-msg">{line.msg}</span>
            {line.fields && <span className="log-fields">{fieldsText(line.fields)}</span>}
          </div>
        ),
      )}
    </div>
  );
}

/** A live log; pass the hook's result when the page also reads the lines (e.g. loss history). */
export function LogViewer({ log }: { log: ReturnType<typeof useLogFollow> }) {
  const { lines, state, error } = log;
  return (
    <div className="log-viewer">
      <p className="log-state" aria-live="polite">
        {state === 'connecting' && 'Connecting to the log…'}
        {state === 'streaming' && <span className="live-dot">Live · {lines.length} lines</span>}
        {state === 'ended' && `${lines.length} lines · job finished`}
        {state === 'error' && <span className="field-error">Log unavailable: {error}</span>}
      </p>
      <LogLines lines={lines} />
    </div>
  );
}

/** A self-contained live log for one job. */
export function JobLog({ jobId }: { jobId: string }) {
  return <LogViewer log={useLogFollow(jobId)} />;
}
