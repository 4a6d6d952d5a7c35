/**
 * A character's dataset: thumbnails, editable captions (the .txt ai-toolkit reads) with where each
 * came from (you, or a caption model, unreviewed until accepted), delete.
 */
import { useState } from 'react';
import type { CaptionSource, Character, CharacterImage } from '../../shared/characters.js';
import { captionSourceOf } from '../../shared/captions.js';
import { characterImageUrl } from '../lib/api.js';
import { issueMap } from '../lib/errors.js';
import { trpc } from '../lib/trpc.js';
import { ErrorBox } from './ui.js';

/** "microsoft/Florence-2-large" → "Florence-2-large": the org adds nothing on a badge. */
const modelName = (source: Extract<CaptionSource, { kind: 'model' }>) => source.model.split('/').pop() || source.model;

export function CaptionSourceBadge({ image }: { image: CharacterImage }) {
  const source = captionSourceOf(image);
  if (!source) return <span className="badge caption-source">No caption</span>;
  if (source.kind === 'user') {
    return (
      <span className="badge caption-source user" title="Written or edited by you: a caption job fills only missing captions, so it keeps this one">
        You
      </span>
    );
  }
  const title = `${source.model} ${source.version}`;
  return source.accepted ? (
    <span className="badge caption-source accepted" title={`${title}, accepted by you`}>
      {modelName(source)} ✓
    </span>
  ) : (
    <span className="badge caption-source unreviewed" title={`${title}: check it, then accept or edit it`}>
      {modelName(source)} (unreviewed)
    </span>
  );
}

function ImageCard({ character, image }: { character: Character; image: CharacterImage }) {
  const utils = trpc.useUtils();
  // null: show the stored caption, so captions a caption job writes appear as they land; a draft the
  // user is typing is never replaced underneath them.
  const [draft, setDraft] = useState<string | null>(null);
  const refresh = () => utils.characters.invalidate();
  const save = trpc.characters.setCaption.useMutation({ onSuccess: refresh });
  const remove = trpc.characters.deleteImage.useMutation({ onSuccess: refresh });
  const accept = trpc.characters.captions.accept.useMutation({ onSuccess: refresh });
  if (draft !== null && draft === image.caption && !save.isPending) setDraft(null);
  const caption = draft ?? image.caption;
  const dirty = draft !== null && draft !== image.caption;
  const captionId = `caption-${image.name}`;
  const error = issueMap(save.error).caption;
  const source = captionSourceOf(image);
  const unreviewed = source?.kind === 'model' && !source.accepted;

  return (
    <li className="image-card">
      <a href={characterImageUrl(character.id, image.name)} target="_blank" rel="noreferrer">
        <img src={characterImageUrl(character.id, image.name, 256)} alt={`Training image ${image.name}`} loading="lazy" />
      </a>
      <p className="muted small row spread">
        <span>
          {image.width}×{image.height}
        </span>
        <CaptionSourceBadge image={image} />
      </p>
      <label htmlFor={captionId} className="small">
        Caption
      </label>
      <textarea id={captionId} rows={3} value={caption} onChange={(e) => setDraft(e.target.value)} />
      {error && <p className="field-error">{error}</p>}
      <ErrorBox error={error ? null : (save.error ?? remove.error ?? accept.error)} />
      <div className="row">
        <button type="button" className="secondary" disabled={!dirty || save.isPending} onClick={() => save.mutate({ id: character.id, image: image.name, caption })}>
          {save.isPending ? 'Saving…' : dirty ? 'Save caption' : 'Saved'}
        </button>
        {unreviewed && !dirty && (
          <button type="button" className="secondary" disabled={accept.isPending} onClick={() => accept.mutate({ id: character.id, images: [image.name] })}>
            Accept caption
          </button>
        )}
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
