"""Runs the REAL python/florence2_caption.py against stand-in torch, transformers and PIL modules (none of
them is installed here) and prints, as one JSON object, every call the script made into them: which
classes it loaded with which arguments, how it generated and post-processed, and whether it freed the GPU.
The vitest test compares that with the model card. Usage: python3 model_card_check.py <script dir> [cuda|cpu]
with the request on stdin; the protocol lines go to stdout as usual, the call record to stderr."""
import io
import json
import sys
import types

calls = []
cuda = (sys.argv[2] if len(sys.argv) > 2 else "cuda") == "cuda"


def record(name, *args, **kwargs):
    calls.append({"call": name, "args": [repr(a) for a in args], "kwargs": {k: repr(v) for k, v in kwargs.items()}})


torch = types.ModuleType("torch")
torch.float16 = "torch.float16"
torch.float32 = "torch.float32"


class _Cuda:
    @staticmethod
    def is_available():
        return cuda

    @staticmethod
    def empty_cache():
        record("torch.cuda.empty_cache")


class _NoGrad:
    def __enter__(self):
        record("torch.inference_mode")

    def __exit__(self, *exc):
        return False


torch.cuda = _Cuda()
torch.inference_mode = _NoGrad


class _Inputs(dict):
    def to(self, *args):
        record("inputs.to", *args)
        return self


class _Config:
    _commit_hash = "0123456789abcdef0123456789abcdef01234567"


class _Model:
    config = _Config()

    def to(self, device):
        record("model.to", device)
        return self

    def eval(self):
        record("model.eval")
        return self

    def generate(self, **kwargs):
        record("model.generate", **{k: v for k, v in kwargs.items() if k not in ("input_ids", "pixel_values")})
        assert kwargs["input_ids"] == "ids" and kwargs["pixel_values"] == "pixels"
        return ["generated"]


class _Processor:
    def __call__(self, **kwargs):
        record("processor", **{k: v for k, v in kwargs.items() if k != "images"})
        return _Inputs(input_ids="ids", pixel_values="pixels")

    def batch_decode(self, ids, **kwargs):
        record("processor.batch_decode", ids, **kwargs)
        return ["</s><s>A woman sitting on a bench.</s>"]

    def post_process_generation(self, text, **kwargs):
        record("processor.post_process_generation", text, **kwargs)
        return {kwargs["task"]: "A woman sitting on a bench."}


class AutoModelForCausalLM:
    @staticmethod
    def from_pretrained(name, **kwargs):
        record("AutoModelForCausalLM.from_pretrained", name, **kwargs)
        return _Model()


class AutoProcessor:
    @staticmethod
    def from_pretrained(name, **kwargs):
        record("AutoProcessor.from_pretrained", name, **kwargs)
        return _Processor()


transformers = types.ModuleType("transformers")
transformers.AutoModelForCausalLM = AutoModelForCausalLM
transformers.AutoProcessor = AutoProcessor


class _Image:
    width, height = 640, 480

    def convert(self, mode):
        record("image.convert", mode)
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


pil = types.ModuleType("PIL")
pil_image = types.ModuleType("PIL.Image")
pil_image.open = lambda path: (record("Image.open", path), _Image())[1]
pil.Image = pil_image

sys.modules.update({"torch": torch, "transformers": transformers, "PIL": pil, "PIL.Image": pil_image})
sys.path.insert(0, sys.argv[1])
import florence2_caption  # noqa: E402

out = io.StringIO()
code = florence2_caption.run([], sys.stdin, florence2_caption.Protocol(out))
sys.stdout.write(out.getvalue())
sys.stderr.write(json.dumps({"code": code, "calls": calls}) + "\n")
