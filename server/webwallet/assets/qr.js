// qr.js: draws a payload as a QR code on a canvas, offline, with the vendored qrcode-generator
// (vendor/qrcode-generator, MIT). Error correction L and alphanumeric mode, as cmd/wallet
// (docs/protocol.md, "Size, QR version and error correction"); a 4-module quiet zone; black on white.

import qrcode from './vendor/qrcode-generator/qrcode.mjs';

export const QUIET_MODULES = 4;

/**
 * drawQR draws text on canvas at a whole number of device pixels per module, at most cssSize CSS
 * pixels wide, and shows the canvas at exactly that size: a canvas stretched by CSS gets modules of
 * uneven width (5 and 6 pixels side by side), which scanners misjudge.
 */
export function drawQR(canvas, text, cssSize) {
  const qr = qrcode(0, 'L');
  qr.addData(text, 'Alphanumeric');
  qr.make();
  const n = qr.getModuleCount();
  const total = n + 2 * QUIET_MODULES;
  const dpr = window.devicePixelRatio || 1;
  const scale = Math.max(2, Math.floor((cssSize * dpr) / total));
  canvas.width = canvas.height = total * scale;
  canvas.style.width = canvas.style.height = `${(total * scale) / dpr}px`;
  const g = canvas.getContext('2d');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = '#000000';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (qr.isDark(r, c)) g.fillRect((c + QUIET_MODULES) * scale, (r + QUIET_MODULES) * scale, scale, scale);
    }
  }
  return { modules: n, version: (n - 17) / 4 };
}
