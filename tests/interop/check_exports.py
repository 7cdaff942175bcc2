#!/usr/bin/env python3
"""DigitLab's exports, checked by the real other side (Debian's python3-onnx, python3-opencv,
python3-torch, python3-numpy).

1. digitlab-cli export writes an ONNX model, a PyTorch state_dict and DigitLab's own logits on
   the 10,000 MNIST test images.
2. onnx.checker accepts the ONNX file; its batch dimension is symbolic.
3. OpenCV's dnn module runs it on all 10,000 images: same classes as DigitLab, logits within 1e-4.
4. PyTorch loads the state_dict into the tutorial's Net with strict=True (also with
   weights_only=True): same classes, logits within 1e-4.
5. The other direction and back: a state_dict written by Python (tests/data/seed_state_dict.pt)
   goes through digitlab-cli export --checkpoint: the exported state_dict holds the very same
   tensors, and the exported ONNX run by OpenCV gives PyTorch's own logits for that Net.
6. Any network (issue 17): the bundled `best` model (BatchNorm2d/1d, padding, dropout) exported
   with --bundled best, and a Python nn.Sequential of every other layer kind (LeakyReLU, AvgPool2d,
   strides, Tanh, Dropout2d, an overlapping MaxPool2d, BatchNorm1d) with random weights and
   running statistics, imported with `import --arch TEXT`: DigitLab's logits equal PyTorch's own,
   the exported model.py's build() loads the exported state_dict with strict=True and predicts
   the same, and OpenCV runs the exported ONNX to the same classes and logits.

A missing module is a failure, never a skip: this test exists to prove the interop.
Usage: check_exports.py DIGITLAB_CLI MNIST_DIR WORK_DIR  ($DIGITLAB_DATA overrides MNIST_DIR)
"""
import concurrent.futures
import os
import subprocess
import sys
import threading

try:
    import cv2
    import numpy as np
    import onnx
    import torch
except ImportError as e:  # fail loudly: the whole point is to run the other side
    sys.exit(f"check_exports: FAILED: {e}; install the packages of packaging/setup-debian.sh "
             "(python3-numpy python3-onnx python3-opencv python3-torch)")

TOLERANCE = 1e-4  # max |logit difference| allowed (float32 kernels differ in summation order)
# The digitlab-cli exports run beside this script (class Cli) and OpenCV beside PyTorch
# (opencv_when_exported): one thread each for OpenCV and PyTorch (Debian's is single-threaded
# anyway), the parallelism is theirs.
cv2.setNumThreads(1)
PIECE = 250  # images per PyTorch forward pass: the activations of 250 stay in the caches


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
from seednet import Net  # noqa: E402  the tutorial's model, one definition (bench/seednet.py)


def fail(message):
    sys.exit(f"check_exports: FAILED: {message}")


def read_idx_images(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, count, rows, cols = np.frombuffer(data[:16], dtype=">u4")
    if magic != 2051 or rows != 28 or cols != 28:
        fail(f"{path}: not an MNIST image file")
    return np.frombuffer(data[16:], dtype=np.uint8).reshape(count, 1, 28, 28).astype(np.float32) / 255.0


def compare(name, logits, reference):
    if logits.shape != reference.shape:
        fail(f"{name}: logits shape {logits.shape}, DigitLab's {reference.shape}")
    classes, ref_classes = logits.argmax(1), reference.argmax(1)
    differing = int((classes != ref_classes).sum())
    worst = float(np.abs(logits - reference).max())
    print(f"{name}: {len(classes) - differing}/{len(classes)} classes equal to DigitLab's, "
          f"max |logit difference| {worst:.2e}")
    if differing:
        fail(f"{name}: {differing} images classified differently (first: {np.nonzero(classes != ref_classes)[0][:5]})")
    if worst > TOLERANCE:
        fail(f"{name}: logits differ by {worst:.2e} > {TOLERANCE}")


def torch_logits(net, images):
    """Eval-mode logits in pieces of PIECE: one forward pass of 10,000 images through `best` held
    ~1 GB of activations and took 10 s, in pieces 3.6 s (the same logits)."""
    net.eval()
    with torch.no_grad():
        return np.concatenate([net(torch.from_numpy(images[i:i + PIECE])).numpy() for i in range(0, len(images), PIECE)])


def opencv_logits(onnx_path, images):
    """OpenCV dnn in batches of 1,000 (exercises the dynamic batch dimension)."""
    net = cv2.dnn.readNetFromONNX(onnx_path)
    chunks = []
    for first in range(0, len(images), 1000):
        net.setInput(images[first:first + 1000])
        chunks.append(net.forward().reshape(-1, 10))
    return np.concatenate(chunks)


class Cli:
    """digitlab-cli runs started at once, waited for when their files are needed: each costs about
    half a second of LibTorch start-up and the exports with --test-logits seconds of evaluation,
    which overlap with PyTorch's single-threaded work here."""

    def __init__(self, cli):
        self.cli = cli

    def start(self, *args):
        return subprocess.Popen([self.cli, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    @staticmethod
    def wait(process, what):
        out, err = process.communicate()
        if process.returncode != 0:
            fail(f"digitlab-cli {what} exited {process.returncode}: {err.strip()}")
        return out.strip()


def opencv_when_exported(pool, process, onnx_path, images):
    """OpenCV's logits of an export's ONNX on the pool's thread once the export has ended (None if
    it failed: the main thread reports that), while the main thread runs PyTorch: both release the
    GIL, so a serial ctest run uses both cores."""
    return pool.submit(lambda: opencv_logits(onnx_path, images) if process.wait() == 0 else None)


def fresh(*paths):
    for p in paths:
        if os.path.exists(p):
            os.remove(p)
    return paths


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    cli, mnist, work = sys.argv[1:]
    mnist = os.environ.get("DIGITLAB_DATA") or mnist  # the same override digitlab-cli honours
    if not os.path.exists(os.path.join(mnist, "t10k-images-idx3-ubyte")):
        fail(f"MNIST is missing in {mnist}: run packaging/fetch-mnist.sh")
    os.makedirs(work, exist_ok=True)
    # Every export that needs nothing from Python starts now (one call per model).
    runner = Cli(cli)
    onnx_path, pt_path, ref_path = fresh(*(os.path.join(work, f) for f in (
        "digitlab.onnx", "digitlab_state_dict.pt", "digitlab_test_logits.npy")))
    fixture = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "seed_state_dict.pt")
    onnx2, pt2 = fresh(os.path.join(work, "fixture.onnx"), os.path.join(work, "fixture.pt"))
    tutorial = runner.start("export", "--onnx", onnx_path, "--pytorch", pt_path, "--test-logits", ref_path, "--data", mnist)
    from_python = runner.start("export", "--checkpoint", fixture, "--onnx", onnx2, "--pytorch", pt2)
    best = export_all(runner, mnist, work, "best", ["--bundled", "best"])
    images = read_idx_images(os.path.join(mnist, "t10k-images-idx3-ubyte"))
    # The all-kinds network's weights come from Python: written, imported and exported meanwhile.
    all_kinds = start_all_kinds(runner, mnist, work, images)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    opencv = {name: opencv_when_exported(pool, process, path, images)
              for name, process, path in (("tutorial", tutorial, onnx_path), ("fixture", from_python, onnx2),
                                          ("best", best[0], best[2]))}

    print(runner.wait(tutorial, "export"))
    reference = np.load(ref_path)
    if reference.shape != (10000, 10) or len(images) != 10000:
        fail(f"expected 10,000 test images and logits, got {len(images)} and {reference.shape}")

    # ONNX: the checker (full check, with shape inference), the declared interface.
    model = onnx.load(onnx_path)
    onnx.checker.check_model(model, full_check=True)
    opset = {o.domain: o.version for o in model.opset_import}[""]
    inp, out = model.graph.input[0], model.graph.output[0]
    dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
    print(f"onnx {onnx.__version__}: checker OK, opset {opset}, input {inp.name} {dims}, output {out.name}")
    if not isinstance(dims[0], str) or dims[1:] != [1, 28, 28]:
        fail(f"ONNX input shape {dims}: expected a symbolic batch dimension and 1x28x28")

    # OpenCV dnn, in batches (exercises the dynamic batch dimension) and one single image.
    compare(f"OpenCV {cv2.__version__} dnn", opencv["tutorial"].result(), reference)
    net = cv2.dnn.readNetFromONNX(onnx_path)
    net.setInput(images[:1])
    compare("OpenCV dnn, batch of 1", net.forward().reshape(-1, 10), reference[:1])

    # PyTorch: the tutorial's Net, strict loading, both the classic and the safe unpickler.
    state = torch.load(pt_path)
    if not isinstance(state, dict) or sorted(state) != sorted(Net().state_dict()):
        fail(f"state_dict keys {sorted(state) if isinstance(state, dict) else type(state)}")
    torch_net = Net()
    torch_net.load_state_dict(state, strict=True)
    Net().load_state_dict(torch.load(pt_path, weights_only=True), strict=True)
    compare(f"PyTorch {torch.__version__} Net.load_state_dict(strict=True)", torch_logits(torch_net, images), reference)

    # Python -> DigitLab -> Python / OpenCV, with --checkpoint.
    runner.wait(from_python, "export --checkpoint")
    original, exported = torch.load(fixture), torch.load(pt2, weights_only=True)
    if list(exported) != list(Net().state_dict()) or any(not torch.equal(original[k], exported[k]) for k in original):
        fail("the state_dict exported from a Python state_dict differs from it")
    python_net = Net()
    python_net.load_state_dict(original, strict=True)
    python_logits = torch_logits(python_net, images)
    ours = opencv["fixture"].result()
    worst = float(np.abs(ours - python_logits).max())
    # An untrained Net has near-ties: compare classes where PyTorch's top two are clearly apart.
    top2 = np.sort(python_logits, axis=1)[:, -2:]
    clear = (top2[:, 1] - top2[:, 0]) > 10 * TOLERANCE
    differing = int((ours.argmax(1) != python_logits.argmax(1))[clear].sum())
    print(f"Python state_dict -> DigitLab -> ONNX -> OpenCV vs PyTorch: max |logit difference| {worst:.2e}, "
          f"{int(clear.sum()) - differing}/{int(clear.sum())} clear-cut classes equal; state_dict tensors identical")
    if worst > TOLERANCE or differing:
        fail("DigitLab's ONNX of a Python model disagrees with PyTorch")

    check_exported("bundled best", runner, best, opencv["best"], images)
    check_all_kinds(runner, all_kinds, images)
    print("check_exports: OK")


# Every layer kind the text has that `best` lacks; shapes: 8x28x28, 8x14x14, 16x6x6, 16x5x5, 400.
ALL_KINDS_TEXT = ("Conv2d(8,3,padding=1) BatchNorm2d LeakyReLU(0.1) AvgPool2d(2) Conv2d(16,3,stride=2) Tanh "
                  "Dropout2d(0.2) MaxPool2d(2,stride=1) Flatten BatchNorm1d Dropout(0.3) Linear(32) ReLU Linear(10)")


def all_kinds_net():
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.LeakyReLU(0.1), nn.AvgPool2d(2),
                         nn.Conv2d(8, 16, 3, stride=2), nn.Tanh(), nn.Dropout2d(0.2), nn.MaxPool2d(2, stride=1),
                         nn.Flatten(), nn.BatchNorm1d(400), nn.Dropout(0.3), nn.Linear(400, 32), nn.ReLU(),
                         nn.Linear(32, 10))


def load_module(path):
    import importlib.util
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def export_all(runner, mnist, work, name, model_args):
    """Starts one export of the ONNX, the state_dict with its .py and the test logits."""
    onnx_path, pt_path, ref_path = fresh(*(os.path.join(work, name + ext) for ext in (".onnx", ".pt", "_logits.npy")))
    fresh(pt_path[:-3] + ".py")
    process = runner.start("export", *model_args, "--onnx", onnx_path, "--pytorch", pt_path,
                           "--test-logits", ref_path, "--data", mnist)
    return process, " ".join(["export", *model_args]), onnx_path, pt_path, ref_path


def finish_export(runner, export):
    process, what, onnx_path, pt_path, ref_path = export
    runner.wait(process, what)
    onnx.checker.check_model(onnx.load(onnx_path), full_check=True)
    return onnx_path, pt_path, np.load(ref_path)


def check_exported(name, runner, export, opencv, images):
    onnx_path, pt_path, reference = finish_export(runner, export)
    net = load_module(pt_path[:-3] + ".py").build()
    net.load_state_dict(torch.load(pt_path, weights_only=True), strict=True)
    compare(f"{name}: PyTorch {torch.__version__}, model.py build() + load_state_dict(strict=True)",
            torch_logits(net, images), reference)
    compare(f"{name}: OpenCV {cv2.__version__} dnn", opencv.result(), reference)


def start_all_kinds(runner, mnist, work, images):
    """Python's weights for every other layer kind, saved; `import --arch`, then one export and
    OpenCV's run of its ONNX, on a thread (the export needs the import's checkpoint)."""
    torch.manual_seed(7)
    python_net = all_kinds_net()
    with torch.no_grad():
        for m in python_net.modules():
            if isinstance(m, (torch.nn.BatchNorm2d, torch.nn.BatchNorm1d)):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.num_batches_tracked.fill_(123)
    python_net.eval()
    source = os.path.join(work, "all_kinds_python.pt")
    torch.save(python_net.state_dict(), source)
    checkpoint = os.path.join(work, "all_kinds.digitlab.pt")
    result = {}

    def chain():
        try:
            runner.wait(runner.start("import", source, "--arch", ALL_KINDS_TEXT, "--out", checkpoint), "import --arch")
            export = export_all(runner, mnist, work, "all_kinds", ["--checkpoint", checkpoint])
            runner.wait(export[0], export[1])
            result["export"] = export
            result["opencv"] = opencv_logits(export[2], images)
        except BaseException as e:  # fail() or an error on this thread: raised by check_all_kinds
            result["error"] = e
    thread = threading.Thread(target=chain)
    thread.start()
    return python_net, thread, result


def check_all_kinds(runner, all_kinds, images):
    python_net, thread, result = all_kinds
    python_logits = torch_logits(python_net, images)
    thread.join()
    if "error" in result:
        raise result["error"]
    onnx_path, pt_path, reference = finish_export(runner, result["export"])
    # Random weights leave near-ties: DigitLab's logits must be PyTorch's within the tolerance.
    worst = float(np.abs(reference - python_logits).max())
    print(f"all layer kinds: DigitLab vs PyTorch on the same weights, max |logit difference| {worst:.2e}")
    if worst > TOLERANCE:
        fail(f"all layer kinds: DigitLab's logits differ from PyTorch's by {worst:.2e}")
    exported = torch.load(pt_path, weights_only=True)
    original = python_net.state_dict()
    # num_batches_tracked is present but not carried through (docs/checkpoint-format.md: nothing reads it).
    if list(exported) != list(original) or any(not torch.equal(original[k], exported[k])
                                                for k in original if not k.endswith("num_batches_tracked")):
        fail("all layer kinds: the exported state_dict differs from the imported one")
    net = load_module(pt_path[:-3] + ".py").build()
    net.load_state_dict(exported, strict=True)
    worst = float(np.abs(torch_logits(net, images) - python_logits).max())
    worst_cv = float(np.abs(result["opencv"] - python_logits).max())
    print(f"all layer kinds: model.py build() {worst:.2e}, OpenCV dnn {worst_cv:.2e} from PyTorch's logits")
    if worst > TOLERANCE or worst_cv > TOLERANCE:
        fail("all layer kinds: the exported model.py or ONNX disagrees with PyTorch")


if __name__ == "__main__":
    main()
