"""FAKE `toolkit.job` (tests). The real module (ostris/ai-toolkit toolkit/job.py) defines
get_job(config_path, name) and run_job(config); run.py imports it first, so a python that can
import it can start a training. Like the real one, it needs torch."""
import torch  # noqa: F401  (the real toolkit.job pulls torch in through its job classes)


def get_job(config_path, name=None):
    raise NotImplementedError("fake toolkit.job: the fake run.py does not use it")
