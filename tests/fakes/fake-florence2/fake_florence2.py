"""FAKE Florence-2 captioner for tests: speaks the JSON-lines protocol of python/florence2_caption.py
(docs/contracts.md, Captions) without a model.

What it does is steered by a JSON file named in FAKE_FLORENCE_CONTROL (read at start; absent = all defaults):
  delay_ms      sleep before each caption (default 0)
  fail_index    this image gets a per-image error
  crash_after   after this many captions: a CUDA-style traceback on stderr, exit 1
  hang_after    after this many captions: wait forever (a cancel must end it)
  fatal         the model "cannot load": a fatal error line, exit 3
Also writes "<pid> <helper pid>" to FAKE_FLORENCE_PIDFILE when set: the helper is a child in the same process
group (like a dataloader worker), so a test can check a cancel ends the whole group. Each request it saw is
appended to FAKE_FLORENCE_REQUESTS (one JSON line per run) with its arguments and HF_HOME.
"""
import json
import os
import subprocess
import sys
import time

REVISION = "fakerev0123456789"
TASKS = ("<CAPTION>", "<DETAILED_CAPTION>")


def send(kind, **fields):
    sys.stdout.write(json.dumps({"type": kind, **fields}) + "\n")
    sys.stdout.flush()


def main():
    control = {}
    if os.environ.get("FAKE_FLORENCE_CONTROL") and os.path.exists(os.environ["FAKE_FLORENCE_CONTROL"]):
        with open(os.environ["FAKE_FLORENCE_CONTROL"]) as f:
            control = json.load(f)
    args = sys.argv[1:]
    model = args[args.index("--model") + 1] if "--model" in args else "?"
    request = json.loads(sys.stdin.readline())
    if request.get("task") not in TASKS:
        send("error", fatal=True, message=f"task must be one of {', '.join(TASKS)}")
        return 2
    if os.environ.get("FAKE_FLORENCE_REQUESTS"):
        with open(os.environ["FAKE_FLORENCE_REQUESTS"], "a") as f:
            f.write(json.dumps({"args": args, "request": request, "hf_home": os.environ.get("HF_HOME")}) + "\n")
    helper = subprocess.Popen(["sleep", "1000"])
    if os.environ.get("FAKE_FLORENCE_PIDFILE"):
        with open(os.environ["FAKE_FLORENCE_PIDFILE"], "w") as f:
            f.write(f"{os.getpid()} {helper.pid}")
    print("Some weights of the model checkpoint were not used (a transformers warning on stdout)")
    sys.stdout.flush()
    send("progress", stage="loading", model=model)
    if control.get("fatal"):
        sys.stderr.write("OSError: microsoft/Florence-2-large does not appear to have a file named pytorch_model.bin\n")
        send("error", fatal=True, message=f"could not load {model}: OSError: no weights")
        helper.kill()
        return 3
    send("ready", model=model, revision=REVISION, device="cuda", dtype="float16")
    images = request["images"]
    done = failed = 0
    for index, image in enumerate(images):
        if control.get("hang_after") is not None and done >= control["hang_after"]:
            while True:
                time.sleep(1)
        if control.get("crash_after") is not None and done >= control["crash_after"]:
            sys.stderr.write("Traceback (most recent call last):\n")
            sys.stderr.write('  File "florence2_caption.py", line 120, in caption\n')
            sys.stderr.write("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n")
            sys.stderr.flush()
            os._exit(1)
        send("progress", stage="captioning", index=index, total=len(images), name=image["name"])
        time.sleep(control.get("delay_ms", 0) / 1000)
        if control.get("fail_index") == index:
            failed += 1
            send("error", index=index, name=image["name"], message="UnidentifiedImageError: cannot identify image file")
            continue
        if not os.path.exists(image["path"]):
            failed += 1
            send("error", index=index, name=image["name"], message="FileNotFoundError: no such file")
            continue
        if request["task"] == "<CAPTION>":
            text = f"A person standing in a sunny garden, picture {index + 1}."
        else:
            text = f"The image shows a person standing in a sunny garden. In the background there is a hedge. Picture {index + 1}."
        done += 1
        send("caption", index=index, name=image["name"], text=text)
    helper.kill()
    send("done", captioned=done, failed=failed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
