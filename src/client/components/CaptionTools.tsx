/**
 * Bulk caption tools for one character: find & replace (literal text, with a live count of the
 * captions it will change, computed by the same function the server runs), add or remove the
 * trigger word everywhere, accept every machine caption.
 */
import { useState } from 'react';
import type { Character } from '../../shared/characters.js';
import { addTrigger, countReplacements, isUnreviewed, removeTrigger } from '../../shared/caption-edit.js';
import { issueMap } from '../lib/errors.js';
import { trpc } from '../lib/trpc.js';
import { ErrorBox } from './ui.js';

const captionsWord = (n: number) => `${n} caption${n === 1 ? '' : 's'}`;

export function CaptionTools({ character }: { character: Character }) {
  const utils = trpc.useUtils();
  const [find, setFind] = useState('');
  const [replace, setReplace] = useState('');
  const [matchCase, setMatchCase] = useState(false);
  const [wholeWord, setWholeWord] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const report = (what: string) => (r: { changed: number; character: Character }) => {
    // The answer carries the changed character: show it with the message, not a refetch later, so
    // the counts and buttons never disagree with the sentence above them.
    utils.characters.list.setData(undefined, (list) => list?.map((c) => (c.id === r.character.id ? r.character : c)));
    setDone(`${what}: ${captionsWord(r.changed)} changed`);
    void utils.characters.invalidate();
  };
  const replaceAll = trpc.characters.captions.replace.useMutation({ onSuccess: report('Replaced') });
  const trigger = trpc.characters.captions.trigger.useMutation({ onSuccess: (r, v) => report(v.action === 'add' ? 'Trigger word added' : 'Trigger word removed')(r) });
  const accept = trpc.characters.captions.accept.useMutation({ onSuccess: report('Accepted') });

  const captions = character.images.map((i) => i.caption);
  const options = { find, replace, match_case: matchCase, whole_word: wholeWord };
  const willChange = find === '' ? 0 : countReplacements(captions, options);
  const toAdd = captions.filter((c) => addTrigger(c, character.trigger_word) !== c).length;
  const toRemove = captions.filter((c) => removeTrigger(c, character.trigger_word) !== c).length;
  const unreviewed = character.images.filter(isUnreviewed).length;
  const issues = issueMap(replaceAll.error);
  const busy = replaceAll.isPending || trigger.isPending || accept.isPending;
  if (character.images.length === 0) return null;

  return (
    <section className="caption-tools" aria-labelledby={`caption-tools-${character.id}`}>
      <h3 id={`caption-tools-${character.id}`}>Caption tools</h3>
      <form
        className="caption-replace"
        onSubmit={(e) => {
          e.preventDefault();
          setDone(null);
          replaceAll.mutate({ id: character.id, ...options });
        }}
      >
        <div className="field">
          <label htmlFor="caption-find">Find</label>
          <input id="caption-find" value={find} onChange={(e) => setFind(e.target.value)} aria-invalid={!!issues.find} />
          {issues.find && <p className="field-error">{issues.find}</p>}
        </div>
        <div className="field">
          <label htmlFor="caption-replace">Replace with</label>
          <input id="caption-replace" value={replace} onChange={(e) => setReplace(e.target.value)} aria-invalid={!!issues.replace} />
          {issues.replace && <p className="field-error">{issues.replace}</p>}
        </div>
        <div className="field field-bool">
          <input id="caption-match-case" type="checkbox" checked={matchCase} onChange={(e) => setMatchCase(e.target.checked)} />
          <label htmlFor="caption-match-case">Match case</label>
        </div>
        <div className="field field-bool">
          <input id="caption-whole-word" type="checkbox" checked={wholeWord} onChange={(e) => setWholeWord(e.target.checked)} />
          <label htmlFor="caption-whole-word">Whole word</label>
        </div>
        <p className="hint" aria-live="polite">
          {find === '' ? 'Literal text, not a pattern.' : `${captionsWord(willChange)} will change`}
        </p>
        <button type="submit" className="secondary" disabled={busy || willChange === 0}>
          Replace all
        </button>
      </form>
      <ErrorBox error={replaceAll.error} issues={[]} />
      <ErrorBox error={trigger.error ?? accept.error} />
      <div className="row">
        <button type="button" className="secondary" disabled={busy || toAdd === 0} onClick={() => (setDone(null), trigger.mutate({ id: character.id, action: 'add' }))}>
          Add trigger word
        </button>
        <button type="button" className="secondary" disabled={busy || toRemove === 0} onClick={() => (setDone(null), trigger.mutate({ id: character.id, action: 'remove' }))}>
          Remove trigger word
        </button>
        <button type="button" className="secondary" disabled={busy || unreviewed === 0} onClick={() => (setDone(null), accept.mutate({ id: character.id, images: 'all_machine' }))}>
          Accept all machine captions
        </button>
      </div>
      <p className="hint">
        <strong>{character.trigger_word}</strong>: missing from {captionsWord(toAdd)}, found in {captionsWord(toRemove)} · {unreviewed} unreviewed machine caption{unreviewed === 1 ? '' : 's'}
      </p>
      {done && (
        <p role="status" className="ok-text small">
          {done}
        </p>
      )}
    </section>
  );
}
