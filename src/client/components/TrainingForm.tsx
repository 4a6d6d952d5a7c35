/**
 * The training start form. Every parameter control comes from the manifest (`parameters`);
 * presets go through applyPreset, which skips what the current trainer would not use. A parameter
 * whose `applies_when` does not hold (learning_rate beside prodigy) is shown disabled with the
 * reason and never sent.
 */
import { useState, type FormEvent } from 'react';
import type { ParameterMap, ParameterSchema } from '../../shared/capabilities.js';
import type { Character } from '../../shared/characters.js';
import { applyPreset } from '../../shared/preset-apply.js';
import { applySavedConfig } from '../../shared/saved-config.js';
import { inapplicable, inapplicableText, unavailableOption } from '../../shared/param-applies.js';
import { PRESET_KEYS, PRESETS, type PresetKey } from '../../shared/presets.js';
import { formatParamName } from '../../shared/capabilities.js';
import { issueMap, unclaimedIssues } from '../lib/errors.js';
import { DynamicControl } from './DynamicControl.js';
import { ErrorBox } from './ui.js';

export interface TrainingStartInput {
  character_id: string;
  config: Record<string, unknown>;
  sample_prompts?: string[];
  /** Each new checkpoint adds a row to an evaluation grid (issue #17); sent only when chosen. */
  evaluate_during_training?: boolean;
}

export interface TrainingFormProps {
  backend: string;
  parameters: ParameterMap;
  characters: readonly Character[];
  onSubmit: (input: TrainingStartInput) => void;
  pending?: boolean;
  error?: unknown;
  initialCharacterId?: string;
  /** "Train again": a finished job's config and sample prompts to start from. */
  initial?: { config: Record<string, unknown>; sample_prompts?: readonly string[] };
}

function defaultsOf(parameters: ParameterMap): Record<string, unknown> {
  return Object.fromEntries(Object.entries(parameters).map(([k, p]) => [k, p.default]));
}

function fits(schema: ParameterSchema, value: unknown): boolean {
  if (schema.type === 'enum') return (schema.options ?? []).some((o) => o === value) && unavailableOption(schema, value) === null;
  if (schema.type === 'bool') return typeof value === 'boolean';
  if (schema.type === 'string') return typeof value === 'string';
  if (typeof value !== 'number' || (schema.type === 'int' && !Number.isInteger(value))) return false;
  return (schema.min === undefined || value >= schema.min) && (schema.max === undefined || value <= schema.max);
}

/** Carries over what the user changed when it is still valid; everything else restarts at its default. */
function followManifest(parameters: ParameterMap, previous: ParameterMap, config: Record<string, unknown>): Record<string, unknown> {
  const next = defaultsOf(parameters);
  for (const [k, p] of Object.entries(parameters)) {
    const changed = k in config && config[k] !== previous[k]?.default;
    if (p.wired && changed && fits(p, config[k])) next[k] = config[k];
  }
  return next;
}

export function TrainingForm(props: TrainingFormProps) {
  const { parameters, characters } = props;
  const [saved] = useState(() => (props.initial ? applySavedConfig(props.initial.config, parameters) : null));
  const [form, setForm] = useState(() => ({ parameters, config: { ...defaultsOf(parameters), ...saved?.applied } }));
  const [preset, setPreset] = useState<PresetKey | ''>('');
  const [note, setNote] = useState<{ text: string; skipped: string[] } | null>(() => (saved?.note ? { text: saved.note, skipped: saved.skipped } : null));
  const [prompts, setPrompts] = useState(() => (props.initial?.sample_prompts ?? []).join('\n'));
  const [characterId, setCharacterId] = useState(props.initialCharacterId ?? '');
  const [evaluate, setEvaluate] = useState(false);

  // The manifest is data from the server: when it changes, the form follows it.
  let config = form.config;
  if (form.parameters !== parameters) {
    config = followManifest(parameters, form.parameters, form.config);
    setForm({ parameters, config });
    setPreset('');
    setNote(null);
  }

  const chosen = characters.some((c) => c.id === characterId) ? characterId : (characters[0]?.id ?? '');
  const entries = Object.entries(parameters);
  const wired = entries.filter(([, p]) => p.wired);
  const unwired = entries.filter(([, p]) => !p.wired);
  const issues = issueMap(props.error);
  const leftover = unclaimedIssues(props.error, ['character_id', 'sample_prompts', 'evaluate_during_training', ...wired.map(([k]) => k)]);

  const set = (key: string, value: unknown) => setForm((f) => ({ ...f, config: { ...f.config, [key]: value } }));
  const notApplicable = (schema: ParameterSchema) => {
    const why = inapplicable(schema, config);
    return why ? inapplicableText(why) : null;
  };

  const pickPreset = (key: PresetKey | '') => {
    setPreset(key);
    if (key === '') {
      setForm((f) => ({ ...f, config: defaultsOf(f.parameters) }));
      setNote(null);
      return;
    }
    // A preset is a whole recipe: it lands on the backend defaults, not on earlier edits.
    const result = applyPreset(key, parameters);
    setForm((f) => ({ ...f, config: { ...defaultsOf(f.parameters), ...result.applied } }));
    setNote(result.note ? { text: result.note, skipped: result.skipped } : null);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    // Unwired keys and ones that do not apply are never sent: the server rejects them.
    const sent: Record<string, unknown> = {};
    for (const [k, p] of wired) if (config[k] !== undefined && !inapplicable(p, config)) sent[k] = config[k];
    const lines = prompts.split('\n').map((p) => p.trim()).filter(Boolean);
    props.onSubmit({
      character_id: chosen,
      config: sent,
      ...(lines.length > 0 ? { sample_prompts: lines } : {}),
      ...(evaluate ? { evaluate_during_training: true } : {}),
    });
  };

  return (
    <form className="card form" onSubmit={submit} noValidate aria-label="Start training">
      <div className="form-row">
        <div className={`field${issues.character_id ? ' has-error' : ''}`}>
          <label htmlFor="training-character">Character</label>
          <select id="training-character" value={chosen} onChange={(e) => setCharacterId(e.target.value)} disabled={characters.length === 0}>
            {characters.length === 0 && <option value="">No characters yet</option>}
            {characters.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} ({c.images.length} images)
              </option>
            ))}
          </select>
          {issues.character_id && <p className="field-error">{issues.character_id}</p>}
        </div>
        <div className="field">
          <label htmlFor="training-preset">Preset</label>
          <select id="training-preset" value={preset} onChange={(e) => pickPreset(e.target.value as PresetKey | '')}>
            <option value="">Custom (backend defaults)</option>
            {PRESET_KEYS.map((k) => (
              <option key={k} value={k}>
                {PRESETS[k].label} — {PRESETS[k].description}
              </option>
            ))}
          </select>
          {note && (
            <div className="preset-note" role="status">
              <p>{note.text}</p>
              <p className="hint">Skipped: {note.skipped.map(formatParamName).join(', ')}</p>
            </div>
          )}
        </div>
      </div>

      <fieldset className="params">
        <legend>
          Parameters <span className="muted">· {props.backend}</span>
        </legend>
        <div className="grid-fields">
          {wired.map(([key, schema]) => (
            <DynamicControl
              key={key}
              name={key}
              schema={schema}
              value={config[key]}
              onChange={(v) => set(key, v)}
              error={issues[key]}
              notApplicable={notApplicable(schema)}
            />
          ))}
        </div>
      </fieldset>

      <div className={`field${issues.sample_prompts ? ' has-error' : ''}`}>
        <label htmlFor="training-sample-prompts">Sample Prompts</label>
        <textarea
          id="training-sample-prompts"
          rows={3}
          value={prompts}
          onChange={(e) => setPrompts(e.target.value)}
          placeholder="One per line, up to 4; the trigger word is added when missing"
        />
        <p className="hint">Sampled every Sample Every steps with a fixed seed. Empty: two generic portraits.</p>
        {issues.sample_prompts && <p className="field-error">{issues.sample_prompts}</p>}
      </div>

      <div className={`field field-bool${issues.evaluate_during_training ? ' has-error' : ''}`}>
        <label htmlFor="training-evaluate">Evaluate during training</label>
        <input id="training-evaluate" type="checkbox" checked={evaluate} onChange={(e) => setEvaluate(e.target.checked)} aria-describedby="training-evaluate-hint" />
        <p className="hint" id="training-evaluate-hint">
          Each checkpoint adds a row to a checkpoint × strength grid; Keep Checkpoints removes none while the grid is pending. With one GPU the rows wait until the training ends.
        </p>
        {issues.evaluate_during_training && <p className="field-error">{issues.evaluate_during_training}</p>}
      </div>

      {unwired.length > 0 && (
        <details className="unavailable">
          <summary>{unwired.length} parameters not available</summary>
          <div className="grid-fields">
            {unwired.map(([key, schema]) => (
              <DynamicControl key={key} name={key} schema={schema} value={schema.default} disabled />
            ))}
          </div>
        </details>
      )}

      <ErrorBox error={props.error} issues={leftover} />
      <div className="actions">
        <button type="submit" disabled={props.pending || !chosen}>
          {props.pending ? 'Starting…' : 'Start Training'}
        </button>
      </div>
    </form>
  );
}
