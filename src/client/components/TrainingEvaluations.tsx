/**
 * A training's evaluation grids (issue #17): links to each, and "Evaluate" to start one over its
 * checkpoints, with the strengths and prompts to compare (the defaults shown; empty means default)
 * and every image's size and steps (the image manifest's controls, smaller for a quicker grid).
 */
import { useState, type FormEvent } from 'react';
import { formatParamName, type ParameterSchema } from '../../shared/capabilities.js';
import { DEFAULT_EVALUATION_STRENGTHS, EVALUATION_MAX_PROMPTS } from '../../shared/evaluations.js';
import type { JobRecord } from '../../shared/jobs.js';
import { isTerminal } from '../../shared/jobs.js';
import { useInfo } from '../hooks/use-info.js';
import { issueMap, unclaimedIssues } from '../lib/errors.js';
import { formatStrength, formatTime } from '../lib/format.js';
import { Link, useRouter } from '../lib/router.js';
import { trpc } from '../lib/trpc.js';
import { DynamicControl } from './DynamicControl.js';
import { ErrorBox, StatusBadge } from './ui.js';
import './evaluation.css';

const DEFAULT_STRENGTHS_TEXT = DEFAULT_EVALUATION_STRENGTHS.map(formatStrength).join(', ');

/**
 * The image manifest's parameters an evaluation takes, and the label each gets here: "Steps" on
 * this page is Continue's, so these are drawn only while their disclosure is open.
 */
const IMAGE_FIELDS = [
  ['width', 'image_width'],
  ['height', 'image_height'],
  ['steps', 'image_steps'],
] as const;
type ImageField = (typeof IMAGE_FIELDS)[number][0];

/** "0.6, 0.8 1.0" → [0.6, 0.8, 1]; null when a part is not a number. */
export function parseStrengths(text: string): number[] | null {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  const values = parts.map(Number);
  return values.every((v) => Number.isFinite(v)) ? values : null;
}

export function TrainingEvaluations({ job }: { job: JobRecord }) {
  const { navigate } = useRouter();
  const utils = trpc.useUtils();
  const list = trpc.evaluations.list.useQuery(
    { training_id: job.id },
    { refetchInterval: (q) => (q.state.data?.some((e) => !isTerminal(e.status)) || !isTerminal(job.status) ? 2000 : false) },
  );
  const start = trpc.evaluations.start.useMutation({
    onSuccess: ({ id }) => {
      void utils.evaluations.list.invalidate({ training_id: job.id });
      navigate(`/evaluations/${id}`);
    },
  });
  const [strengths, setStrengths] = useState(DEFAULT_STRENGTHS_TEXT);
  const [prompts, setPrompts] = useState('');
  const [strengthsError, setStrengthsError] = useState<string | null>(null);
  const imageParams = useInfo().data?.image_generation.parameters;
  const [image, setImage] = useState<Partial<Record<ImageField, unknown>>>({});
  const hasWeights = job.outputs.some((o) => o.kind === 'checkpoint' || o.kind === 'lora');
  const issues = issueMap(start.error);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseStrengths(strengths);
    if (!parsed) {
      setStrengthsError('Strengths are numbers separated by commas, such as 0.8, 1.0');
      return;
    }
    setStrengthsError(null);
    const lines = prompts.split('\n').map((p) => p.trim()).filter(Boolean);
    start.mutate({
      training_id: job.id,
      ...(parsed.length > 0 ? { strengths: parsed } : {}),
      ...(lines.length > 0 ? { prompts: lines } : {}),
      // An emptied field means the default, as for the strengths and prompts.
      ...Object.fromEntries(IMAGE_FIELDS.filter(([k]) => image[k] !== undefined).map(([k]) => [k, image[k] as number])),
    });
  };

  const items = list.data ?? [];
  return (
    <>
      {items.length > 0 ? (
        <ul className="evaluations-list" aria-label="Evaluations of this training">
          {items.map((e) => (
            <li key={e.id}>
              <Link to={`/evaluations/${e.id}`}>{e.id}</Link>
              <StatusBadge status={e.status} />
              <span className="muted small">{formatTime(e.created_at)}</span>
            </li>
          ))}
        </ul>
      ) : (
        !list.error && <p className="empty">{list.isPending ? 'Loading evaluations…' : 'No evaluations yet.'}</p>
      )}
      <ErrorBox error={list.error} />
      {hasWeights ? (
        <form className="form" onSubmit={submit} noValidate aria-label="Evaluate checkpoints">
          <div className="grid-fields">
            <div className={`field${strengthsError || issues.strengths ? ' has-error' : ''}`}>
              <label htmlFor="eval-strengths">Strengths</label>
              <input id="eval-strengths" type="text" inputMode="decimal" value={strengths} onChange={(e) => setStrengths(e.target.value)} placeholder={DEFAULT_STRENGTHS_TEXT} />
              <p className="hint">One column each. Empty: {DEFAULT_STRENGTHS_TEXT}.</p>
              {(strengthsError ?? issues.strengths) && <p className="field-error">{strengthsError ?? issues.strengths}</p>}
            </div>
            <div className={`field${issues.prompts ? ' has-error' : ''}`}>
              <label htmlFor="eval-prompts">Evaluation prompts</label>
              <textarea
                id="eval-prompts"
                rows={3}
                value={prompts}
                onChange={(e) => setPrompts(e.target.value)}
                placeholder={(job.sample_prompts ?? []).join('\n') || 'Two portraits with the trigger word'}
              />
              <p className="hint">One per line, up to {EVALUATION_MAX_PROMPTS}. Empty: the training’s sample prompts, or two portraits with the trigger word.</p>
              {issues.prompts && <p className="field-error">{issues.prompts}</p>}
            </div>
          </div>
          {imageParams && <ImageSettings params={imageParams} values={image} onChange={setImage} issues={issues} />}
          <ErrorBox error={start.error} issues={unclaimedIssues(start.error, ['strengths', 'prompts', 'width', 'height', 'steps'])} />
          <div className="actions">
            <button type="submit" disabled={start.isPending}>
              {start.isPending ? 'Starting…' : 'Evaluate'}
            </button>
          </div>
        </form>
      ) : (
        <p className="muted small">Evaluate becomes available once the training has saved a checkpoint.</p>
      )}
    </>
  );
}

/** Every image's size and steps: a summary of the values the grid will use, the controls when opened. */
function ImageSettings(props: {
  params: Record<string, ParameterSchema>;
  values: Partial<Record<ImageField, unknown>>;
  onChange: (update: (prev: Partial<Record<ImageField, unknown>>) => Partial<Record<ImageField, unknown>>) => void;
  issues: Record<string, string | undefined>;
}) {
  const { params, values, issues } = props;
  const invalid = IMAGE_FIELDS.some(([key]) => issues[key]);
  const [open, setOpen] = useState(false);
  const shown = (key: ImageField) => (values[key] === undefined ? params[key]?.default : values[key]);
  return (
    <details className="image-settings" open={open || invalid} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        Image size and steps: {String(shown('width'))} × {String(shown('height'))} px, {String(shown('steps'))} steps
      </summary>
      {(open || invalid) && (
        <div className="grid-fields">
          {IMAGE_FIELDS.map(([key, label]) => {
            const schema = params[key];
            return schema ? (
              <DynamicControl
                key={key}
                name={key}
                label={formatParamName(label)}
                schema={schema}
                value={key in values ? values[key] : schema.default}
                onChange={(v) => props.onChange((prev) => ({ ...prev, [key]: v }))}
                error={issues[key]}
              />
            ) : null;
          })}
        </div>
      )}
    </details>
  );
}
