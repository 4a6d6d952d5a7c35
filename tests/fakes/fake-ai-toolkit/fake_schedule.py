"""The learning rate ai-toolkit + torch would use at each step, without torch.

Mirrors, in closed form:
- jobs/process/BaseSDTrainProcess.py: `lr_scheduler_params` from the config, then
  `total_iters = train.steps` added unless the params name `max_iterations`;
- toolkit/scheduler.get_lr_scheduler: cosine → CosineAnnealingLR(T_max=total_iters),
  cosine_with_restarts → CosineAnnealingWarmRestarts(T_0=total_iters): `total_iters` REPLACES any
  T_0 given in lr_scheduler_params; constant → ConstantLR(factor=1.0); linear → LinearLR(**params);
- torch's schedulers with their defaults (LinearLR start_factor=1/3, end_factor=1.0) and their
  argument checks (an unknown keyword is a TypeError, as in torch);
- toolkit/optimizer.get_optimizer: prodigy/dadaptation replace an lr below 0.1 with 1.0, and the
  progress bar then shows d * lr (d starts at Prodigy's d0 = 1e-6 and grows).

The scheduler is stepped once per training step (SDTrainer.hook_train_loop) after `step(0)` at the
start, and the bar's `lr:` is read after that step, so step n (1-based) shows the lr of epoch n.
"""
import math

TORCH_ARGS = {
    "CosineAnnealingLR": {"T_max", "eta_min", "last_epoch", "verbose"},
    "CosineAnnealingWarmRestarts": {"T_0", "T_mult", "eta_min", "last_epoch", "verbose"},
    "ConstantLR": {"factor", "total_iters", "last_epoch", "verbose"},
    "LinearLR": {"start_factor", "end_factor", "total_iters", "last_epoch", "verbose"},
    "StepLR": {"step_size", "gamma", "last_epoch", "verbose"},
}


class ScheduleError(Exception):
    def __init__(self, message, exc="ValueError"):
        super().__init__(message)
        self.exc = exc


def _check_args(cls, kwargs):
    for key in kwargs:
        if key not in TORCH_ARGS[cls]:
            raise ScheduleError(f"{cls}.__init__() got an unexpected keyword argument '{key}'", "TypeError")


def scheduler_factor(name, params, steps):
    """Returns (torch class name, f(epoch) → multiplier of the optimizer's base lr)."""
    kwargs = dict(params or {})
    if "max_iterations" not in kwargs:
        kwargs["total_iters"] = steps
    if name == "cosine":
        if "total_iters" in kwargs:
            kwargs["T_max"] = kwargs.pop("total_iters")
        _check_args("CosineAnnealingLR", kwargs)
        t_max, eta = kwargs["T_max"], kwargs.get("eta_min", 0.0)
        return "CosineAnnealingLR", lambda e: eta + (1 - eta) * (1 + math.cos(math.pi * e / t_max)) / 2
    if name == "cosine_with_restarts":
        if "total_iters" in kwargs:
            kwargs["T_0"] = kwargs.pop("total_iters")
        _check_args("CosineAnnealingWarmRestarts", kwargs)
        t0, t_mult, eta = kwargs["T_0"], kwargs.get("T_mult", 1), kwargs.get("eta_min", 0.0)
        if not isinstance(t0, int) or t0 <= 0:
            raise ScheduleError(f"Expected positive integer T_0, but got {t0}")
        if not isinstance(t_mult, int) or t_mult < 1:
            raise ScheduleError(f"Expected integer T_mult >= 1, but got {t_mult}")

        def restarts(e):
            if t_mult == 1:
                t_cur, t_i = e % t0, t0
            else:
                n = int(math.log(e / t0 * (t_mult - 1) + 1, t_mult))
                t_cur, t_i = e - t0 * (t_mult ** n - 1) / (t_mult - 1), t0 * t_mult ** n
            return eta + (1 - eta) * (1 + math.cos(math.pi * t_cur / t_i)) / 2

        return "CosineAnnealingWarmRestarts", restarts
    if name == "constant":
        kwargs.setdefault("factor", 1.0)
        _check_args("ConstantLR", kwargs)
        factor, total = kwargs["factor"], kwargs["total_iters"]
        return "ConstantLR", lambda e: factor if e < total else 1.0
    if name == "linear":
        _check_args("LinearLR", kwargs)
        start, end, total = kwargs.get("start_factor", 1.0 / 3), kwargs.get("end_factor", 1.0), kwargs["total_iters"]
        if start > 1.0 or start <= 0:
            raise ScheduleError("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")
        if end > 1.0 or end < 0:
            raise ScheduleError("Ending multiplicative factor expected to be between 0 and 1.")
        return "LinearLR", lambda e: start + (end - start) * min(e, total) / total
    if name == "step":
        _check_args("StepLR", kwargs)
    raise ScheduleError("Scheduler must be cosine, cosine_with_restarts, step, linear or constant")


def optimizer_lr(optimizer, lr):
    """The lr the optimizer is built with (get_optimizer)."""
    adaptive = optimizer.lower().startswith(("prodigy", "dadaptation"))
    return 1.0 if adaptive and lr < 0.1 else float(lr)


def shown_lr(optimizer, scheduled_lr, step):
    """What the bar's `lr:` postfix shows: d * lr for the adaptive optimizers, else the group's lr."""
    if optimizer.lower().startswith(("prodigy", "dadaptation")):
        d = min(5e-4, 1e-6 * 1.1 ** step)  # Prodigy's estimate of the step size grows from d0
        return d * scheduled_lr
    return scheduled_lr


# toolkit/train_tools.get_torch_dtype
TORCH_DTYPES = {"float": "float32", "fp32": "float32", "single": "float32", "float32": "float32",
                "fp16": "float16", "half": "float16", "float16": "float16", "bf16": "bfloat16", "bfloat16": "bfloat16"}


def effective_training(proc):
    """What ai-toolkit would run with for one validated process: the values its classes end up
    holding (TrainConfig, EMAConfig, NetworkConfig, the optimizer and the scheduler), with the
    learning rate sampled at the start, ¼, ½, ¾ and the last step."""
    t, net, sample = proc["train"], proc["network"], proc["sample"]
    steps = t["steps"]
    optimizer = t.get("optimizer", "adamw").lower()
    base = optimizer_lr(optimizer, float(t["lr"]))
    cls, factor = scheduler_factor(t.get("lr_scheduler", "constant"), t.get("lr_scheduler_params"), steps)
    ema = t.get("ema_config") or {}
    use_ema = bool(ema.get("use_ema", False))
    return {
        "steps": steps,
        "batch_size": t.get("batch_size", 1),
        "optimizer": optimizer,
        "optimizer_lr": base,
        "scheduler": cls,
        "lr_at": [base * factor(e) for e in (0, steps // 4, steps // 2, 3 * steps // 4, steps - 1)],
        "dtype": TORCH_DTYPES.get(str(t.get("dtype", "fp32")).lower(), str(t.get("dtype"))),
        "ema": {"use_ema": True, "ema_decay": ema.get("ema_decay", 0.999)} if use_ema else {"use_ema": False},
        "rank": net["linear"],
        "alpha": net["linear_alpha"],
        "resolution": proc["datasets"][0].get("resolution", 512),
        "sample_size": [sample.get("width", 512), sample.get("height", 512)],
        # SampleConfig / SaveConfig defaults when a key is missing.
        "sample_every": sample.get("sample_every", 100),
        "sample_seed": sample.get("seed", 0),
        "walk_seed": sample.get("walk_seed", False),
        "max_step_saves_to_keep": proc["save"].get("max_step_saves_to_keep", 5),
    }
