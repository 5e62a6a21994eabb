// The page behind `keras-psa-check --browser` and the web benchmark: runs given inputs
// (the model's input dtype) through LiteRT.js on each accelerator and sets window.kerasPsaCheck to the raw
// outputs (base64 float32), whether each model is fully accelerated, and latencies.
// Judging is Python's job. Config (JSON at ?config=URL): {model, inputs, dtype, shape,
// accelerators, threads, threaded_build, warmup, repeats}.
import { compileModel, loadRuntime, runOnce, webgpuAdapterInfo } from './litert_runtime.js';
import { supportsFeature, Tensor } from './litert/core/dist/index.js';

function toBase64(floats) {
  const bytes = new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

// Median-ready samples: `run` alone, and run plus the read-back an app needs.
async function timeRuns(model, input, shape, warmup, repeats) {
  const runMs = [];
  const totalMs = [];
  for (let i = 0; i < warmup + repeats; i++) {
    const tensor = new Tensor(input, shape);
    const start = performance.now();
    const outputs = await model.run(tensor);
    const ran = performance.now();
    for (const output of outputs) {
      const host = output.accelerator === 'wasm' ? output : await output.moveTo('wasm');
      host.toTypedArray();
      host.delete();
    }
    const end = performance.now();
    tensor.delete();
    if (i >= warmup) {
      runMs.push(ran - start);
      totalMs.push(end - start);
    }
  }
  return { run_ms: runMs, total_ms: totalMs };
}

async function runAccelerator(bytes, accelerator, config, images) {
  const found = { accelerator };
  let model;
  try {
    model = await compileModel(bytes, accelerator, config.threads);
  } catch (error) {
    return { ...found, error: String(error && error.message || error) };
  }
  try {
    found.fully_accelerated = model.isFullyAccelerated;
    found.output_names = model.getOutputDetails().map((d) => d.name);
    found.outputs = [];
    for (const image of images) {
      const outputs = await runOnce(model, image, [1, ...config.shape.slice(1)]);
      found.outputs.push(outputs.map((o) => ({ shape: o.shape, base64: toBase64(o.data) })));
    }
    Object.assign(found, await timeRuns(model, images[0], [1, ...config.shape.slice(1)],
                                        config.warmup, config.repeats));
  } catch (error) {
    found.error = String(error && error.message || error);
  } finally {
    model.delete();
  }
  return found;
}

async function main() {
  const config = await (await fetch(new URLSearchParams(location.search).get('config'))).json();
  const result = {
    cross_origin_isolated: self.crossOriginIsolated, user_agent: navigator.userAgent,
    adapter: await webgpuAdapterInfo(), relaxed_simd: await supportsFeature('relaxedSimd'),
    runs: {},
  };
  await loadRuntime({ threads: config.threaded_build ?? config.threads > 1 });
  const bytes = new Uint8Array(await (await fetch(config.model)).arrayBuffer());
  const Typed = { float32: Float32Array, uint8: Uint8Array, int32: Int32Array }[config.dtype];
  const all = new Typed(await (await fetch(config.inputs)).arrayBuffer());
  const size = config.shape.slice(1).reduce((a, b) => a * b, 1);
  const images = Array.from({ length: config.shape[0] }, (_, i) => all.subarray(i * size, (i + 1) * size));
  for (const accelerator of config.accelerators) {
    if (accelerator === 'webgpu' && !result.adapter) {
      result.runs.webgpu = { accelerator, unavailable: 'the browser gives no WebGPU adapter' };
      continue;
    }
    result.runs[accelerator] = await runAccelerator(bytes, accelerator, config, images);
  }
  window.kerasPsaCheck = result;
}

main().catch((error) => {
  window.kerasPsaCheck = { error: String(error && error.stack || error) };
});
