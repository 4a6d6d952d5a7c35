"""Fake ostris/ai-toolkit `run.py` for tests: same CLI, same config checks (stricter), same output.

It prints what BaseSDTrainProcess prints (job banner on stdout, a tqdm bar redrawn with '\\r' on
stderr, "Saving at step N"), with the learning rate the configured optimizer and scheduler would
really use (fake_schedule.py) in the bar's `lr:` postfix. Sample generation during training draws
a nested "Generating Images" bar at tqdm position 1, with the `\\n` … `ESC[A` cursor moves tqdm
writes. A gated hub model id (FLUX.1-dev) without HF_TOKEN fails as diffusers does. It writes `<training_folder>/<name>/<name>_000000250.safetensors`
checkpoints (rotating old ones out like max_step_saves_to_keep), `samples/<ms>__000000250_0.jpg`
samples for every prompt (baseline at step 0, every sample_every, final; seed walks per prompt) and
the final `<name>.safetensors`.

It starts where BaseSDTrainProcess starts: the newest (by ctime) `<name>*.safetensors` in the save
folder is loaded and its metadata `training_info.step` becomes the first step (progress bar
`initial`, no baseline samples); with no such file, `network.pretrained_lora_path` is loaded as
starting weights and training runs from step 0.

Knobs (environment):
  FAKE_AI_TOOLKIT_STEP_MS          milliseconds per training step (default 20)
  FAKE_AI_TOOLKIT_FAIL_AT_STEP=n   Python traceback (CUDA OOM) on stderr at step n, exit 1
  FAKE_AI_TOOLKIT_IGNORE_SIGTERM=1 ignore SIGTERM (to exercise the SIGKILL fallback)
  FAKE_AI_TOOLKIT_CHILD=1          start a helper subprocess in the same process group, like a
                                   dataloader worker, and print its pid
Python stdlib only.
"""
import argparse
import glob
import os
import re
import signal
import subprocess
import sys
import time

# No __pycache__ beside the fake in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_config import ConfigError, count_images, load_config, validate  # noqa: E402
from fake_schedule import ScheduleError, optimizer_lr, scheduler_factor, shown_lr  # noqa: E402
from fake_media import read_safetensors_metadata, sample_jpeg, write_safetensors  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# Hub repos that need an accepted licence and a token (huggingface_hub raises GatedRepoError).
GATED_REPOS = {"black-forest-labs/FLUX.1-dev"}
HUB_ID_RE = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
BAR = " " + "".join(map(chr, range(0x258F, 0x2587, -1)))  # tqdm's UTF charset: ' ▏▎▍▌▋▊▉█'


def out(text=""):
    print(text, flush=True)


def err(text):
    # Bytes, so the unicode bar survives whatever locale the worker runs with.
    sys.stderr.buffer.write(text.encode("utf-8"))
    sys.stderr.buffer.flush()


def fmt_interval(t):
    mins, s = divmod(int(t), 60)
    h, m = divmod(mins, 60)
    return f"{h:d}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def tqdm_line(desc, n, total, elapsed, postfix="", initial=0):
    """tqdm's default meter: `{desc}: {percentage:3.0f}%|{bar}| {n}/{total} [{elapsed}<{remaining}, {rate}{postfix}]`.
    Like tqdm.format_meter, the rate counts only the steps done since `initial`."""
    frac = n / total
    full, part = divmod(int(frac * 10 * 8), 8)
    bar = BAR[-1] * full + (BAR[part] + BAR[0] * (10 - full - 1) if full < 10 else "")
    rate = (n - initial) / elapsed if n > initial and elapsed > 0 else None
    if rate is None:
        rate_fmt, remaining = "?it/s", "?"
    else:
        rate_fmt = f"{1 / rate:5.2f}s/it" if 1 / rate > 1 else f"{rate:5.2f}it/s"
        remaining = fmt_interval((total - n) / rate)
    prefix = f"{desc}: " if desc else ""
    post = f", {postfix}" if postfix else ""
    return f"\r{prefix}{frac * 100:3.0f}%|{bar}| {n}/{total} [{fmt_interval(elapsed)}<{remaining}, {rate_fmt}{post}]"


def side_bar(desc, total, step_s, position=0):
    """Short bars ai-toolkit also draws (latent caching, sample generation); not training progress.

    At position > 0 (a bar opened while the training bar exists) tqdm moves the cursor down with
    newlines, redraws, and moves back up with ESC[A; with leave=False it blanks the line on close."""
    down, up = "\n" * position, "\x1b[A" * position
    start = time.time()
    for n in range(total + 1):
        err(down + tqdm_line(desc, n, total, time.time() - start + n * step_s) + up)
    if position:
        err(down + "\r" + " " * 80 + "\r" + up)
    else:
        err("\n")


def fail(message, exc="ValueError", cause=None):
    out(f"Error running job: {message}")
    out("")
    out("========================================")
    out("Result:")
    out(" - 0 completed jobs")
    out(" - 1 failure")
    out("========================================")
    if cause:
        err(cause + "\nDuring handling of the above exception, another exception occurred:\n\n")
    err("Traceback (most recent call last):\n"
        f'  File "{os.path.join(HERE, "run.py")}", line 120, in <module>\n    main()\n'
        f'  File "{os.path.join(HERE, "run.py")}", line 108, in main\n    raise e\n'
        f'  File "{os.path.join(HERE, "run.py")}", line 96, in main\n    job.run()\n'
        '  File "/ai-toolkit/jobs/ExtensionJob.py", line 22, in run\n    process.run()\n'
        '  File "/ai-toolkit/jobs/process/BaseSDTrainProcess.py", line 2573, in run\n'
        "    loss_dict = self.hook_train_loop(batch_list)\n"
        f"{exc}: {message}\n")
    sys.exit(1)


def write_samples(root, proc, step, nested):
    if proc["train"].get("disable_sampling"):
        return
    sample = proc["sample"]
    folder = os.path.join(root, "samples")
    os.makedirs(folder, exist_ok=True)
    prompts = sample["prompts"]
    # toolkit/stable_diffusion_model.py: tqdm(..., desc="Generating Images", leave=False)
    side_bar("Generating Images", len(prompts), 0.01, 1 if nested else 0)
    gen_time = int(time.time() * 1000)
    width = len(str(len(prompts)))
    seed = sample.get("seed", 0)
    for i in range(len(prompts)):
        name = f"{gen_time}__{str(step).zfill(9)}_{str(i).zfill(width)}.jpg"
        prompt_seed = seed + i if sample.get("walk_seed", False) else seed
        with open(os.path.join(folder, name), "wb") as f:
            f.write(sample_jpeg(sample.get("width", 512), sample.get("height", 512), step, prompt_seed))


def save(root, name, proc, step):
    keep = proc["save"].get("max_step_saves_to_keep", 5)
    suffix = f"_{str(step).zfill(9)}" if step is not None else ""
    meta = {"name": name, "version": "1.0", "training_info": f'{{"step": {step or proc["train"]["steps"]}}}'}
    write_safetensors(os.path.join(root, f"{name}{suffix}.safetensors"), proc["network"]["linear"], meta)
    if step is None:
        return
    saves = sorted(f for f in os.listdir(root) if f.startswith(f"{name}_") and f.endswith(".safetensors"))
    for old in saves[: max(0, len(saves) - keep)]:
        os.remove(os.path.join(root, old))


def latest_save_path(root, name, proc):
    """BaseSDTrainProcess.get_latest_save_path: the newest `{name}*.safetensors` by ctime, else the
    network's pretrained_lora_path."""
    paths = [p for p in glob.glob(os.path.join(root, f"{name}*.safetensors")) if os.path.exists(p)]
    if "_LoRA" not in name:
        paths = [p for p in paths if "_LoRA" not in p]
    if paths:
        return max(paths, key=os.path.getctime)
    pretrained = proc["network"].get("pretrained_lora_path")
    if pretrained is not None:
        if os.path.exists(pretrained):
            out(f"Using pretrained lora path from config: {pretrained}")
            return pretrained
        out(f"Pretrained lora path from config does not exist: {pretrained}")
    return None


def starting_step(root, name, proc):
    """load_weights + load_training_state_from_metadata: the step stored in the file, never a
    pretrained LoRA's."""
    path = latest_save_path(root, name, proc)
    if path is None:
        return 0
    out(f"#### IMPORTANT RESUMING FROM {path} ####")
    out(f"Loading from {path}")
    if path == proc["network"].get("pretrained_lora_path"):
        return 0
    info = read_safetensors_metadata(path).get("training_info")
    if isinstance(info, dict) and "step" in info:
        out(f"Found step {info['step']} in metadata, starting from there")
        return int(info["step"])
    return 0


def load_model(model):
    """FluxTransformer2DModel.from_pretrained(name_or_path, subfolder="transformer") for a hub id."""
    path = model["name_or_path"]
    if os.path.exists(path) or not HUB_ID_RE.match(path):
        return  # a local folder (the fake has no weights to read)
    token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")
    if path in GATED_REPOS and not token:
        url = f"https://huggingface.co/{path}/resolve/main/transformer/config.json"
        cause = ("Traceback (most recent call last):\n"
                 '  File "/ai-toolkit/venv/lib/python3.10/site-packages/huggingface_hub/utils/_http.py", line 409, '
                 "in hf_raise_for_status\n    response.raise_for_status()\n"
                 f"requests.exceptions.HTTPError: 401 Client Error: Unauthorized for url: {url}\n\n"
                 "The above exception was the direct cause of the following exception:\n\n"
                 "Traceback (most recent call last):\n"
                 '  File "/ai-toolkit/venv/lib/python3.10/site-packages/diffusers/configuration_utils.py", line 379, '
                 "in load_config\n    config_file = hf_hub_download(\n"
                 "huggingface_hub.errors.GatedRepoError: 401 Client Error. (Request ID: Root=1-fake)\n\n"
                 f"Cannot access gated repo for url {url}.\n"
                 f"Access to model {path} is restricted. You must have access to it and be authenticated to "
                 "access it. Please log in.\n")
        fail(f"{path} is not a local folder and is not a valid model identifier listed on "
             "'https://huggingface.co/models'\nIf this is a private repository, make sure to pass a token "
             "having permission to this repo with `token` or log in with `hf auth login`.", "OSError", cause)


def train(proc, name):
    step_s = float(os.environ.get("FAKE_AI_TOOLKIT_STEP_MS", "20")) / 1000
    fail_at = int(os.environ.get("FAKE_AI_TOOLKIT_FAIL_AT_STEP", "0") or 0)
    t = proc["train"]
    steps, save_every, sample_every = t["steps"], proc["save"]["save_every"], proc["sample"]["sample_every"]
    root = os.path.join(proc["training_folder"], name)
    os.makedirs(root, exist_ok=True)
    folder = proc["datasets"][0]["folder_path"]
    images = count_images(folder)
    out("Loading Flux model")
    out("Loading transformer")
    load_model(proc["model"])
    out("Quantizing transformer")
    out("Loading T5")
    out("Loading CLIP")
    out("making pipe")
    out("preparing")
    out(f"create LoRA network. base dim (rank): {proc['network']['linear']}, alpha: {proc['network']['linear_alpha']}")
    out(f"Dataset: {folder}")
    out("  -  Preprocessing image dimensions")
    if images == 0:
        fail(f"No images found in {folder}")
    out(f"  -  Found {images} images")
    side_bar("Caching latents to disk", images, 0.01)
    if os.environ.get("FAKE_AI_TOOLKIT_CHILD") == "1":
        child = subprocess.Popen(["sleep", "600"])
        out(f"dataloader worker pid {child.pid}")
    if t.get("ema_config", {}).get("use_ema"):
        out("Using EMA")  # TrainConfig prints it when ema_config.use_ema is set
    optimizer = t.get("optimizer", "adamw")
    if optimizer.lower().startswith("prodigy"):
        out("Using Prodigy optimizer")
        out(f"Using lr {optimizer_lr(optimizer, float(t['lr']))}")
    base_lr = optimizer_lr(optimizer, float(t["lr"]))
    try:
        _, factor = scheduler_factor(t.get("lr_scheduler", "constant"), t.get("lr_scheduler_params"), steps)
    except ScheduleError as e:
        fail(str(e), e.exc)
    first = starting_step(root, name, proc)
    if proc["train"].get("disable_sampling"):
        out("Skipping first sample due to config setting")
    elif first <= 1:
        out("Generating baseline samples before training")
        write_samples(root, proc, first, False)
    start = time.time()
    err(tqdm_line(name, first, steps, 0, initial=first))
    loss = 0.6
    for step in range(first + 1, steps + 1):
        time.sleep(step_s)
        if step == fail_at:
            err("\n")
            fail("CUDA out of memory. Tried to allocate 72.00 MiB. GPU 0 has a total capacity of 23.55 GiB "
                 "of which 41.06 MiB is free.", "torch.OutOfMemoryError")
        loss = 0.08 + 0.5 * 2.718281828 ** (-3 * step / steps)
        lr = shown_lr(optimizer, base_lr * factor(step), step)
        err(tqdm_line(name, step, steps, time.time() - start, f"lr: {lr:.1e} loss: {loss:.3e}", initial=first))
        if step < steps and step % save_every == 0:
            out(f"\nSaving at step {step}")
            save(root, name, proc, step)
        if step < steps and step % sample_every == 0:
            write_samples(root, proc, step, True)
    err("\n")
    save(root, name, proc, None)
    write_samples(root, proc, steps, False)
    out("")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("config_file_list", nargs="+", type=str)
    parser.add_argument("-r", "--recover", action="store_true")
    parser.add_argument("-n", "--name", type=str, default=None)
    parser.add_argument("-l", "--log", type=str, default=None)
    args = parser.parse_args()
    if os.environ.get("FAKE_AI_TOOLKIT_IGNORE_SIGTERM") == "1":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    out(f"fake ai-toolkit pid {os.getpid()}")
    out(f"Running {len(args.config_file_list)} job{'' if len(args.config_file_list) == 1 else 's'}")
    for path in args.config_file_list:
        try:
            config = load_config(path, args.name)
            proc = validate(config)
        except ConfigError as e:
            fail(str(e))
        name = config["config"]["name"]
        out("")
        out("#############################################")
        out(f"# Running job: {name}")
        out("#############################################")
        out("")
        out("")
        out("Running  1 process")
        train(proc, name)
    out("")
    out("========================================")
    out("Result:")
    out(f" - {len(args.config_file_list)} completed job{'' if len(args.config_file_list) == 1 else 's'}")
    out("========================================")


if __name__ == "__main__":
    main()
