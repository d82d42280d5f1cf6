"""Train, export, quantize and time a small classifier on onnxruntime (notebook 06-05).

The path is the one references/inference-optimization.md measures: a scikit-learn MLP on
the 8x8 digits, exported with skl2onnx, run by onnxruntime, and quantized to int8 twice:
dynamically (weights only; activation scales computed per call) and statically (weights
and activations, scales fixed from calibration rows, QDQ format). The notebook shows each
part with ``show_source`` and checks what it claims.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import backend_skills  # noqa: F401  sets ORT_DISABLE_TELEMETRY=1 before onnxruntime loads

# isort: split
import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_dynamic,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process
from skl2onnx import to_onnx
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

OPSET = 17  # the ONNX operator set the export targets (the reference's choice)


@dataclass(frozen=True)
class Digits:
    x_train: np.ndarray  # float32 rows of 64 pixels scaled to 0..1
    x_test: np.ndarray
    y_train: np.ndarray  # the digit, 0..9
    y_test: np.ndarray


# region train
def load_split(seed: int) -> Digits:
    """scikit-learn's 1,797 8x8 digits (shipped with it: no download), 70/30 stratified."""
    digits = load_digits()
    pixels = (digits.data / 16.0).astype(np.float32)  # ONNX's input will be float32
    x_train, x_test, y_train, y_test = train_test_split(
        pixels, digits.target, test_size=0.3, random_state=seed, stratify=digits.target
    )
    return Digits(x_train, x_test, y_train, y_test)


def train_classifier(data: Digits, hidden: int, seed: int) -> MLPClassifier:
    """Two ReLU layers (HIDDEN and HIDDEN // 2 units); a seeded Adam fit takes seconds.

    One BLAS thread: matrices this small gain little from two, and on a busy shared
    machine OpenBLAS's threads spin waiting for each other: the same fit took several
    times longer with two threads while other jobs ran. One thread also sums in one
    order however many cores the machine has.
    """
    model = MLPClassifier(hidden_layer_sizes=(hidden, hidden // 2), max_iter=300, random_state=seed)
    with threadpool_limits(limits=1):
        return model.fit(data.x_train, data.y_train)


# endregion


# region export
def export_onnx(model: MLPClassifier, sample: np.ndarray, path: Path) -> onnx.ModelProto:
    """skl2onnx traces the fitted model into an ONNX graph and writes it to PATH.

    SAMPLE (one row) fixes the input's type and width; the batch dimension stays free.
    zipmap=False returns probabilities as one float tensor instead of a list of dicts,
    which is what a server batches and what quantization tools expect.
    """
    exported = to_onnx(model, sample, options={id(model): {"zipmap": False}}, target_opset=OPSET)
    onnx.checker.check_model(exported)
    path.write_bytes(exported.SerializeToString())
    return exported


# endregion


# region session
def open_session(path: Path, threads: int = 1) -> ort.InferenceSession:
    """A CPU session with a fixed thread count, so timings repeat run to run and machine
    to machine; onnxruntime's default is one thread per core, spinning between calls."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # threads inside one operator (a MatMul)
    options.inter_op_num_threads = 1  # the graph is a chain: nothing runs in parallel
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


# endregion


# region quantize
def preprocess(fp32_path: Path, out_path: Path) -> Path:
    """Shape inference and graph fusion (MatMul + Add -> Gemm) before quantizing, as
    onnxruntime recommends. Symbolic shape inference needs sympy (not installed); ONNX's
    own shape inference suffices for this graph."""
    quant_pre_process(str(fp32_path), str(out_path), skip_symbolic_shape=True)
    return out_path


def quantize_dynamic_int8(pre_path: Path, out_path: Path) -> Path:
    """int8 weights; each call computes its activations' scale (DynamicQuantizeLinear)."""
    quantize_dynamic(str(pre_path), str(out_path), weight_type=QuantType.QInt8)
    return out_path


class RowCalibration(CalibrationDataReader):
    """Feeds calibration rows one at a time under the graph's input name."""

    def __init__(self, rows: np.ndarray, input_name: str) -> None:
        self._rows: Iterator[np.ndarray] = iter(rows[:, None, :])  # shape (1, 64) each
        self._input_name = input_name

    def get_next(self) -> dict[str, np.ndarray] | None:
        row = next(self._rows, None)
        return None if row is None else {self._input_name: row}


def quantize_static_int8(
    pre_path: Path, out_path: Path, calibration: np.ndarray, *, per_channel: bool = True
) -> Path:
    """int8 weights and activations; activation ranges observed on CALIBRATION rows.

    QDQ format: QuantizeLinear/DequantizeLinear pairs around each quantized tensor, which
    onnxruntime fuses into int8 kernels, and NPUs and TensorRT read. per_channel keeps one
    weight scale per output unit instead of one per tensor.
    """
    input_name = onnx.load(str(pre_path)).graph.input[0].name
    quantize_static(
        str(pre_path),
        str(out_path),
        RowCalibration(calibration, input_name),
        quant_format=QuantFormat.QDQ,
        per_channel=per_channel,
        activation_type=QuantType.QInt8,
        weight_type=QuantType.QInt8,
        # onnxruntime issue 24815: the int32-bias weight-scale adjustment fails on Gemm
        # nodes with a 2-D bias, which this graph has after pre-processing; skip it.
        extra_options={"QDQDisableWeightAdjustForInt32Bias": True},
    )
    return out_path


# endregion


# region measure
def batch_of(rows: np.ndarray, size: int) -> np.ndarray:
    """SIZE rows (repeating ROWS if needed), contiguous float32 as a server would pass."""
    return np.ascontiguousarray(np.resize(rows, (size, rows.shape[1])), dtype=np.float32)


def median_seconds(session: ort.InferenceSession, batch: np.ndarray, repeats: int) -> float:
    """Median wall time of one session.run over BATCH, after a few warm-up calls."""
    feed = {session.get_inputs()[0].name: batch}
    for _ in range(3):  # first calls allocate buffers and pick kernels
        session.run(None, feed)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        session.run(None, feed)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# endregion


def op_counts(model: onnx.ModelProto) -> dict[str, int]:
    """How many nodes of each operator type the graph holds."""
    counts: dict[str, int] = {}
    for node in model.graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return dict(sorted(counts.items()))


def weight_scale_sizes(model: onnx.ModelProto) -> list[int]:
    """Element counts of the scales of DequantizeLinear nodes that dequantize a weight:
    1 for a per-tensor scale, the number of output units for a per-channel one."""
    initializers = {tensor.name: tensor for tensor in model.graph.initializer}
    sizes = []
    for node in model.graph.node:
        if node.op_type == "DequantizeLinear" and node.input[0] in initializers:
            weight = initializers[node.input[0]]
            if weight.data_type == onnx.TensorProto.INT8:  # a weight; biases are int32
                sizes.append(int(np.prod(initializers[node.input[1]].dims, dtype=np.int64)))
    return sizes
