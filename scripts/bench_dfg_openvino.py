"""OpenVINO side of `agfas bench dfg --openvino VENV/bin/python`: the same random-weight SD-1.5
UNet and VAE as scripts/bench_dfg_torch.py, converted with OpenVINO and timed on its CPU plugin.

    python3 scripts/bench_dfg_openvino.py --threads N --repeat R [--dtypes fp32,bf16] [--no-full]

Needs torch, diffusers and openvino in the venv. The models are converted in this process and
saved as OpenVINO IR to a temporary folder; a second process reads the IR and times it, so its
peak memory is that of an OpenVINO deployment (not of the conversion, which holds PyTorch's
copy too). Each model is compiled for static shapes (OpenVINO's fastest mode) with
INFERENCE_NUM_THREADS=N, PERFORMANCE_HINT=LATENCY and INFERENCE_PRECISION_HINT f32 or bf16
(bf16 only where the CPU plugin reports native BF16).

Prints one JSON object per line: {"stack": ...}, then {"op", "dtype", "seconds", "gflop"}
(median of R runs; the whole reconstruction runs once; ops named as bench_dfg_torch.py names
them), then {"note": ...} lines with compile times and peak memory.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from bench_common import median_time

ATTENTION = "attention fwd"


def emit(op, dtype, seconds, gflop):
    print(json.dumps({"op": op, "dtype": dtype, "seconds": seconds, "gflop": gflop}), flush=True)


def note(text):
    print(json.dumps({"note": text}), flush=True)


def kernels(compiled_model, layer):
    """How the plugin runs the `layer` nodes of a compiled model ("brgconv_avx512_f32 x 64"): which
    ISA it picked, so an ISA cap (ONEDNN_MAX_CPU_ISA) can be seen to hold."""
    counts = {}
    for op in compiled_model.get_runtime_model().get_ops():
        info = op.get_rt_info()
        if info["layerType"].astype(str) == layer:
            kind = info["primitiveType"].astype(str)
            counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{k} x {n}" for k, n in sorted(counts.items()))


def convert(folder, threads):
    """Converts the UNet (batch 1; batch 4 by reshape later), the VAE's encoder and decoder at
    256 px and one SDPA module per attention shape into IR files under `folder`."""
    import openvino as ov
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from bench_dfg_torch import SD15_UNET, SD15_VAE, attention_shapes

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    unet = UNet2DConditionModel(**SD15_UNET).eval()
    vae = AutoencoderKL(**SD15_VAE).eval()

    class Step(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.unet = unet

        def forward(self, z, t, c):
            return self.unet(z, t, encoder_hidden_states=c).sample

    class Encode(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.vae = vae

        def forward(self, x):
            return self.vae.encode(x).latent_dist.parameters  # mean and log-variance

    class Decode(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.vae = vae

        def forward(self, z):
            return self.vae.decode(z).sample

    class Attention(torch.nn.Module):
        def forward(self, q, k, v):
            return torch.nn.functional.scaled_dot_product_attention(q, k, v)

    t0 = time.perf_counter()
    with torch.no_grad():
        models = {
            "unet": (Step(), (torch.randn(1, 4, 32, 32), torch.tensor(801), torch.randn(1, 49, 768))),
            "encode": (Encode(), (torch.rand(1, 3, 256, 256) * 2 - 1,)),
            "decode": (Decode(), (torch.randn(1, 4, 32, 32),)),
        }
        for i, (_, heads, queries, keys, dims) in enumerate(attention_shapes()):
            q = torch.randn(1, heads, queries, dims)
            kv = torch.randn(1, heads, keys, dims)
            models[f"attention{i}"] = (Attention(), (q, kv, kv.clone()))
        for name, (module, example) in models.items():
            model = ov.convert_model(module, example_input=example)
            for port, value in zip(model.inputs, example):
                port.get_node().set_partial_shape(ov.PartialShape(list(value.shape)))
            model.validate_nodes_and_infer_types()
            ov.save_model(model, os.path.join(folder, f"{name}.xml"), compress_to_fp16=False)
    note(f"converted the UNet, VAE and attention modules to IR in {time.perf_counter() - t0:.1f} s")


def run_ir(folder, args):
    """Reads the IR under `folder` and times it (the second process)."""
    import numpy as np
    import openvino as ov
    import torch
    from diffusers import PNDMScheduler
    from bench_dfg_torch import GFLOP, SCHEDULER, attention_gflop, attention_shapes, peak_rss_gib

    core = ov.Core()
    native_bf16 = "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    print(json.dumps({"stack": f"openvino {ov.__version__}, {core.get_property('CPU', 'FULL_DEVICE_NAME')}, "
                               f"native bf16 {'yes' if native_bf16 else 'no'}, {args.threads} threads"}), flush=True)
    rng = np.random.default_rng(0)

    def compiled(name, precision, shapes=None):
        model = core.read_model(os.path.join(folder, f"{name}.xml"))
        if shapes:
            model.reshape(shapes)
        t = time.perf_counter()
        c = core.compile_model(model, "CPU", {
            "INFERENCE_NUM_THREADS": args.threads, "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_PRECISION_HINT": precision})
        return c, time.perf_counter() - t

    for name in args.dtypes.split(","):
        if name == "bf16" and not native_bf16:
            note("bf16 skipped: the CPU plugin reports no native BF16 here")
            continue
        precision = "f32" if name == "fp32" else "bf16"
        unet, seconds = compiled("unet", precision)
        note(f"{name}: UNet compiled in {seconds:.1f} s; its convolutions run as {kernels(unet, 'Convolution')}")
        encode, _ = compiled("encode", precision)
        decode, _ = compiled("decode", precision)
        x = (rng.random((1, 3, 256, 256), dtype=np.float32) * 2 - 1)
        cond = rng.standard_normal((1, 49, 768), dtype=np.float32)
        if not args.no_full:
            step, enc, dec = (m.create_infer_request() for m in (unet, encode, decode))
            t = time.perf_counter()
            posterior = enc.infer([x])[0]
            mean, logvar = posterior[:, :4], np.clip(posterior[:, 4:], -30, 20)
            z0 = torch.from_numpy(mean + np.exp(0.5 * logvar) * rng.standard_normal(mean.shape, dtype=np.float32))
            z0 = z0 * 0.18215
            s = PNDMScheduler.from_config(SCHEDULER)
            s.set_timesteps(50)
            steps = [t for t in s.timesteps if t <= 801]
            latents = s.add_noise(z0, torch.randn_like(z0), torch.tensor([int(steps[0])]))
            for timestep in steps:
                eps = step.infer([latents.numpy(), np.array(int(timestep), dtype=np.int64), cond])[0]
                latents = s.step(torch.from_numpy(eps.copy()), timestep, latents).prev_sample
            dec.infer([(latents / 0.18215).numpy()])
            emit("reconstruction (41 steps)", name, time.perf_counter() - t, GFLOP["reconstruction (41 steps)"])
            note(f"{name}: OpenVINO peak resident memory after the reconstruction {peak_rss_gib():.1f} GiB")
        t801 = np.array(801, dtype=np.int64)
        for b in (1, 4):
            model = unet if b == 1 else compiled(
                "unet", precision, {0: [4, 4, 32, 32], 1: [], 2: [4, 49, 768]})[0]
            z = rng.standard_normal((b, 4, 32, 32), dtype=np.float32)
            c = np.ascontiguousarray(np.broadcast_to(cond, (b, 49, 768)))
            request = model.create_infer_request()
            emit(f"unet step b{b}", name, median_time(lambda: request.infer([z, t801, c]), args.repeat),
                 GFLOP[f"unet step b{b}"])
        enc, dec = encode.create_infer_request(), decode.create_infer_request()
        emit("vae encode 256", name, median_time(lambda: enc.infer([x]), args.repeat), GFLOP["vae encode 256"])
        z = rng.standard_normal((1, 4, 32, 32), dtype=np.float32)
        emit("vae decode 256", name, median_time(lambda: dec.infer([z]), args.repeat), GFLOP["vae decode 256"])
        for i, (op, heads, queries, keys, dims) in enumerate(attention_shapes()):
            attention, _ = compiled(f"attention{i}", precision)
            q = rng.standard_normal((1, heads, queries, dims), dtype=np.float32)
            kv = rng.standard_normal((1, heads, keys, dims), dtype=np.float32)
            request = attention.create_infer_request()
            emit(f"{ATTENTION} {op}", name, median_time(lambda: request.infer([q, kv, kv]), args.repeat, warmup=2),
                 attention_gflop(heads, queries, keys, dims))
    note(f"OpenVINO peak resident memory of the whole run {peak_rss_gib():.1f} GiB (every model above compiled)")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--dtypes", default="fp32,bf16")
    p.add_argument("--no-full", action="store_true")
    p.add_argument("--ir", help="(internal) time the IR already in this folder")
    args = p.parse_args()
    if args.ir:
        run_ir(args.ir, args)
        return
    with tempfile.TemporaryDirectory(prefix="agfas-openvino-") as folder:
        convert(folder, args.threads)
        child = [sys.executable, os.path.abspath(__file__), "--ir", folder] + sys.argv[1:]
        sys.exit(subprocess.run(child).returncode)


if __name__ == "__main__":
    main()
