# Solutions to the exercises of 05-onnx-and-quantization.ipynb. Each block replaces the whole
# exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: quantize statically with one scale per tensor
per_tensor_path = quantize_static_int8(
    pre_path,
    work_dir / "digits-int8-per-tensor.onnx",
    data.x_train[:CALIBRATION_ROWS],
    per_channel=False,
)
per_tensor_bytes = per_tensor_path.stat().st_size
print(f"per-tensor {per_tensor_bytes:,} B, per-channel {paths['static int8'].stat().st_size:,} B")

# %% Exercise 2
# Exercise 2: the smallest batch at 80 % of peak throughput
peak = max(throughput["fp32"].values())
knee_batch = min(b for b, rows_per_s in throughput["fp32"].items() if rows_per_s >= 0.8 * peak)
