/** Characters: list, create, edit, upload photos, captions (by hand, in bulk), delete, purge a person. */
import { useState } from 'react';
import type { Character } from '../../shared/characters.js';
import { CharacterForm } from '../components/CharacterForm.js';
import { CaptionJobPanel } from '../components/CaptionJobPanel.js';
import { CaptionTools } from '../components/CaptionTools.js';
import { CharacterImages } from '../components/CharacterImages.js';
import { ImageUploader } from '../components/ImageUploader.js';
import { PurgeDialog } from '../components/PurgeDialog.js';
import { Empty, ErrorBox, QueryView } from '../components/ui.js';
import { Link, useRouter } from '../lib/router.js';
import { trpc } from '../lib/trpc.js';

function CharacterDetail({ character, onDeleted }: { character: Character; onDeleted: () => void }) {
  const utils = trpc.useUtils();
  const [confirming, setConfirming] = useState(false);
  const [purging, setPurging] = useState(false);
  const update = trpc.characters.update.useMutation({ onSuccess: () => void utils.characters.invalidate() });
  const remove = trpc.characters.delete.useMutation({
    onSuccess: () => {
      void utils.characters.invalidate();
      onDeleted();
    },
  });
  return (
    <section className="card character-detail" aria-label={`Character ${character.name}`}>
      <header className="job-header">
        <div>
          <h2>{character.name}</h2>
          <p className="muted mono">
            {character.id} · trigger <strong>{character.trigger_word}</strong> · {character.images.length} images
          </p>
        </div>
        <div className="row">
          <Link className="button secondary" to={`/training?character=${character.id}`}>
            Train
          </Link>
          {confirming ? (
            <>
              <button type="button" className="danger" onClick={() => remove.mutate({ id: character.id })} disabled={remove.isPending}>
                Really delete
              </button>
              <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </>
          ) : (
            <button type="button" className="danger ghost" onClick={() => setConfirming(true)}>
              Delete character
            </button>
          )}
          <button type="button" className="danger ghost" onClick={() => setPurging(true)}>
            Purge person…
          </button>
        </div>
      </header>
      <ErrorBox error={remove.error} />
      {purging && <PurgeDialog character={character} onClose={() => setPurging(false)} />}
      <details className="edit">
        <summary>Edit details</summary>
        <CharacterForm
          key={character.updated_at ?? character.created_at}
          character={character}
          submitLabel="Save changes"
          pending={update.isPending}
          error={update.error}
          onSubmit={(fields) => update.mutate({ id: character.id, ...fields })}
        />
      </details>
      <h3>Photos</h3>
      <ImageUploader characterId={character.id} onUploaded={() => void utils.characters.invalidate()} />
      <CaptionJobPanel character={character} />
      <CaptionTools character={character} />
      <CharacterImages character={character} />
    </section>
  );
}

export function CharactersPage() {
  const { search, navigate } = useRouter();
  const utils = trpc.useUtils();
  const characters = trpc.characters.list.useQuery();
  const selectedId = new URLSearchParams(search).get('id');
  const select = (id: string | null) => navigate(id ? `/characters?id=${encodeURIComponent(id)}` : '/characters', { replace: true });
  const [creating, setCreating] = useState(false);
  const create = trpc.characters.create.useMutation({
    onSuccess: (c) => {
      void utils.characters.invalidate();
      setCreating(false);
      select(c.id);
    },
  });

  return (
    <div className="page sidebar-layout">
      <aside aria-labelledby="characters-title">
        <div className="row spread">
          <h1 id="characters-title">Characters</h1>
          <button type="button" className="secondary" onClick={() => setCreating((v) => !v)} aria-expanded={creating}>
            {creating ? 'Close' : 'New character'}
          </button>
        </div>
        {creating && (
          <div className="card">
            <CharacterForm submitLabel="Create character" pending={create.isPending} error={create.error} onSubmit={(f) => create.mutate(f)} />
          </div>
        )}
        <QueryView query={characters} what="characters">
          {(list) =>
            list.length === 0 ? (
              <Empty>No characters yet.</Empty>
            ) : (
              <ul className="character-list">
                {list.map((c) => (
                  <li key={c.id}>
                    <button type="button" className={`character-item${c.id === selectedId ? ' selected' : ''}`} aria-current={c.id === selectedId} onClick={() => select(c.id)}>
                      <span>{c.name}</span>
                      <span className="muted small">
                        {c.trigger_word} · {c.images.length} images
                      </span>
                    </button>
                  </li>
                ))}
              </ul>
            )
          }
        </QueryView>
      </aside>
      <div>
        {(() => {
          const selected = characters.data?.find((c) => c.id === selectedId);
          if (selected) return <CharacterDetail key={selected.id} character={selected} onDeleted={() => select(null)} />;
          if (characters.data?.length) return <Empty>Pick a character to see its photos.</Empty>;
          return null;
        })()}
      </div>
    </div>
  );
}
