"""Config loading and a strict check of what ostris/ai-toolkit would do with it.

Real ai-toolkit reads every section with kwargs.get() and silently ignores unknown keys; the fake
refuses them, so a misspelt key in Isengard's writer fails a test instead of silently training
with a default. Key names and accepted values are copied from ai-toolkit: toolkit/config_modules.py
(SaveConfig, SampleConfig, NetworkConfig, TrainConfig, ModelConfig, DatasetConfig, LoggingConfig),
toolkit/train_tools.get_torch_dtype, toolkit/optimizer.get_optimizer, toolkit/scheduler.get_lr_scheduler.
"""
import json
import os
import re
from collections import OrderedDict

KEYS = {
    "top": {"job", "config", "meta"},
    "config": {"name", "process", "device", "training_folder"},
    "process": {"type", "training_folder", "device", "trigger_word", "network", "save", "datasets", "train",
                "model", "sample", "logging", "performance_log_every", "training_seed", "log_dir", "first_sample"},
    "network": {"type", "rank", "linear", "linear_alpha", "conv", "conv_alpha", "alpha", "dropout",
                "network_kwargs", "transformer_only", "lokr_full_rank", "lokr_factor", "pretrained_lora_path"},
    "save": {"dtype", "save_every", "max_step_saves_to_keep", "save_format", "push_to_hub", "hf_repo_id",
             "hf_private"},
    "dataset": {"folder_path", "dataset_path", "caption_ext", "caption_dropout_rate", "shuffle_tokens",
                "cache_latents", "cache_latents_to_disk", "resolution", "default_caption", "trigger_word",
                "num_repeats", "flip_x", "flip_y", "random_crop", "random_scale", "buckets", "bucket_tolerance",
                "keep_tokens", "token_dropout_rate", "network_weight", "is_reg", "scale", "type", "control_path",
                "mask_path", "alpha_mask"},
    "train": {"batch_size", "steps", "gradient_accumulation_steps", "gradient_accumulation", "train_unet",
              "train_text_encoder", "gradient_checkpointing", "noise_scheduler", "optimizer", "optimizer_params",
              "lr", "unet_lr", "text_encoder_lr", "lr_scheduler", "lr_scheduler_params", "dtype",
              "skip_first_sample", "force_first_sample", "disable_sampling", "linear_timesteps", "ema_config",
              "max_grad_norm", "noise_offset", "min_snr_gamma", "snr_gamma", "xformers", "sdp", "timestep_type",
              "content_or_style", "loss_type", "start_step", "cache_text_embeddings", "unload_text_encoder"},
    "model": {"name_or_path", "is_flux", "quantize", "quantize_te", "qtype", "qtype_te", "low_vram", "is_v2",
              "is_xl", "is_v3", "arch", "dtype", "vae_path", "lora_path", "assistant_lora_path",
              "text_encoder_bits", "attn_masking", "inference_lora_path", "layer_offloading"},
    "sample": {"sampler", "sample_every", "sample_start_step", "width", "height", "prompts", "samples", "neg",
               "seed", "walk_seed", "guidance_scale", "sample_steps", "network_multiplier", "guidance_rescale",
               "format", "fps", "num_frames"},
    # toolkit/config_modules.EMAConfig
    "ema": {"use_ema", "ema_decay", "use_feedback", "param_multiplier"},
    "logging": {"log_every", "verbose", "use_wandb", "use_ui_logger", "project_name", "run_name"},
}
# get_torch_dtype: anything else is passed through as a string and breaks torch later.
DTYPES = {"float", "fp32", "single", "float32", "fp16", "half", "float16", "bf16", "bfloat16"}
OPTIMIZERS = {"adam", "adamw", "adam8bit", "adamw8bit", "adam8", "adamw8", "lion", "lion8bit", "ademamix8bit",
              "prodigy", "prodigy8bit", "adagrad", "adafactor", "automagic", "dadaptation"}
LR_SCHEDULERS = {"constant", "cosine", "cosine_with_restarts", "step", "linear", "constant_with_warmup"}
NETWORK_TYPES = {"lora", "locon", "lorm", "lokr"}
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp")


class ConfigError(ValueError):
    pass


def _yaml_loader():
    """ai-toolkit's toolkit/config.fixed_loader: SafeLoader plus a float resolver for `1e-4`."""
    try:
        import yaml
    except ImportError as e:  # ai-toolkit itself needs (o)yaml; so does this fake
        raise ConfigError("fake ai-toolkit needs PyYAML (pip install pyyaml / apt-get install python3-yaml)") from e

    class FixedLoader(yaml.SafeLoader):
        pass

    FixedLoader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"""^(?:
         [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""", re.X),
        list("-+0123456789."))
    return yaml, FixedLoader


def load_config(path, name=None):
    """Mirror of toolkit/config.get_config: ${VAR} substitution, then JSON or YAML, then [name]."""
    if not os.path.exists(path):
        raise ConfigError(f"Could not find config file {path}")
    with open(path, "r", encoding="utf-8") as f:
        content = f.read()

    def env(match):
        value = os.environ.get(match.group(1))
        if value is None:
            raise ConfigError(f"Environment variable {match.group(1)} not set. Please ensure it's defined before proceeding.")
        return value

    content = re.sub(r"\$\{([^}]+)\}", env, content)
    if path.endswith((".json", ".jsonc")):
        config = json.loads(content, object_pairs_hook=OrderedDict)
    elif path.endswith((".yaml", ".yml")):
        yaml, loader = _yaml_loader()
        try:
            config = yaml.load(content, Loader=loader)
        except yaml.YAMLError as e:
            raise ConfigError(f"config file is not valid YAML: {e}") from e
    else:
        raise ConfigError(f"Config file {path} must be a json or yaml file")
    if not isinstance(config, dict) or "job" not in config:
        raise ConfigError("config file must have a job key")
    if "config" not in config:
        raise ConfigError("config file must have a config section")
    if "name" not in config["config"] and name is None:
        raise ConfigError("config file must have a config.name key")
    name = name or config["config"]["name"]
    return json.loads(json.dumps(config).replace("[name]", name), object_pairs_hook=OrderedDict)


def _keys(section, value, where):
    if not isinstance(value, dict):
        raise ConfigError(f'config file is invalid. "{where}" must be a mapping')
    unknown = sorted(set(value) - KEYS[section])
    if unknown:
        raise ConfigError(f'config file is invalid. Unknown key "{where}.{unknown[0]}" (ai-toolkit would ignore it)')


def _need(obj, key, where):
    if key not in obj or obj[key] is None:
        raise ConfigError(f'config file error. Missing "{where}.{key}" key')
    return obj[key]


def _typed(value, kinds, where, minimum=None):
    # bool is an int in Python; a YAML `true` where a number belongs is still a mistake.
    ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
    if not ok:
        names = "/".join(k.__name__ for k in kinds)
        raise ConfigError(f'"{where}" must be {names}, got {type(value).__name__} {value!r}')
    if minimum is not None and value < minimum:
        raise ConfigError(f'"{where}" must be >= {minimum}, got {value!r}')
    return value


def _choice(value, options, where):
    if not isinstance(value, str) or value.lower() not in options:
        raise ConfigError(f'"{where}" must be one of {sorted(options)}, got {value!r}')
    return value


def validate(config):
    """Returns the single sd_trainer process; raises ConfigError naming the first bad key."""
    _keys("top", config, "<root>")
    if config["job"] != "extension":
        raise ConfigError(f"Unknown job type {config['job']} (sd_trainer runs as job: extension)")
    cfg = config["config"]
    _keys("config", cfg, "config")
    _typed(_need(cfg, "name", "config"), (str,), "config.name")
    processes = _need(cfg, "process", "config")
    if not isinstance(processes, list) or len(processes) != 1:
        raise ConfigError('config file is invalid. "config.process" must be a list of processes (the fake runs one)')
    proc = processes[0]
    w = "config.process[0]"
    _keys("process", proc, w)
    if _need(proc, "type", w) != "sd_trainer":
        raise ConfigError(f"config file is invalid. Unknown process type: {proc['type']}")
    _typed(_need(proc, "training_folder", w), (str,), f"{w}.training_folder")
    if "trigger_word" in proc:
        _typed(proc["trigger_word"], (str,), f"{w}.trigger_word")

    net = _need(proc, "network", w)
    _keys("network", net, f"{w}.network")
    _choice(_need(net, "type", f"{w}.network"), NETWORK_TYPES, f"{w}.network.type")
    _typed(_need(net, "linear", f"{w}.network"), (int,), f"{w}.network.linear", 1)
    _typed(_need(net, "linear_alpha", f"{w}.network"), (int, float), f"{w}.network.linear_alpha", 0)
    if "pretrained_lora_path" in net:
        # Real ai-toolkit only prints "does not exist" and trains from scratch; the fake refuses.
        lora = _typed(net["pretrained_lora_path"], (str,), f"{w}.network.pretrained_lora_path")
        if not os.path.isfile(lora):
            raise ConfigError(f"{w}.network.pretrained_lora_path: file not found: {lora}")

    save = _need(proc, "save", w)
    _keys("save", save, f"{w}.save")
    _choice(save.get("dtype", "float16"), DTYPES, f"{w}.save.dtype")
    _typed(_need(save, "save_every", f"{w}.save"), (int,), f"{w}.save.save_every", 1)
    _typed(save.get("max_step_saves_to_keep", 5), (int,), f"{w}.save.max_step_saves_to_keep", 0)

    datasets = _need(proc, "datasets", w)
    if not isinstance(datasets, list) or not datasets:
        raise ConfigError(f'"{w}.datasets" must be a non-empty list')
    for i, ds in enumerate(datasets):
        dw = f"{w}.datasets[{i}]"
        _keys("dataset", ds, dw)
        folder = _typed(_need(ds, "folder_path", dw), (str,), f"{dw}.folder_path")
        if not os.path.isdir(folder):
            raise ConfigError(f"{dw}.folder_path: folder not found: {folder}")
        _typed(ds.get("caption_ext", "txt"), (str,), f"{dw}.caption_ext")
        _typed(ds.get("caption_dropout_rate", 0.0), (int, float), f"{dw}.caption_dropout_rate", 0)
        res = ds.get("resolution", 512)
        for r in res if isinstance(res, list) else [res]:
            _typed(r, (int,), f"{dw}.resolution", 64)

    train = _need(proc, "train", w)
    tw = f"{w}.train"
    _keys("train", train, tw)
    _typed(_need(train, "steps", tw), (int,), f"{tw}.steps", 1)
    _typed(train.get("batch_size", 1), (int,), f"{tw}.batch_size", 1)
    _typed(train.get("gradient_accumulation_steps", 1), (int,), f"{tw}.gradient_accumulation_steps", 1)
    # A str here is the classic YAML exponent bug (`1e-4` read as a string): torch would reject it.
    _typed(_need(train, "lr", tw), (int, float), f"{tw}.lr")
    _choice(train.get("optimizer", "adamw"), OPTIMIZERS, f"{tw}.optimizer")
    _choice(train.get("lr_scheduler", "constant"), LR_SCHEDULERS, f"{tw}.lr_scheduler")
    _choice(train.get("dtype", "fp32"), DTYPES, f"{tw}.dtype")
    for flag in ("train_unet", "train_text_encoder", "gradient_checkpointing", "disable_sampling"):
        if flag in train:
            _typed(train[flag], (bool,), f"{tw}.{flag}")
    if "lr_scheduler_params" in train and not isinstance(train["lr_scheduler_params"], dict):
        raise ConfigError(f'"{tw}.lr_scheduler_params" must be a mapping')
    if "ema_config" in train:
        ema = train["ema_config"]
        _keys("ema", ema, f"{tw}.ema_config")
        _typed(ema.get("use_ema", False), (bool,), f"{tw}.ema_config.use_ema")
        decay = _typed(ema.get("ema_decay", 0.999), (int, float), f"{tw}.ema_config.ema_decay", 0)
        if decay >= 1:
            raise ConfigError(f'"{tw}.ema_config.ema_decay" must be below 1, got {decay!r}')

    model = _need(proc, "model", w)
    _keys("model", model, f"{w}.model")
    _typed(_need(model, "name_or_path", f"{w}.model"), (str,), f"{w}.model.name_or_path")
    for flag in ("is_flux", "quantize"):
        if flag in model:
            _typed(model[flag], (bool,), f"{w}.model.{flag}")
    if model.get("is_flux") and train.get("noise_scheduler") != "flowmatch":
        raise ConfigError(f'"{tw}.noise_scheduler" must be "flowmatch" to train flux')

    sample = _need(proc, "sample", w)
    sw = f"{w}.sample"
    _keys("sample", sample, sw)
    if sample.get("sampler") != train.get("noise_scheduler"):
        raise ConfigError(f'"{sw}.sampler" must match train.noise_scheduler')
    _typed(_need(sample, "sample_every", sw), (int,), f"{sw}.sample_every", 1)
    for key in ("width", "height"):
        _typed(sample.get(key, 512), (int,), f"{sw}.{key}", 64)
    prompts = _need(sample, "prompts", sw)
    if not isinstance(prompts, list) or not all(isinstance(p, str) and p for p in prompts):
        raise ConfigError(f'"{sw}.prompts" must be a list of non-empty strings')
    if not prompts and not train.get("disable_sampling"):
        raise ConfigError(f'"{sw}.prompts" is empty but train.disable_sampling is not set')
    _typed(sample.get("guidance_scale", 7), (int, float), f"{sw}.guidance_scale")
    _typed(sample.get("sample_steps", 20), (int,), f"{sw}.sample_steps", 1)
    _typed(sample.get("seed", 0), (int,), f"{sw}.seed")
    _typed(sample.get("walk_seed", False), (bool,), f"{sw}.walk_seed")
    if "logging" in proc:
        _keys("logging", proc["logging"], f"{w}.logging")
    return proc


def count_images(folder):
    return len([f for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTS)])
