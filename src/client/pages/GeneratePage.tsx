/**
 * Generate: the form (controls from /api/info) and a gallery of recent generation jobs.
 * `?character=` starts from that character's stored Generate default (LoRA and strength, set by
 * "Use this" on an evaluation grid); `?lora=` (and `&strength=`) pick a LoRA directly.
 */
import { GenerateForm, type GenerationStartInput } from '../components/GenerateForm.js';
import { Gallery } from '../components/Gallery.js';
import { pollWhileActive } from '../components/JobList.js';
import { Empty, Loading, QueryView } from '../components/ui.js';
import { useInfo } from '../hooks/use-info.js';
import { generatePrefill } from '../lib/generate-prefill.js';
import { useRouter } from '../lib/router.js';
import { trpc, type RouterInputs } from '../lib/trpc.js';

export function GeneratePage() {
  const { search } = useRouter();
  const info = useInfo();
  const loras = trpc.loras.list.useQuery();
  const utils = trpc.useUtils();
  const jobs = trpc.generation.list.useQuery({ limit: 12 }, { refetchInterval: (q) => pollWhileActive(q.state.data?.items) });
  const start = trpc.generation.start.useMutation({ onSuccess: () => void utils.generation.list.invalidate() });
  // Stored defaults live on the characters: read them from the server each visit, not from the link.
  const characters = trpc.characters.list.useQuery(undefined, { staleTime: 0 });
  const prefill = generatePrefill(new URLSearchParams(search), characters.data ?? []);

  const submit = (input: GenerationStartInput) => {
    // Built from the live manifest; the server validates it against the same one.
    start.mutate(input as RouterInputs['generation']['start']);
  };

  return (
    <div className="page two-col wide-right">
      <section aria-labelledby="gen-title">
        <h1 id="gen-title">Generate</h1>
        <QueryView query={info} what="capabilities">
          {(data) => (
            <QueryView query={loras} what="LoRAs">
              {(list) =>
                // Without the characters the form would start without their defaults; a failed list only loses those.
                characters.isPending ? (
                  <Loading what="defaults" />
                ) : (
                  <GenerateForm
                    key={`${prefill.loraId ?? ''}@${prefill.strength ?? ''}`}
                    caps={data.image_generation}
                    loras={list}
                    onSubmit={submit}
                    pending={start.isPending}
                    error={start.error}
                    initialLoraId={prefill.loraId}
                    initialLoraStrength={prefill.strength}
                    loraDefaults={prefill.defaults}
                  />
                )
              }
            </QueryView>
          )}
        </QueryView>
      </section>
      <section aria-labelledby="gallery-title">
        <h2 id="gallery-title">Results</h2>
        <QueryView query={jobs} what="results">
          {(page) =>
            page.items.length === 0 ? (
              <Empty>Nothing generated yet.</Empty>
            ) : (
              <Gallery jobs={page.items} onFinished={() => void utils.generation.list.invalidate()} />
            )
          }
        </QueryView>
      </section>
    </div>
  );
}

