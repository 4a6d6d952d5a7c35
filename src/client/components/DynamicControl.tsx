/**
 * One form control rendered purely from a ParameterSchema (docs/contracts.md): the client knows no
 * parameter names, ranges or options; /api/info does. The label is exactly
 * formatParamName(name) so tests and screen readers find "Lora Rank".
 */
import { useId, useState, type ChangeEvent } from 'react';
import { formatParamName, type EnumOption, type ParameterSchema } from '../../shared/capabilities.js';
import { formatValue } from '../lib/format.js';

export interface DynamicControlProps {
  name: string;
  schema: ParameterSchema;
  value: unknown;
  onChange?: (value: unknown) => void;
  disabled?: boolean;
  /** A server issue for this parameter. */
  error?: string;
  /** Overrides the label text (still derived from a name, never hard-coded by callers). */
  label?: string;
  /**
   * Why the parameter does not apply with the rest of the form (its manifest `applies_when`):
   * the control is disabled and says so.
   */
  notApplicable?: string | null;
}

const toText = (value: unknown) => (value === undefined || value === null ? '' : String(value));

function parseNumber(text: string): number | undefined {
  if (text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isNaN(n) ? Number.NaN : n;
}

function rangeHint(schema: ParameterSchema): string | null {
  if (schema.type !== 'int' && schema.type !== 'float') return null;
  if (schema.min !== undefined && schema.max !== undefined) return `${formatValue(schema.min)} – ${formatValue(schema.max)}`;
  if (schema.min !== undefined) return `≥ ${formatValue(schema.min)}`;
  if (schema.max !== undefined) return `≤ ${formatValue(schema.max)}`;
  return null;
}

export function DynamicControl({ name, schema, value, onChange, disabled, error, label, notApplicable }: DynamicControlProps) {
  const id = `param-${useId().replace(/:/g, '')}-${name}`;
  const off = disabled === true || !schema.wired || Boolean(notApplicable);
  const emit = (v: unknown) => onChange?.(v);
  const hint = [schema.description, rangeHint(schema)].filter(Boolean).join(' · ');
  // Options refused for the same reason share one line: "fp16, fp32: FLUX trains in bf16 …".
  const byReason = new Map<string, string[]>();
  for (const [option, why] of Object.entries(schema.unavailable_options ?? {})) byReason.set(why, [...(byReason.get(why) ?? []), option]);
  const unavailable = [...byReason].map(([why, options]) => [options.join(', '), why] as const);
  // Whichever reason keeps the control from being used: not wired at all, or not in this setup.
  const reason = !schema.wired ? schema.reason : (notApplicable ?? undefined);
  const describedBy = [hint && `${id}-hint`, reason && `${id}-reason`, unavailable.length > 0 && `${id}-unavailable`, error && `${id}-error`]
    .filter(Boolean)
    .join(' ');
  const common = {
    id,
    name,
    disabled: off,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy || undefined,
  };

  let control;
  if (schema.type === 'enum') {
    const options = schema.options ?? [];
    control = (
      <select
        {...common}
        value={toText(value)}
        // Map the chosen text back to the schema's own option so numeric enums stay numbers.
        onChange={(e) => emit(options.find((o) => String(o) === e.target.value) ?? e.target.value)}
      >
        {options.map((o: EnumOption) => {
          const why = schema.unavailable_options?.[String(o)];
          return (
            <option key={String(o)} value={String(o)} disabled={why !== undefined} title={why}>
              {why === undefined ? String(o) : `${String(o)} (unavailable)`}
            </option>
          );
        })}
      </select>
    );
  } else if (schema.type === 'int' || schema.type === 'float') {
    control = <NumberInput common={common} schema={schema} value={value} onChange={emit} />;
  } else if (schema.type === 'bool') {
    control = <input {...common} type="checkbox" checked={value === true} onChange={(e) => emit(e.target.checked)} />;
  } else {
    control = <input {...common} type="text" value={toText(value)} onChange={(e) => emit(e.target.value)} />;
  }

  return (
    <div className={`field field-${schema.type}${off ? ' is-disabled' : ''}${error ? ' has-error' : ''}`} data-param={name}>
      <label htmlFor={id}>{label ?? formatParamName(name)}</label>
      {control}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {reason && (
        <p className="reason" id={`${id}-reason`}>
          {reason}
        </p>
      )}
      {unavailable.length > 0 && (
        <ul className="reason unavailable-options" id={`${id}-unavailable`} aria-label={`Unavailable ${label ?? formatParamName(name)} options`}>
          {unavailable.map(([option, why]) => (
            <li key={option}>
              {option}: {why}
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * Keeps the typed text while it is not a number yet ("1e-", "") so editing is not fought; a
 * cleared field sends nothing, and the server then uses the default.
 */
function NumberInput(props: {
  common: Record<string, unknown>;
  schema: ParameterSchema;
  value: unknown;
  onChange: (v: unknown) => void;
}) {
  const { schema, value, onChange } = props;
  const [draft, setDraft] = useState(() => toText(value));
  const [synced, setSynced] = useState(value);
  if (!Object.is(value, synced)) {
    setSynced(value);
    if (parseNumber(draft) !== value) setDraft(toText(value));
  }
  const step = schema.step ?? (schema.type === 'int' ? 1 : 'any');
  const change = (e: ChangeEvent<HTMLInputElement>) => {
    setDraft(e.target.value);
    const n = parseNumber(e.target.value);
    if (n === undefined || !Number.isNaN(n)) onChange(n);
  };
  return (
    <input {...props.common} type="number" inputMode={schema.type === 'int' ? 'numeric' : 'decimal'} min={schema.min} max={schema.max} step={step} value={draft} onChange={change} />
  );
}
