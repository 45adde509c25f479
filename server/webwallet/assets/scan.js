// scan.js: reads a QR code from the camera (getUserMedia). The browser's BarcodeDetector where it
// has one, else the vendored jsQR 1.4.0 (vendor/jsqr, Apache-2.0), loaded only when needed. Frames
// never leave the page.

let jsQRPromise = null;

/** loadJsQR loads the vendored decoder once (a UMD file that sets self.jsQR). */
export function loadJsQR() {
  if (!jsQRPromise) jsQRPromise = import('./vendor/jsqr/jsQR.js').then(() => self.jsQR);
  return jsQRPromise;
}

/** decodeImageData reads the QR code in one frame with jsQR; null when there is none. */
export async function decodeImageData(img) {
  const jsQR = await loadJsQR();
  const r = jsQR(img.data, img.width, img.height, { inversionAttempts: 'attemptBoth' });
  return r ? r.data : null;
}

async function detector() {
  if ('BarcodeDetector' in self) {
    try {
      const formats = await self.BarcodeDetector.getSupportedFormats();
      if (formats.includes('qr_code')) {
        const d = new self.BarcodeDetector({ formats: ['qr_code'] });
        return { name: 'BarcodeDetector', read: async (canvas) => ((await d.detect(canvas))[0] || {}).rawValue || null };
      }
    } catch {
      // fall through to jsQR
    }
  }
  await loadJsQR();
  return {
    name: 'jsQR',
    read: (canvas) => decodeImageData(canvas.getContext('2d', { willReadFrequently: true }).getImageData(0, 0, canvas.width, canvas.height)),
  };
}

/**
 * startScan shows the camera in video and calls onText with the first QR text it reads; it
 * resolves to a stop function (also called once a code was read). Rejects when there is no camera
 * or the customer refused it.
 */
export async function startScan(video, onText) {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  video.srcObject = stream;
  video.setAttribute('playsinline', '');
  video.muted = true;
  await video.play();
  const d = await detector();
  video.dataset.decoder = d.name;
  const canvas = document.createElement('canvas');
  let stopped = false;
  let timer = null;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    for (const tr of stream.getTracks()) tr.stop();
    video.srcObject = null;
  };
  const tick = async () => {
    if (stopped) return;
    if (video.videoWidth > 0) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext('2d', { willReadFrequently: true }).drawImage(video, 0, 0);
      let text = null;
      try {
        text = await d.read(canvas);
      } catch {
        text = null;
      }
      if (text && !stopped) {
        stop();
        onText(text);
        return;
      }
    }
    timer = setTimeout(tick, 150);
  };
  tick();
  return stop;
}
