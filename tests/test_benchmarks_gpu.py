"""The GPU benchmarks' host side: no-GPU exit, FLOPs and MFU, peak lookup, RESULTS.md section.

The measurements themselves need a GPU; what is checked here runs anywhere:
the command on a machine without one, the arithmetic against hand-computed
numbers, the peak table, the section replacement and the tables' wiring.
"""

import doctest
import os
import subprocess
import sys
import types

import keras
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.append(ROOT)  # benchmarks/ is a folder of the repository, not an installed package

from benchmarks import gpu, gpu_flops, gpu_measure, gpu_paths  # noqa: E402

RESULTS = os.path.join(ROOT, "benchmarks", "RESULTS.md")
FRAMEWORKS = ("keras", "jax", "torch", "tensorflow")


def _run(arguments):
    environment = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _fake_nvidia_smi(folder, query_output, exit_code=0):
    """An ``nvidia-smi`` that answers the CSV query with ``query_output``."""
    script = folder / "nvidia-smi"
    script.write_text(
        "#!/bin/sh\n"
        'case "$1" in --query-gpu=*)\n'
        f"  printf '%s\\n' '{query_output}'; exit {exit_code};;\n"
        "esac\n"
        "echo '| NVIDIA-SMI 550.54.15   Driver Version: 550.54.15   CUDA Version: 12.4 |'\n"
    )
    script.chmod(0o755)
    return str(folder)


@pytest.fixture
def no_gpu():
    if gpu.find_nvidia_gpus()[0] is not None:
        pytest.skip("this machine has an NVIDIA GPU: the command would measure it")


def test_without_a_gpu_the_command_says_so_exits_0_and_leaves_results_alone(no_gpu):
    with open(RESULTS, "rb") as file:
        before = file.read()
    finished = _run(["-m", "benchmarks", "--device", "gpu"])
    with open(RESULTS, "rb") as file:
        after = file.read()
    assert finished.returncode == 0, finished.stderr
    assert "No NVIDIA GPU (no `nvidia-smi` on the PATH" in finished.stdout
    assert "nothing was measured" in finished.stdout
    assert after == before


def test_without_a_gpu_no_framework_is_imported(no_gpu):
    script = (
        "import sys\n"
        "from benchmarks.__main__ import main\n"
        "main(['--device', 'gpu'])\n"
        f"print(sorted(set({FRAMEWORKS!r}) & set(sys.modules)))\n"
    )
    finished = _run(["-c", script])
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip().splitlines()[-1] == "[]"


def test_an_nvidia_smi_that_lists_no_gpu_means_no_gpu(tmp_path, monkeypatch):
    folder = _fake_nvidia_smi(tmp_path, "No devices were found", exit_code=6)
    monkeypatch.setenv("PATH", folder + os.pathsep + os.environ["PATH"])
    gpus, checked = gpu.find_nvidia_gpus()
    assert gpus is None
    assert checked == "`nvidia-smi` lists no GPU (No devices were found)"


def test_nvidia_smi_gives_the_names_driver_and_cuda_version(tmp_path, monkeypatch):
    folder = _fake_nvidia_smi(tmp_path, "NVIDIA H100 80GB HBM3, 550.54.15")
    monkeypatch.setenv("PATH", folder + os.pathsep + os.environ["PATH"])
    gpus, checked = gpu.find_nvidia_gpus()
    assert gpus == {"names": ["NVIDIA H100 80GB HBM3"], "driver": "550.54.15", "cuda": "12.4"}
    assert checked == "`nvidia-smi` lists 1 GPU(s)"


def test_model_flops_per_token_of_the_benchmarked_gpt_by_hand():
    # 6 blocks of width 512: attention 4 x (512 x 512 + 512) = 1,050,624, feed-forward
    # 512 x 2048 + 2048 + 2048 x 512 + 512 = 2,099,712, two norms 2 x 1,024 = 2,048:
    # 3,152,384 per block, 18,914,304 for 6; the final norm 1,024; the output layer
    # 512 x 50,304 + 50,304 = 25,805,952. N = 44,721,280.
    # 6N = 268,327,680; 12 L T d = 12 x 6 x 256 x 512 = 9,437,184; sum 277,764,864.
    flops = gpu_flops.model_flops_per_token(44_721_280, layers=6, context=256, width=512)
    assert flops == 277_764_864


def test_model_flops_utilisation_by_hand():
    # 100,000 tokens/s x 277,764,864 FLOPs = 27.7764864 TFLOP/s; / 312 (an A100) = 0.0890272.
    mfu = gpu_flops.model_flops_utilisation(100_000, 277_764_864, tflops=312.0)
    assert mfu == pytest.approx(0.0890272, rel=1e-12)
    assert gpu_flops.model_flops_utilisation(100_000, 277_764_864, tflops=None) is None


def test_the_flops_module_examples_run():
    outcome = doctest.testmod(gpu_flops)
    assert outcome.attempted >= 3 and outcome.failed == 0


def test_the_gpt_parameters_counted_for_the_mfu_leave_out_the_embedding_tables():
    # Width 16, 1 block, vocabulary 50, context 8: attention 4 x (16 x 16 + 16) = 1,088,
    # feed-forward 16 x 64 + 64 + 64 x 16 + 16 = 2,128, norms 64, final norm 32,
    # output 16 x 50 + 50 = 850: N = 4,162; the tables add 50 x 16 + 8 x 16 = 928.
    model = gpu_measure.build_gpt(layers=1, heads=2, width=16, context=8, vocabulary=50)
    model(keras.Input((8,), dtype="int32"))  # a symbolic call builds every layer
    assert gpu_measure.matmul_parameters(model) == 4_162
    assert model.count_params() == 4_162 + 928
    assert model.dtype_policy.name == "mixed_bfloat16"


@pytest.mark.parametrize(
    "name, tflops",
    [
        ("NVIDIA H200", 989.5),
        ("NVIDIA H100 80GB HBM3", 989.5),
        ("NVIDIA H100 PCIe", 756.5),
        ("NVIDIA A100-SXM4-80GB", 312.0),
        ("NVIDIA A10G", 70.0),
        ("NVIDIA A10", 125.0),
        ("NVIDIA L4", 121.0),
        ("NVIDIA L40S", 362.05),
        ("NVIDIA GeForce RTX 4090", 165.2),
    ],
)
def test_peak_of_a_known_gpu(name, tflops):
    assert gpu_flops.peak_tflops(name)[0] == tflops


def test_peak_of_a_gpu_without_bfloat16_or_unknown_is_not_available():
    assert gpu_flops.peak_tflops("Tesla T4") == (
        None,
        "n/a (T4: Turing has no bfloat16 tensor cores)",
    )
    assert gpu_flops.peak_tflops("NVIDIA GeForce GTX 1080") == (
        None,
        "n/a (unknown GPU: NVIDIA GeForce GTX 1080)",
    )


def test_peak_override_wins_and_must_be_positive():
    assert gpu_flops.peak_tflops("NVIDIA GeForce GTX 1080", override=8.9) == (
        8.9,
        "given with --peak-tflops",
    )
    assert gpu_flops.peak_tflops("NVIDIA H100 PCIe", override=500)[0] == 500.0
    with pytest.raises(ValueError, match="--peak-tflops=0"):
        gpu_flops.peak_tflops("NVIDIA H100 PCIe", override=0)


def test_the_section_is_appended_once_then_replaced_in_a_copy_of_results(tmp_path):
    with open(RESULTS, encoding="utf-8") as file:
        text = file.read()
    assert text.count(gpu.BEGIN) == 1 and text.count(gpu.END) == 1
    before_section = text[: text.index(gpu.BEGIN)]
    copy = tmp_path / "RESULTS.md"
    copy.write_text(text, encoding="utf-8")
    for run in ("first", "second"):
        copy.write_text(gpu.replace_section(copy.read_text(), f"## GPU benchmarks\n\n{run}"))
    written = copy.read_text()
    assert written == f"{before_section}{gpu.BEGIN}\n## GPU benchmarks\n\nsecond\n{gpu.END}\n"


def test_a_file_without_the_section_gets_it_at_the_end_and_keeps_what_follows():
    appended = gpu.replace_section("# Results\n\nold text\n", "## GPU benchmarks\n\nnew")
    assert (
        appended == f"# Results\n\nold text\n\n{gpu.BEGIN}\n## GPU benchmarks\n\nnew\n{gpu.END}\n"
    )
    surrounded = appended + "\n## Later section\n"
    replaced = gpu.replace_section(surrounded, "## GPU benchmarks\n\nnewer")
    assert replaced.endswith(f"newer\n{gpu.END}\n\n## Later section\n")
    assert replaced.startswith("# Results\n\nold text\n\n")


def test_a_begin_marker_without_its_end_marker_is_an_error():
    with pytest.raises(ValueError, match="no end marker"):
        gpu.replace_section(f"text\n{gpu.BEGIN}\nhalf a section\n", "## GPU benchmarks")


def _gpt_results(devices):
    row = {
        "part": "gpt",
        "median_s": 0.08192,  # 8,192 tokens in 81.92 ms: 100,000 tokens/s
        "error": None,
        "tokens_per_second": 100_000.0,
        "parameters": 44_721_280,
        "layers": 6,
        "context": 256,
        "width": 512,
    }
    return {"jax": {"environment": {"devices": devices}, "rows": [row], "failure": None}}


def test_the_gpt_table_gives_the_mfu_with_the_backends_gpu_and_the_override():
    gpus = {"names": ["NVIDIA A100-SXM4-80GB"], "driver": "1", "cuda": "12.4"}
    table = gpu.gpt_table(_gpt_results(["NVIDIA A100-SXM4-80GB"]), gpus)
    assert "| 277,764,864 | 27.8 |" in table and table.endswith("| 8.9% |")
    unknown = gpu.gpt_table(_gpt_results(["Mystery GPU"]), gpus)
    assert "n/a (unknown GPU: Mystery GPU)" in unknown and unknown.endswith("| n/a |")
    given = gpu.gpt_table(_gpt_results(["Mystery GPU"]), gpus, peak_override=27.7764864)
    assert given.endswith("| 100.0% |")


def test_an_error_tensorflow_wraps_is_shown_by_its_own_message():
    wrapped = ValueError(
        'in user code:\n\n    File "step.py", line 3, in step\n\n'
        "    ValueError: Flash attention is not supported in tensorflow backend.\n"
    )
    assert gpu_paths.first_line(wrapped) == (
        "ValueError: Flash attention is not supported in tensorflow backend."
    )
    assert gpu_paths.first_line(RuntimeError("cuDNN is not detected.\nmore")) == (
        "RuntimeError: cuDNN is not detected."
    )


def test_the_spy_records_each_call_and_puts_the_function_back():
    def kernel(x, implementation=None):
        if implementation == "cudnn":
            raise RuntimeError("no cuDNN here")
        return x

    module = types.SimpleNamespace(kernel=kernel)
    with gpu_paths.spying(module, "kernel") as calls:
        with pytest.raises(RuntimeError):
            module.kernel(1, implementation="cudnn")
        assert module.kernel(2, implementation="xla") == 2
    assert calls == [
        ({"implementation": "cudnn"}, "RuntimeError: no cuDNN here"),
        ({"implementation": "xla"}, "returned"),
    ]
    assert module.kernel is kernel
