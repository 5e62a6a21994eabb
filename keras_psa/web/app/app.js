// The page of `keras-psa-web`: pick an image or start the camera, see the mask overlay
// with its legend (segmentation) or the skeleton (keypoints), ms per frame and backend.
// Test hook: with ?image=NAME (a file in this folder) it runs once at load and sets
// window.kerasPsaResult = {width, height, backend, ms, labels} (labels: class index per
// pixel at the model's output size, width x height, row-major) or {width, height,
// backend, ms, keypoints} ([x, y, score] per joint in the image's pixels, which are
// width x height). ?backend=wasm|webgpu picks the backend (default WebGPU, else wasm).
import { classColors, drawImage, drawLegend, drawMask, drawSkeleton } from './draw.js';
import { argmaxLabels, decodeKeypoints, imageToInput } from './image_tensor.js';
import { compileModel, loadRuntime, runOnce, webgpuAdapterInfo } from './litert_runtime.js';

const DISPLAY = 512;
const status = document.getElementById('status');
const view = document.getElementById('view');
const params = new URLSearchParams(location.search);

async function compile(config) {
  const bytes = new Uint8Array(await (await fetch(config.model)).arrayBuffer());
  const threads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  await loadRuntime({ threads: threads > 1 });
  const wanted = params.get('backend') || ((await webgpuAdapterInfo()) ? 'webgpu' : 'wasm');
  try {
    return { model: await compileModel(bytes, wanted, threads), backend: wanted };
  } catch (error) {
    if (wanted !== 'webgpu' || params.get('backend')) throw error;
    console.warn(`WebGPU failed (${error.message}); running on wasm`);
    return { model: await compileModel(bytes, 'wasm', threads), backend: 'wasm' };
  }
}

async function run(config, compiled, source, width, height) {
  const { input } = config;
  const data = imageToInput(source, input.width, input.height, input.range, input.dtype,
                            input.quantization);
  const start = performance.now();
  const [output] = await runOnce(compiled.model, data, [1, input.height, input.width, 3]);
  const ms = performance.now() - start;
  const [, gridHeight, gridWidth, channels] = output.shape;
  const scale = DISPLAY / Math.max(width, height);
  drawImage(view, source, Math.round(width * scale), Math.round(height * scale));
  status.textContent = `${compiled.backend} · ${ms.toFixed(1)} ms per frame`;
  if (config.kind === 'heatmaps') {
    const keypoints = decodeKeypoints(output.data, gridHeight, gridWidth, channels, input,
                                      { width, height });
    drawSkeleton(view, keypoints, config.limbs, scale);
    return { width, height, backend: compiled.backend, ms, keypoints };
  }
  const labels = argmaxLabels(output.data, gridHeight, gridWidth, channels);
  drawMask(view, labels, gridWidth, gridHeight, config.colors);
  return { width: gridWidth, height: gridHeight, backend: compiled.backend, ms, labels };
}

function loadImage(url) {
  const image = new Image();
  image.src = url;
  return image.decode().then(() => image);
}

async function main() {
  const config = await (await fetch('./model.json')).json();
  document.getElementById('title').textContent = config.title;
  if (config.kind !== 'heatmaps') {
    config.colors = classColors(config.class_names.length);
    drawLegend(document.getElementById('legend'), config.class_names, config.colors);
  } else {
    drawLegend(document.getElementById('legend'), config.joint_names,
               config.joint_names.map(() => [255, 60, 60]));
  }
  const compiled = await compile(config);
  status.textContent = `${compiled.backend} · ready`;
  document.getElementById('file').addEventListener('change', async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    const image = await loadImage(URL.createObjectURL(file));
    await run(config, compiled, image, image.naturalWidth, image.naturalHeight);
  });
  document.getElementById('camera').addEventListener('click', async () => {
    const video = document.getElementById('video');
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: true });
    await video.play();
    const frame = async () => {
      await run(config, compiled, video, video.videoWidth, video.videoHeight);
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  if (params.get('image')) {
    const image = await loadImage(params.get('image'));
    // The second frame's time: the first one includes WebGPU's shader compilation.
    await run(config, compiled, image, image.naturalWidth, image.naturalHeight);
    window.kerasPsaResult = await run(config, compiled, image, image.naturalWidth,
                                      image.naturalHeight);
  }
}

main().catch((error) => {
  status.textContent = `error: ${error.message}`;
  window.kerasPsaResult = { error: String(error && error.stack || error) };
});
