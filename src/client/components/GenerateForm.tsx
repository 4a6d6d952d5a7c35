/**
 * The generation form. Parameters, model variants and toggles all come from the manifest;
 * parameters named `lora_*` sit with the LoRA picker, which they only make sense with.
 */
import { useState, type FormEvent } from 'react';
import type { ImageCapabilities, ParameterSchema } from '../../shared/capabilities.js';
import type { Lora } from '../../shared/characters.js';
import { PROMPT_MAX, SEED_MAX } from '../../shared/limits.js';
import { issueMap, unclaimedIssues } from '../lib/errors.js';
import { MAX_IMAGES_PER_JOB as MAX_IMAGES_PER_REQUEST } from '../../shared/limits.js';
import { variantDefaults } from '../../shared/manifests.js';
import { inapplicable, inapplicableText } from '../../shared/param-applies.js';
import { DynamicControl } from './DynamicControl.js';
import { sizePresets } from './size-presets.js';
import { ErrorBox } from './ui.js';

export interface GenerationStartInput {
  config: Record<string, unknown>;
  lora_id?: string;
  count: number;
}

export interface GenerateFormProps {
  caps: ImageCapabilities;
  loras: readonly Lora[];
  onSubmit: (input: GenerationStartInput) => void;
  pending?: boolean;
  error?: unknown;
  initialLoraId?: string;
  /** The strength to start the LoRA at (a character's stored Generate default). */
  initialLoraStrength?: number;
  /** LoRA id → the strength its character's stored Generate default names (evaluation "Use this"). */
  loraDefaults?: Readonly<Record<string, number>>;
}

/** Request fields that are not manifest parameters, with the limits the server applies. */
const countSchema: ParameterSchema = { type: 'int', min: 1, max: MAX_IMAGES_PER_REQUEST, default: 1, wired: true };
const seedSchema: ParameterSchema = { type: 'int', min: 0, max: SEED_MAX, wired: true };
/**
 * The one parameter a stored Generate default sets besides the LoRA: evaluation grids compare LoRA
 * strengths, and every image manifest names it so. Ignored when the manifest has no such parameter.
 */
const STRENGTH_PARAM = 'lora_strength';

export function GenerateForm({ caps, loras, onSubmit, pending, error, initialLoraId, initialLoraStrength, loraDefaults = {} }: GenerateFormProps) {
  const params = Object.entries(caps.parameters);
  const hasStrength = STRENGTH_PARAM in caps.parameters;
  const [values, setValues] = useState<Record<string, unknown>>(() => {
    const start: Record<string, unknown> = Object.fromEntries(params.map(([k, p]) => [k, p.default]));
    const strength = initialLoraStrength ?? (initialLoraId ? loraDefaults[initialLoraId] : undefined);
    if (hasStrength && strength !== undefined) start[STRENGTH_PARAM] = strength;
    return start;
  });
  const [toggles, setToggles] = useState<Record<string, boolean>>({});
  const [prompt, setPrompt] = useState('');
  const [variant, setVariant] = useState(caps.model_variants[0] ?? '');
  const [loraId, setLoraId] = useState(initialLoraId ?? '');
  const [seedMode, setSeedMode] = useState<'random' | 'fixed'>('random');
  const [seed, setSeed] = useState<unknown>(Math.floor(Math.random() * 2 ** 32));
  const [count, setCount] = useState<unknown>(1);

  const issues = issueMap(error);
  const loraParams = params.filter(([k]) => k.startsWith('lora_'));
  const otherParams = params.filter(([k]) => !k.startsWith('lora_'));
  const width = caps.parameters.width;
  const height = caps.parameters.height;
  const presets = width && height ? sizePresets(width, height) : [];
  const claimed = ['prompt', 'model_variant', 'lora_id', 'seed', 'count', ...params.map(([k]) => k), ...Object.keys(caps.toggles)];
  const set = (k: string, v: unknown) => setValues((prev) => ({ ...prev, [k]: v }));
  /** Picking a LoRA with a stored default strength starts it at that strength. */
  const changeLora = (id: string) => {
    setLoraId(id);
    const strength = loraDefaults[id];
    if (hasStrength && strength !== undefined) set(STRENGTH_PARAM, strength);
  };
  const storedStrength = loraId ? loraDefaults[loraId] : undefined;
  /** What the server will judge `applies_when` on: the parameters plus the chosen variant. */
  const judged = { ...values, model_variant: variant };
  const notApplicable = (schema: ParameterSchema) => {
    const why = inapplicable(schema, judged);
    return why ? inapplicableText(why) : null;
  };
  /** schnell wants 4 steps, dev 20: follow the variant's default unless the user picked a value. */
  const variantDefault = (v: string, k: string) => variantDefaults[v]?.[k] ?? caps.parameters[k]?.default;
  const changeVariant = (next: string) => {
    setValues((prev) => {
      const out = { ...prev };
      const keys = new Set([...Object.keys(variantDefaults[variant] ?? {}), ...Object.keys(variantDefaults[next] ?? {})]);
      for (const k of keys) if (k in caps.parameters && prev[k] === variantDefault(variant, k)) out[k] = variantDefault(next, k);
      return out;
    });
    setVariant(next);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const config: Record<string, unknown> = { prompt, model_variant: variant };
    for (const [k, p] of params) if (p.wired && values[k] !== undefined && !inapplicable(p, judged)) config[k] = values[k];
    for (const [k, t] of Object.entries(caps.toggles)) config[k] = t.supported && toggles[k] === true;
    if (seedMode === 'fixed' && seed !== undefined) config.seed = seed;
    onSubmit({ config, count: typeof count === 'number' ? count : 1, ...(loraId ? { lora_id: loraId } : {}) });
  };

  return (
    <form className="card form" onSubmit={submit} noValidate aria-label="Generate images">
      <div className={`field${issues.prompt ? ' has-error' : ''}`}>
        <label htmlFor="gen-prompt">Prompt</label>
        <textarea id="gen-prompt" rows={3} maxLength={PROMPT_MAX} value={prompt} onChange={(e) => setPrompt(e.target.value)} placeholder="a portrait of ohwx person, studio light" />
        {issues.prompt && <p className="field-error">{issues.prompt}</p>}
      </div>

      <div className="grid-fields">
        <DynamicControl
          name="model_variant"
          schema={{ type: 'enum', options: caps.model_variants, wired: true }}
          value={variant}
          onChange={(v) => changeVariant(String(v))}
          error={issues.model_variant}
        />
        <div className={`field${issues.lora_id ? ' has-error' : ''}`}>
          <label htmlFor="gen-lora">LoRA</label>
          <select id="gen-lora" value={loraId} onChange={(e) => changeLora(e.target.value)}>
            <option value="">None (base model)</option>
            {loras.map((l) => (
              <option key={l.id} value={l.id}>
                {l.character_name ?? l.trigger_word} · {l.trigger_word} · {l.steps} steps
              </option>
            ))}
          </select>
          {storedStrength !== undefined && <p className="hint">Chosen on an evaluation grid at strength {storedStrength}.</p>}
          {issues.lora_id && <p className="field-error">{issues.lora_id}</p>}
        </div>
        {loraParams.map(([k, p]) => (
          <DynamicControl key={k} name={k} schema={p} value={values[k]} onChange={(v) => set(k, v)} disabled={!loraId} error={issues[k]} notApplicable={notApplicable(p)} />
        ))}
      </div>

      {presets.length > 0 && (
        <div className="size-presets" role="group" aria-label="Size presets">
          {presets.map((s) => (
            <button
              type="button"
              key={s.label}
              className={values.width === s.width && values.height === s.height ? 'chip active' : 'chip'}
              aria-pressed={values.width === s.width && values.height === s.height}
              onClick={() => setValues((prev) => ({ ...prev, width: s.width, height: s.height }))}
            >
              {s.label} <span className="muted">{s.width}×{s.height}</span>
            </button>
          ))}
        </div>
      )}

      <div className="grid-fields">
        {otherParams.map(([k, p]) => (
          <DynamicControl key={k} name={k} schema={p} value={values[k]} onChange={(v) => set(k, v)} error={issues[k]} notApplicable={notApplicable(p)} />
        ))}
        <fieldset className="field seed">
          <legend>Seed mode</legend>
          <label className="inline">
            <input type="radio" name="seed-mode" checked={seedMode === 'random'} onChange={() => setSeedMode('random')} /> Random
          </label>
          <label className="inline">
            <input type="radio" name="seed-mode" checked={seedMode === 'fixed'} onChange={() => setSeedMode('fixed')} /> Fixed
          </label>
        </fieldset>
        <DynamicControl name="seed" schema={seedSchema} value={seed} onChange={setSeed} disabled={seedMode === 'random'} error={issues.seed} />
        <DynamicControl name="count" schema={countSchema} value={count} onChange={setCount} error={issues.count} />
      </div>

      <fieldset className="toggles">
        <legend>Options</legend>
        {Object.entries(caps.toggles).map(([k, t]) => (
          <DynamicControl
            key={k}
            name={k}
            schema={{ type: 'bool', wired: t.supported, reason: t.reason, description: t.description }}
            value={toggles[k] === true}
            onChange={(v) => setToggles((prev) => ({ ...prev, [k]: v === true }))}
            error={issues[k]}
          />
        ))}
      </fieldset>

      <ErrorBox error={error} issues={unclaimedIssues(error, claimed)} />
      <div className="actions">
        <button type="submit" disabled={pending}>
          {pending ? 'Queuing…' : 'Generate'}
        </button>
      </div>
    </form>
  );
}
