#!/usr/bin/env python3
"""Captions images with microsoft/Florence-2-large for Isengard's caption job (docs/contracts.md, Captions).

Run by the worker's florence2 caption backend with the trainer's python (AI_TOOLKIT_PYTHON, which has
torch and transformers), one process per job, in its own process group:

    $AI_TOOLKIT_PYTHON python/florence2_caption.py [--model ID] [--revision REV] [--num-beams 3] [--max-new-tokens 1024]

Protocol, JSON lines, UTF-8:
  stdin   one request, then EOF:
          {"images": [{"name": "img-….jpg", "path": "/abs/path"}, …], "task": "<CAPTION>" | "<DETAILED_CAPTION>"}
  stdout  one object per line, each with "type":
          {"type": "progress", "stage": "loading", "model": ID}                 before the model loads (a first
                                                                                  run downloads it into HF_HOME)
          {"type": "ready", "model": ID, "revision": SHA|"unknown", "device": "cuda"|"cpu", "dtype": …}
          {"type": "progress", "stage": "captioning", "index": i, "total": n, "name": …}
          {"type": "caption", "index": i, "name": …, "text": …}
          {"type": "error", "index": i, "name": …, "message": …}                 this image only; the rest go on
          {"type": "error", "fatal": true, "message": …}                          nothing more follows
          {"type": "done", "captioned": k, "failed": m}
  exit    0 after "done"; 2 for a bad request or arguments; 3 when the model cannot be loaded.

Libraries print to stdout (transformers' remote code, tqdm): the protocol keeps a private copy of the
original stdout and file descriptor 1 is pointed at stderr, so nothing else can land between its lines.
Loading follows the model card: AutoModelForCausalLM/AutoProcessor with trust_remote_code, float16 on
CUDA (float32 on CPU), generate with num_beams=3, then post_process_generation with the task and the
image size. The GPU memory is released before "done".
"""
import argparse
import gc
import json
import os
import sys

DEFAULT_MODEL = "microsoft/Florence-2-large"
TASKS = ("<CAPTION>", "<DETAILED_CAPTION>")
MAX_IMAGES = 10000


class RequestError(Exception):
    """The request on stdin cannot be run."""


class Protocol:
    def __init__(self, out):
        self.out = out

    def send(self, kind, **fields):
        self.out.write(json.dumps({"type": kind, **fields}, ensure_ascii=False) + "\n")
        self.out.flush()


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        raise RequestError(f"bad arguments: {message}")


def parse_args(argv):
    parser = ArgumentParser(prog="florence2_caption.py", description="Caption images with Florence-2 (JSON lines on stdin/stdout)")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="Hugging Face id or local folder of a Florence-2 model")
    parser.add_argument("--revision", default=None, help="model revision (branch, tag or commit) to load")
    parser.add_argument("--num-beams", type=int, default=3)
    parser.add_argument("--max-new-tokens", type=int, default=1024)
    args = parser.parse_args(argv)
    if args.num_beams < 1 or args.max_new_tokens < 1:
        raise RequestError("bad arguments: --num-beams and --max-new-tokens must be at least 1")
    return args


def read_request(stream):
    """The first non-empty line of `stream`, checked: a list of {name, path} images and a known task."""
    for line in stream:
        if line.strip():
            break
    else:
        raise RequestError("no request on stdin (expected one JSON line)")
    try:
        request = json.loads(line)
    except ValueError as err:
        raise RequestError(f"the request is not JSON ({err})") from None
    if not isinstance(request, dict):
        raise RequestError("the request must be a JSON object")
    task = request.get("task")
    if task not in TASKS:
        raise RequestError(f"task must be one of {', '.join(TASKS)}, not {json.dumps(task)}")
    images = request.get("images")
    if not isinstance(images, list) or len(images) > MAX_IMAGES:
        raise RequestError(f"images must be a list of at most {MAX_IMAGES} {{name, path}} objects")
    for i, image in enumerate(images):
        if not isinstance(image, dict) or not isinstance(image.get("name"), str) or not isinstance(image.get("path"), str):
            raise RequestError(f"images[{i}] must be an object with string name and path")
    return {"task": task, "images": images}


class Florence2Captioner:
    """The model and its processor, loaded as the model card shows."""

    def __init__(self, args):
        import torch
        from transformers import AutoModelForCausalLM, AutoProcessor

        self.torch = torch
        self.args = args
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.dtype = torch.float16 if self.device == "cuda" else torch.float32
        extra = {"revision": args.revision} if args.revision else {}
        self.model = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=self.dtype, trust_remote_code=True, **extra).to(self.device)
        self.model.eval()
        self.processor = AutoProcessor.from_pretrained(args.model, trust_remote_code=True, **extra)
        self.revision = getattr(self.model.config, "_commit_hash", None) or args.revision or "unknown"
        self.dtype_name = str(self.dtype).replace("torch.", "")

    def caption(self, path, task):
        from PIL import Image

        with Image.open(path) as opened:
            image = opened.convert("RGB")
        inputs = self.processor(text=task, images=image, return_tensors="pt").to(self.device, self.dtype)
        with self.torch.inference_mode():
            generated_ids = self.model.generate(
                input_ids=inputs["input_ids"],
                pixel_values=inputs["pixel_values"],
                max_new_tokens=self.args.max_new_tokens,
                num_beams=self.args.num_beams,
                do_sample=False,
            )
        generated_text = self.processor.batch_decode(generated_ids, skip_special_tokens=False)[0]
        parsed = self.processor.post_process_generation(generated_text, task=task, image_size=(image.width, image.height))
        return str(parsed.get(task, "")).strip()

    def close(self):
        del self.model
        del self.processor
        gc.collect()
        if self.device == "cuda":
            self.torch.cuda.empty_cache()


def describe_error(err):
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": ")


def run(argv, stdin, proto, load_model=None):
    """The whole protocol. `load_model(args)` (default Florence2Captioner) returns an object with
    caption(path, task), close(), revision, device and dtype_name; tests pass a stub model here."""
    load_model = load_model or Florence2Captioner
    try:
        args = parse_args(argv)
        request = read_request(stdin)
    except RequestError as err:
        proto.send("error", fatal=True, message=str(err))
        return 2
    if not request["images"]:
        proto.send("done", captioned=0, failed=0)
        return 0
    proto.send("progress", stage="loading", model=args.model)
    try:
        captioner = load_model(args)
    except ImportError as err:
        proto.send("error", fatal=True, message=f"this python cannot load {args.model}: {describe_error(err)} (AI_TOOLKIT_PYTHON must have torch and transformers)")
        return 3
    except Exception as err:  # noqa: BLE001 - any load failure is reported on the protocol, with the traceback on stderr
        import traceback

        traceback.print_exc(file=sys.stderr)
        proto.send("error", fatal=True, message=f"could not load {args.model}: {describe_error(err)}")
        return 3
    proto.send("ready", model=args.model, revision=captioner.revision, device=captioner.device, dtype=captioner.dtype_name)
    images = request["images"]
    captioned = failed = 0
    try:
        for index, image in enumerate(images):
            name = image["name"]
            proto.send("progress", stage="captioning", index=index, total=len(images), name=name)
            try:
                text = (captioner.caption(image["path"], request["task"]) or "").strip()
            except Exception as err:  # noqa: BLE001 - one bad image must not end the job
                failed += 1
                proto.send("error", index=index, name=name, message=describe_error(err))
                continue
            if text:
                captioned += 1
                proto.send("caption", index=index, name=name, text=text)
            else:
                failed += 1
                proto.send("error", index=index, name=name, message="the model returned an empty caption")
    finally:
        captioner.close()
    proto.send("done", captioned=captioned, failed=failed)
    return 0


def main():
    protocol_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sys.exit(run(sys.argv[1:], sys.stdin, Protocol(protocol_out)))


if __name__ == "__main__":
    main()
