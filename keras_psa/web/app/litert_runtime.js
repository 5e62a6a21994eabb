// Load role: LiteRT.js once per page, a model compiled for one accelerator, one run.
// The page's folder holds litert/core/ (dist/ and wasm/ of @litertjs/core) and
// litert/wasm-utils/ (its dist/), which the import map of the page resolves.
import { loadAndCompile, loadLiteRt, Tensor } from './litert/core/dist/index.js';

// The threaded build needs SharedArrayBuffer, i.e. a cross-origin isolated page.
export async function loadRuntime({ threads = false } = {}) {
  const wasmDir = new URL('./litert/core/wasm/', import.meta.url).href;
  await loadLiteRt(wasmDir, threads ? { threads: true } : undefined);
}

// The adapter Chromium gives WebGPU, or null (then only wasm runs).
export async function webgpuAdapterInfo() {
  if (!navigator.gpu) return null;
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return null;
  const info = adapter.info || {};
  return {
    vendor: info.vendor || '', architecture: info.architecture || '',
    description: info.description || '',
    is_fallback_adapter: Boolean(adapter.isFallbackAdapter ?? info.isFallbackAdapter),
  };
}

export async function compileModel(bytes, accelerator, numThreads = 1) {
  const options = { accelerator };
  if (accelerator === 'wasm') options.cpuOptions = { numThreads };
  return loadAndCompile(bytes, options);
}

// Runs one float32 input; returns each output as {data: Float32Array, shape}, on the host.
export async function runOnce(model, input, shape) {
  const tensor = new Tensor(input, shape);
  let outputs;
  try {
    outputs = await model.run(tensor);
  } finally {
    tensor.delete();
  }
  const result = [];
  for (const output of outputs) {
    const host = output.accelerator === 'wasm' ? output : await output.moveTo('wasm');
    result.push({ data: host.toTypedArray().slice(), shape: Array.from(host.type.layout.dimensions) });
    host.delete();
  }
  return result;
}
