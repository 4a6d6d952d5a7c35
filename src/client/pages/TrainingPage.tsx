/** Training: the start form (controls from /api/info) and the training job list. */
import { TrainingForm, type TrainingStartInput } from '../components/TrainingForm.js';
import { JobList, pollWhileActive } from '../components/JobList.js';
import { Empty, ErrorBox, Loading, QueryView } from '../components/ui.js';
import { useInfo } from '../hooks/use-info.js';
import { trpc, type RouterInputs } from '../lib/trpc.js';
import { Link, useRouter } from '../lib/router.js';
import { TRAINING_LIST_INPUT } from '../../shared/boot-queries.js';

export function TrainingPage() {
  const { navigate, search } = useRouter();
  const info = useInfo();
  const characters = trpc.characters.list.useQuery();
  const jobs = trpc.training.list.useQuery(TRAINING_LIST_INPUT, { refetchInterval: (q) => pollWhileActive(q.state.data?.items) });
  const utils = trpc.useUtils();
  const start = trpc.training.start.useMutation({
    onSuccess: (job) => {
      void utils.training.list.invalidate();
      navigate(`/training/${job.id}`);
    },
  });
  const params = new URLSearchParams(search);
  const from = params.get('from');
  // "Train again with these settings": the form starts from that job's config and character.
  const source = trpc.training.get.useQuery({ id: from ?? '' }, { enabled: !!from, retry: false });
  const initialCharacterId = params.get('character') ?? source.data?.character_id ?? undefined;

  const submit = (input: TrainingStartInput) => {
    // The config is built from the live manifest; the server validates it against the same one.
    start.mutate(input as RouterInputs['training']['start']);
  };

  return (
    <div className="page two-col">
      <section aria-labelledby="training-form-title">
        <h1 id="training-form-title">Train a LoRA</h1>
        <QueryView query={info} what="capabilities">
          {(data) => (
            <QueryView query={characters} what="characters">
              {(list) => from && source.isPending ? <Loading what="settings" /> : (
                <>
                  {list.length === 0 && (
                    <Empty>
                      No characters yet. <Link to="/characters">Create one and upload photos</Link> first.
                    </Empty>
                  )}
                  {from && source.data && (
                    <p className="muted">
                      Settings of <Link to={`/training/${from}`}>{from}</Link>
                    </p>
                  )}
                  <ErrorBox error={source.error} />
                  <TrainingForm
                    key={from ?? 'new'}
                    initial={source.data ? { config: source.data.config, sample_prompts: source.data.sample_prompts } : undefined}
                    backend={data.training.backend}
                    parameters={data.training.parameters}
                    characters={list}
                    onSubmit={submit}
                    pending={start.isPending}
                    error={start.error}
                    initialCharacterId={initialCharacterId}
                  />
                </>
              )}
            </QueryView>
          )}
        </QueryView>
      </section>
      <section aria-labelledby="training-jobs-title">
        <h2 id="training-jobs-title">Training jobs</h2>
        <QueryView query={jobs} what="jobs">
          {(page) =>
            page.items.length === 0 ? <Empty>No training jobs yet.</Empty> : <JobList jobs={page.items} hrefFor={(j) => `/training/${j.id}`} />
          }
        </QueryView>
      </section>
    </div>
  );
}
