/** Create or edit a character's name, trigger word and description; issues sit by their field. */
import { useState, type FormEvent } from 'react';
import type { Character } from '../../shared/characters.js';
import { issueMap, unclaimedIssues } from '../lib/errors.js';
import { ErrorBox } from './ui.js';

export interface CharacterFields {
  name: string;
  trigger_word: string;
  description?: string;
}

const FIELDS = ['name', 'trigger_word', 'description'];

export function CharacterForm(props: {
  character?: Character;
  onSubmit: (fields: CharacterFields) => void;
  pending?: boolean;
  error?: unknown;
  submitLabel: string;
}) {
  const c = props.character;
  const [name, setName] = useState(c?.name ?? '');
  const [trigger, setTrigger] = useState(c?.trigger_word ?? '');
  const [description, setDescription] = useState(c?.description ?? '');
  const issues = issueMap(props.error);
  const prefix = c ? `edit-${c.id}` : 'new-character';

  const submit = (e: FormEvent) => {
    e.preventDefault();
    props.onSubmit({ name, trigger_word: trigger, ...(description.trim() ? { description } : {}) });
  };

  return (
    <form className="form character-form" onSubmit={submit} noValidate aria-label={props.submitLabel}>
      <div className="grid-fields">
        <div className={`field${issues.name ? ' has-error' : ''}`}>
          <label htmlFor={`${prefix}-name`}>Name</label>
          <input id={`${prefix}-name`} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
          {issues.name && <p className="field-error">{issues.name}</p>}
        </div>
        <div className={`field${issues.trigger_word ? ' has-error' : ''}`}>
          <label htmlFor={`${prefix}-trigger`}>Trigger Word</label>
          <input
            id={`${prefix}-trigger`}
            value={trigger}
            onChange={(e) => setTrigger(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            aria-describedby={`${prefix}-trigger-hint`}
          />
          <p className="hint" id={`${prefix}-trigger-hint`}>
            A rare token the LoRA learns for this person, e.g. ohwx_anna
          </p>
          {issues.trigger_word && <p className="field-error">{issues.trigger_word}</p>}
        </div>
      </div>
      <div className={`field${issues.description ? ' has-error' : ''}`}>
        <label htmlFor={`${prefix}-description`}>Description</label>
        <textarea id={`${prefix}-description`} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
        {issues.description && <p className="field-error">{issues.description}</p>}
      </div>
      <ErrorBox error={props.error} issues={unclaimedIssues(props.error, FIELDS)} />
      <div className="actions">
        <button type="submit" disabled={props.pending}>
          {props.pending ? 'Saving…' : props.submitLabel}
        </button>
      </div>
    </form>
  );
}
