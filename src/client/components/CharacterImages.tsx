/** A character's dataset: thumbnails, editable captions (the .txt ai-toolkit reads), delete. */
import { useState } from 'react';
import type { Character, CharacterImage } from '../../shared/characters.js';
import { characterImageUrl } from '../lib/api.js';
import { issueMap } from '../lib/errors.js';
import { trpc } from '../lib/trpc.js';
import { ErrorBox } from './ui.js';

function ImageCard({ character, image }: { character: Character; image: CharacterImage }) {
  const utils = trpc.useUtils();
  const [caption, setCaption] = useState(image.caption);
  const refresh = () => utils.characters.invalidate();
  const save = trpc.characters.setCaption.useMutation({ onSuccess: refresh });
  const remove = trpc.characters.deleteImage.useMutation({ onSuccess: refresh });
  const dirty = caption !== image.caption;
  const captionId = `caption-${image.name}`;
  const error = issueMap(save.error).caption;

  return (
    <li className="image-card">
      <a href={characterImageUrl(character.id, image.name)} target="_blank" rel="noreferrer">
        <img src={characterImageUrl(character.id, image.name, 256)} alt={`Training image ${image.name}`} loading="lazy" />
      </a>
      <p className="muted small">
        {image.width}×{image.height}
      </p>
      <label htmlFor={captionId} className="small">
        Caption
      </label>
      <textarea id={captionId} rows={2} value={caption} onChange={(e) => setCaption(e.target.value)} />
      {error && <p className="field-error">{error}</p>}
      <ErrorBox error={error ? null : (save.error ?? remove.error)} />
      <div className="row">
        <button
          type="button"
          className="secondary"
          disabled={!dirty || save.isPending}
          onClick={() => save.mutate({ id: character.id, image: image.name, caption })}
        >
          {save.isPending ? 'Saving…' : dirty ? 'Save caption' : 'Saved'}
        </button>
        <button
          type="button"
          className="danger ghost"
          disabled={remove.isPending}
          aria-label={`Delete image ${image.name}`}
          onClick={() => remove.mutate({ id: character.id, image: image.name })}
        >
          Delete
        </button>
      </div>
    </li>
  );
}

export function CharacterImages({ character }: { character: Character }) {
  if (character.images.length === 0) return <p className="empty">No images yet. Upload 10–30 varied photos of the person.</p>;
  return (
    <ul className="image-grid" aria-label="Training images">
      {character.images.map((image) => (
        <ImageCard key={image.name} character={character} image={image} />
      ))}
    </ul>
  );
}
