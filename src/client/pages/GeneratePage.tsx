/** Generate: the form (controls from /api/info) and a gallery of recent generation jobs. */
import { GenerateForm, type GenerationStartInput } from '../components/GenerateForm.js';
import { Gallery } from '../components/Gallery.js';
import { pollWhileActive } from '../components/JobList.js';
import { Empty, QueryView } from '../components/ui.js';
import { useInfo } from '../hooks/use-info.js';
import { useRouter } from '../lib/router.js';
import { trpc, type RouterInputs } from '../lib/trpc.js';

export function GeneratePage() {
  const { search } = useRouter();
  const info = useInfo();
  const loras = trpc.loras.list.useQuery();
  const utils = trpc.useUtils();
  const jobs = trpc.generation.list.useQuery({ limit: 12 }, { refetchInterval: (q) => pollWhileActive(q.state.data?.items) });
  const start = trpc.generation.start.useMutation({ onSuccess: () => void utils.generation.list.invalidate() });
  const initialLoraId = new URLSearchParams(search).get('lora') ?? undefined;

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
              {(list) => (
                <GenerateForm caps={data.image_generation} loras={list} onSubmit={submit} pending={start.isPending} error={start.error} initialLoraId={initialLoraId} />
              )}
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
